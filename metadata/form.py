"""The form kind: tabs, sections and columns over an entity's fields."""
from __future__ import annotations

from .doc import Doc
from .errors import Problem
from .kinds import Context, Kind, register_kind
from .labels import label, overlay_value
from .model import Form, Section, Tab
from .yamlsource import line_of


def _tabs(data: dict) -> list[dict]:
    """A form without tabs has one unnamed tab; normalise so overlays see one shape."""
    if "sections" in data:
        data["tabs"] = [{"name": "main", "sections": data.pop("sections")}]
    return data["tabs"]


def _sections(data: dict):
    for tab in _tabs(data):
        for section in tab["sections"]:
            yield tab, section


def overlay(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    def bad(raw_path, message):
        ctx.problems.append(Problem(file, line_of(lines, raw_path), ".".join(map(str, raw_path)), message))

    tabs = _tabs(doc.data)
    if "label" in data:
        doc.data["label"] = overlay_value("label", doc.data.get("label"), data["label"])
        ctx.touch(doc, ("label",), pack, file, lines.get(("label",)))
    for i, tab in enumerate(data.get("add_tabs", [])):
        if any(t["name"] == tab["name"] for t in tabs):
            bad(("add_tabs", i, "name"), f"tab '{tab['name']}' already exists")
            continue
        tabs.append(tab)
        doc.add_locs(file, lines, data, ("add_tabs", tab["name"]), ("tabs", tab["name"]))
    for i, spec in enumerate(data.get("add_sections", [])):
        tab = next((t for t in tabs if t["name"] == spec.get("tab", tabs[0]["name"])), None)
        if tab is None:
            bad(("add_sections", i, "tab"), f"no tab '{spec['tab']}'")
            continue
        names = [s["name"] for s in tab["sections"]]
        if spec["section"]["name"] in names:
            bad(("add_sections", i, "section", "name"), f"section '{spec['section']['name']}' already exists")
            continue
        position = len(names)
        if spec.get("after"):
            if spec["after"] not in names:
                bad(("add_sections", i, "after"), f"no section '{spec['after']}' in tab '{tab['name']}'")
                continue
            position = names.index(spec["after"]) + 1
        tab["sections"].insert(position, spec["section"])
        ctx.touch(doc, ("tabs", tab["name"], "sections", spec["section"]["name"]), pack, file,
                  lines.get(("add_sections", i)))
    for i, spec in enumerate(data.get("add_fields", [])):
        section = next((s for _, s in _sections(doc.data) if s["name"] == spec["section"]), None)
        if section is None:
            bad(("add_fields", i, "section"), f"no section '{spec['section']}'")
            continue
        position = len(section["fields"])
        if spec.get("after"):
            if spec["after"] not in section["fields"]:
                bad(("add_fields", i, "after"), f"no field '{spec['after']}' in section '{spec['section']}'")
                continue
            position = section["fields"].index(spec["after"]) + 1
        section["fields"][position:position] = spec["fields"]
        for name in spec["fields"]:
            doc.locs[("fields", name)] = (file, line_of(lines, ("add_fields", i)))
            ctx.touch(doc, ("fields", name), pack, file, line_of(lines, ("add_fields", i)))
    for i, name in enumerate(data.get("remove_fields", [])):
        hit = [s for _, s in _sections(doc.data) if name in s["fields"]]
        if not hit:
            bad(("remove_fields", i), f"no field '{name}' on this form")
        for s in hit:
            s["fields"].remove(name)


def compile_form(doc: Doc, ctx: Context) -> Form | None:
    entity = ctx.compiled.get("entities", {}).get(doc.data["entity"])
    if entity is None:
        ctx.report(doc, ("entity",), f"no entity '{doc.data['entity']}'")
        return None
    placed: set[str] = set()
    tabs = []
    for tab in _tabs(doc.data):
        sections = []
        for s in tab["sections"]:
            for name in s["fields"]:
                path = ("tabs", tab["name"], "sections", s["name"], "fields")
                if name in entity.removed_fields:
                    continue  # a field removed by an overlay leaves the layout with it
                if not entity.has(name):
                    ctx.report(doc, path, f"entity '{entity.name}' has no field '{name}'")
                elif name in placed:
                    ctx.report(doc, path, f"field '{name}' is placed twice on the form")
                placed.add(name)
            sections.append(Section(s["name"], label(s.get("label"), ""), s.get("columns", 2),
                                    tuple(n for n in s["fields"] if entity.has(n))))
        tabs.append(Tab(tab["name"], label(tab.get("label"), ""), tuple(sections)))
    if len({t.name for t in tabs}) != len(tabs):
        ctx.report(doc, ("tabs",), "tab names must be unique")
    # visible fields nobody placed (e.g. added by an overlay) are never out of reach
    rest = tuple(f.name for f in entity.fields if f.name not in placed and not f.hidden)
    if rest:
        other = Section("other", label({"zh": "其他", "en": "Other"}), 2, rest)
        tabs[-1] = Tab(tabs[-1].name, tabs[-1].label, tabs[-1].sections + (other,))
    return Form(name=doc.name, entity=entity.name, label=label(doc.data.get("label"), entity.label.get("zh")),
                tabs=tuple(tabs), pack=doc.pack)


register_kind(Kind(folder="forms", schema="form.json", overlay_schema="form_overlay.json",
                   overlay=overlay, compile=compile_form, order=30))
