"""Scorecard overlays: a company pack changes another pack's scorecard — weights, bands, options,
formulas and labels of indicators, added and removed indicators, grade thresholds, caps and
vetoes. The semantic checks (metadata/scorecard.py) run on the merged scorecard, so the weights
must still add up to 100; a problem in what the overlay wrote points at the overlay's file and
line."""
from __future__ import annotations

from .doc import Doc
from .errors import Problem
from .kinds import Context
from .labels import overlay_value
from .yamlsource import line_of

# replaced whole (labels merge per locale)
TOP_LEVEL = ("label", "description", "applies_to", "statements", "grade_codelist", "grades", "caps", "vetoes")
# an indicator is scored either by bands or by options: setting one drops the other
SCORING = {"bands": "options", "options": "bands"}


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    def bad(raw_path, message):
        ctx.problems.append(Problem(file, line_of(lines, raw_path), ".".join(map(str, raw_path)), message))

    groups = doc.data["groups"]

    def find(name: str):
        return next(((g, i) for g in groups for i in g["indicators"] if i["name"] == name), (None, None))

    for key in TOP_LEVEL:
        if key in data:
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            doc.add_locs(file, lines, data, (key,), (key,))
    # removed first, so an overlay can replace an indicator by removing and adding it
    for n, name in enumerate(data.get("remove_indicators", [])):
        group, ind = find(name)
        if ind is None:
            bad(("remove_indicators", n), f"no indicator '{name}' in scorecard '{doc.name}'")
            continue
        group["indicators"].remove(ind)
        ctx.touch(doc, ("groups", group["name"], "indicators", name), pack, file,
                  line_of(lines, ("remove_indicators", n)))
    for n, spec in enumerate(data.get("add_indicators", [])):
        ind = dict(spec["indicator"])
        group = next((g for g in groups if g["name"] == spec["group"]), None)
        if group is None:
            bad(("add_indicators", n, "group"), f"no group '{spec['group']}' in scorecard '{doc.name}'")
            continue
        if find(ind["name"])[1] is not None:
            bad(("add_indicators", n, "indicator", "name"), f"indicator '{ind['name']}' already exists")
            continue
        position = len(group["indicators"])
        if spec.get("after"):
            anchor = next((i for i in group["indicators"] if i["name"] == spec["after"]), None)
            if anchor is None:
                bad(("add_indicators", n, "after"), f"no indicator '{spec['after']}' in group '{group['name']}'")
                continue
            position = group["indicators"].index(anchor) + 1
        group["indicators"].insert(position, ind)
        target = ("groups", group["name"], "indicators", ind["name"])
        doc.add_locs(file, lines, data, ("add_indicators", n, "indicator"), target)
        ctx.touch(doc, target, pack, file, line_of(lines, ("add_indicators", n)))
    for name, change in (data.get("change_indicators") or {}).items():
        group, ind = find(name)
        if ind is None:
            bad(("change_indicators", name), f"no indicator '{name}' in scorecard '{doc.name}'")
            continue
        for prop, value in change.items():       # bands and options are replaced whole
            ind[prop] = overlay_value(prop, ind.get(prop), value)
            if prop in SCORING:
                ind.pop(SCORING[prop], None)
            path = ("groups", group["name"], "indicators", name, prop)
            ctx.touch(doc, path, pack, file, lines.get(("change_indicators", name, prop)))
            doc.add_locs(file, lines, data, ("change_indicators", name, prop), path)
