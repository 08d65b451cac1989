"""Scorecards in the studio's pack (docs/scorecards.md): pure edits, sources in → sources out.

A scorecard the studio pack defines is edited in place. One of another pack is changed by an
overlay (metadata/scorecard_overlay.py): the scorecard's properties that differ, `change_indicators`
with the indicator properties that differ, `add_indicators` and `remove_indicators`. An overlay can
set but not unset an indicator's formula, unit or description, so such a change replaces the
indicator (removed and added again at its place) — the loader applies removals first for this.
An overlay cannot add groups, nor remove `statements`, `grade_codelist` or a description.
"""
from __future__ import annotations

from metadata.model import Metadata
from metadata.scorecard import Scorecard, dec
from metadata.scorecard_overlay import SCORING, TOP_LEVEL
from metadata.source import PackSource

from .studio_pack import defines, read, write

INDICATOR = ("label", "description", "weight", "formula", "unit", "bands", "options")
# the grade ladder a new scorecard starts with (the standard pack's credit_grade codes)
LADDER = [{"grade": "AAA", "min": 90}, {"grade": "AA", "min": 80}, {"grade": "A", "min": 70},
          {"grade": "BBB", "min": 60}, {"grade": "BB", "min": 50}, {"grade": "B", "min": 40},
          {"grade": "C", "min": 0}, {"grade": "D"}]


def _path(name: str) -> str:
    return f"scorecards/{name}.yaml"


def owned(sources, pack: str, name: str) -> bool:
    return defines(read(sources, pack, _path(name)))


def _card(meta: Metadata | None, name: str) -> Scorecard | None:
    return (meta.kinds.get("scorecards") or {}).get(name) if meta is not None else None


def create_card(sources, pack: str, name: str, label: dict, entity: str,
                grade_codelist: str | None = None) -> list[PackSource]:
    """A new scorecard: one reviewer-answered indicator weighing 100 and the standard grade ladder,
    to be edited from there (the language needs at least one indicator and one grade)."""
    doc = {"name": name, "label": label, "applies_to": {"entity": entity},
           "groups": [{"name": "main", "label": {"zh": "评价指标", "en": "Indicators"}, "indicators": [
               {"name": "overall", "label": {"zh": "综合评价", "en": "Overall assessment"}, "weight": 100,
                "options": [{"value": "good", "label": {"zh": "好", "en": "Good"}, "points": 100},
                            {"value": "average", "label": {"zh": "一般", "en": "Average"}, "points": 60},
                            {"value": "poor", "label": {"zh": "差", "en": "Poor"}, "points": 0}]}]}],
           **({"grade_codelist": grade_codelist} if grade_codelist else {}), "grades": LADDER}
    return write(sources, pack, _path(name), doc)


def put_card(sources, pack: str, meta: Metadata | None, name: str, props: dict) -> list[PackSource]:
    """Set the scorecard's own properties (TOP_LEVEL); one left out of `props` is removed (an
    overlay keeps it: it cannot remove one — the editor says so)."""
    doc = read(sources, pack, _path(name))
    if defines(doc):
        head = {k: props[k] for k in ("label", "description", "applies_to", "statements") if k in props}
        tail = {k: props[k] for k in ("grade_codelist", "grades", "caps", "vetoes") if k in props}
        return write(sources, pack, _path(name), {"name": name, **head, "groups": doc["groups"], **tail})
    source = _card(meta, name).source
    change = {k: props[k] for k in TOP_LEVEL if k in props and props[k] != source.get(k)}
    for key in ("caps", "vetoes"):                        # lists: an empty one removes them all
        if key not in props and source.get(key):
            change[key] = []
    return write(sources, pack, _path(name), {**(doc or {"overlay": name}), **change})


def put_indicator(sources, pack: str, meta: Metadata | None, name: str, group: dict,
                  spec: dict) -> list[PackSource]:
    """Add an indicator to `group` ({name, label}; a new group in the studio's own scorecard) or
    change one (`spec`: the whole indicator)."""
    doc = read(sources, pack, _path(name))
    key = spec["name"]
    if defines(doc):
        _put_own(doc, group, spec)
        return write(sources, pack, _path(name), doc)
    doc = doc or {"overlay": name}
    added = next((a for a in doc.get("add_indicators") or [] if a["indicator"]["name"] == key), None)
    card = _card(meta, name)
    old = next((i for g in card.source["groups"] for i in g["indicators"] if i["name"] == key), None)
    if added is not None:
        added["indicator"] = spec
    elif old is None:
        doc.setdefault("add_indicators", []).append({"group": group["name"], "indicator": spec})
    elif any(k in old and k not in spec and k not in SCORING for k in INDICATOR):
        _replace(doc, card, old, spec)
    else:
        change = {k: spec[k] for k in INDICATOR if k in spec and spec[k] != old.get(k)}
        if change:
            doc.setdefault("change_indicators", {}).setdefault(key, {}).update(change)
            for prop in change:                        # setting bands drops options (and back)
                if prop in SCORING:
                    doc["change_indicators"][key].pop(SCORING[prop], None)
    return write(sources, pack, _path(name), doc)


def put_weights(sources, pack: str, meta: Metadata | None, name: str, weights: dict) -> list[PackSource]:
    """Set the indicators' weights at once (one at a time, they could not keep adding up to 100)."""
    for g in _card(meta, name).source["groups"]:
        for i in g["indicators"]:
            if i["name"] in weights and dec(weights[i["name"]]) != dec(i["weight"]):
                sources = put_indicator(sources, pack, meta, name, {"name": g["name"]},
                                        {**i, "weight": weights[i["name"]]})
    return sources


def _put_own(doc: dict, group: dict, spec: dict) -> None:
    for g in doc["groups"]:
        for n, i in enumerate(g["indicators"]):
            if i["name"] == spec["name"]:
                g["indicators"][n] = spec
                return
    target = next((g for g in doc["groups"] if g["name"] == group["name"]), None)
    if target is None:
        doc["groups"].append({"name": group["name"], **({"label": group["label"]} if group.get("label") else {}),
                              "indicators": [spec]})
    else:
        target["indicators"].append(spec)


def _replace(doc: dict, card: Scorecard, old: dict, spec: dict) -> None:
    """Remove another pack's indicator and add `spec` at its place (to unset properties)."""
    group = next(g for g in card.source["groups"] if old in g["indicators"])
    at = group["indicators"].index(old)
    (doc.get("change_indicators") or {}).pop(old["name"], None)
    removed = doc.setdefault("remove_indicators", [])
    if old["name"] not in removed:
        removed.append(old["name"])
    after = group["indicators"][at - 1]["name"] if at else None
    doc.setdefault("add_indicators", []).append(
        {"group": group["name"], **({"after": after} if after else {}), "indicator": spec})


def remove_indicator(sources, pack: str, name: str, indicator: str) -> list[PackSource]:
    """Take an indicator out (an own group left empty goes too: a group needs an indicator)."""
    doc = read(sources, pack, _path(name))
    if defines(doc):
        for g in doc["groups"]:
            g["indicators"] = [i for i in g["indicators"] if i["name"] != indicator]
        doc["groups"] = [g for g in doc["groups"] if g["indicators"]]
        return write(sources, pack, _path(name), doc)
    doc = doc or {"overlay": name}
    added = [a for a in doc.get("add_indicators") or [] if a["indicator"]["name"] == indicator]
    removed = doc.get("remove_indicators") or []
    doc["add_indicators"] = [a for a in doc.get("add_indicators") or [] if a not in added]
    (doc.get("change_indicators") or {}).pop(indicator, None)
    if not added or indicator in removed:              # the other pack's indicator (or its replacement)
        doc["remove_indicators"] = [*[r for r in removed if r != indicator], indicator]
    return write(sources, pack, _path(name), {k: v for k, v in doc.items() if v not in ([], {})})
