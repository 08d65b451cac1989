"""The form kind: tabs, sections and columns over an entity's fields, and sections that list the
records of another entity linking to the form's record (`related`)."""
from __future__ import annotations

import copy
from dataclasses import dataclass

from .doc import Doc
from .errors import Problem
from .kinds import Context, Kind, register_kind
from .labels import label, overlay_value
from .model import Entity, Form, Label, Section, Tab
from .yamlsource import line_of

RELATED_LIMIT = 10                                                  # rows shown when `limit` is not given
UNSORTED_TYPES = {"link", "user", "multichoice", "table", "attachment"}   # as the lists: no sort on these


@dataclass(frozen=True)
class Related:
    """The records of `entity` whose `link` (a link field, or `table.column` in a child table) names
    the form's record: shown on the record view as a table with a count and a 新建 button."""
    entity: str
    link: str
    columns: tuple[str, ...]          # empty: the related entity's list columns
    order_by: str = "-id"             # a field, `-` in front for descending
    limit: int = RELATED_LIMIT
    label: Label | None = None        # None: the related entity's label
    new: bool = True                  # offer 新建 (to users who may create the entity)

    @property
    def link_field(self) -> str:
        return self.link.split(".")[0]


@dataclass(frozen=True)
class RelatedSection(Section):
    related: Related | None = None


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
    """Apply a form overlay (or an extending form's own changes, see `_derive`) to `doc`."""
    if "extends" in doc.data and "tabs" not in doc.data:    # laid out from its base when compiled
        doc.data.setdefault("_overlays", []).append((data, lines, pack, file))
        return

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
        if "related" in section:
            bad(("add_fields", i, "section"), f"section '{spec['section']}' lists related records, not fields")
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
        hit = [s for _, s in _sections(doc.data) if name in s.get("fields", ())]
        if not hit:
            bad(("remove_fields", i), f"no field '{name}' on this form")
        for s in hit:
            s["fields"].remove(name)
        doc.data.setdefault("_omitted", []).append(name)
    for i, name in enumerate(data.get("remove_sections", [])):
        hit = [(t, s) for t, s in _sections(doc.data) if s["name"] == name]
        if not hit:
            bad(("remove_sections", i), f"no section '{name}' on this form")
        for t, s in hit:
            t["sections"].remove(s)
            doc.data.setdefault("_omitted", []).extend(s.get("fields", ()))
    for tab in [t for t in tabs if not t["sections"]]:     # a tab left without sections goes too
        tabs.remove(tab)


def _derive(doc: Doc, ctx: Context) -> Doc | None:
    """A form with `extends`: a copy of the base form's final layout (its overlays applied) changed
    by the form's own add_/remove_ lists, then by overlays of the extending form itself."""
    base = ctx.docs["forms"].get(doc.data["extends"])
    if base is None or "extends" in base.data:
        ctx.report(doc, ("extends",), f"no form '{doc.data['extends']}' to extend" if base is None
                   else f"form '{base.name}' extends another form itself; extend '{base.data['extends']}'")
        return None
    if base.data["entity"] != doc.data["entity"]:
        ctx.report(doc, ("extends",), f"form '{base.name}' is for entity '{base.data['entity']}', "
                                      f"not '{doc.data['entity']}'")
        return None
    data = copy.deepcopy({k: v for k, v in base.data.items() if not k.startswith("_")})
    data.update(name=doc.name, entity=doc.data["entity"], label=doc.data.get("label", data.get("label")))
    derived = Doc(doc.kind, doc.name, doc.pack, doc.file, data, {**base.locs, **doc.locs})
    overlay(derived, doc.data, doc.lines, doc.pack, doc.file, ctx)
    for later in doc.data.get("_overlays", ()):
        overlay(derived, *later, ctx)
    return derived

def compile_form(doc: Doc, ctx: Context) -> Form | None:
    if "extends" in doc.data and (doc := _derive(doc, ctx)) is None:
        return None
    entity = ctx.compiled.get("entities", {}).get(doc.data["entity"])
    if entity is None:
        ctx.report(doc, ("entity",), f"no entity '{doc.data['entity']}'")
        return None
    placed: set[str] = set()
    tabs = []
    for tab in _tabs(doc.data):
        sections = []
        for s in tab["sections"]:
            where = _section_path(doc, tab["name"], s["name"])
            if "related" in s:
                rel = _related(doc, ctx, entity, s["related"], where + ("related",))
                sections.append(RelatedSection(s["name"], label(s.get("label"), ""), 1, (), rel))
                continue
            for name in s["fields"]:
                path = where + ("fields",)
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
    if not tabs:                     # e.g. overlays took every section off and added none back
        ctx.report(doc, ("tabs",), "the form has no sections left")
        return None
    # visible fields nobody placed (e.g. added by an overlay) are never out of reach
    # (but a field the form removes on purpose stays off it)
    omitted = set(doc.data.get("_omitted", ()))
    rest = tuple(f.name for f in entity.fields if f.name not in placed | omitted and not f.hidden)
    if rest:
        other = Section("other", label({"zh": "其他", "en": "Other"}), 2, rest)
        tabs[-1] = Tab(tabs[-1].name, tabs[-1].label, tabs[-1].sections + (other,))
    return Form(name=doc.name, entity=entity.name, label=label(doc.data.get("label"), entity.label.get("zh")),
                tabs=tuple(tabs), pack=doc.pack)


def _section_path(doc: Doc, tab: str, section: str) -> tuple:
    """Where a section's problems are reported: `tabs.T.sections.S`, or `sections.S` in a form
    written without tabs (the merge gives every form tabs; the file's lines do not)."""
    if ("tabs", tab, "sections", section) not in doc.locs and ("sections", section) in doc.locs:
        return ("sections", section)
    return ("tabs", tab, "sections", section)


def _related(doc: Doc, ctx: Context, owner: Entity, data: dict, path: tuple) -> Related | None:
    """Check a `related` list against the model: the entity exists, `link` is a link of it to the
    form's entity, the columns and the sort field exist (each problem at its key)."""
    target = ctx.compiled.get("entities", {}).get(data["entity"])
    if target is None:
        ctx.report(doc, path + ("entity",), f"no entity '{data['entity']}'")
        return None
    ok = True
    link = _link_field(target, data["link"])
    if link is None:
        ctx.report(doc, path + ("link",), f"entity '{target.name}' has no link field '{data['link']}'")
        ok = False
    elif link.entity != owner.name:
        ctx.report(doc, path + ("link",), f"'{target.name}.{data['link']}' links to '{link.entity}', "
                                          f"not to '{owner.name}'")
        ok = False
    for i, name in enumerate(data.get("columns", ())):
        if name in target.removed_fields:
            continue
        if not target.has(name):
            ctx.report(doc, path + ("columns", i), f"entity '{target.name}' has no field '{name}'")
            ok = False
        elif target.field(name).is_table:
            ctx.report(doc, path + ("columns", i), f"'{name}' is a child table: it cannot be a column")
            ok = False
    order_by = data.get("order_by", "-id")
    key = order_by.lstrip("-")
    if key not in ("id", "created_at", "updated_at"):
        if not target.has(key):
            ctx.report(doc, path + ("order_by",), f"entity '{target.name}' has no field '{key}'")
            ok = False
        elif target.field(key).value_type in UNSORTED_TYPES or target.field(key).storage == "json":
            ctx.report(doc, path + ("order_by",), f"cannot sort by '{key}' ({target.field(key).type})")
            ok = False
    if not ok:
        return None
    return Related(target.name, data["link"], tuple(n for n in data.get("columns", ()) if target.has(n)),
                   order_by, data.get("limit", RELATED_LIMIT), label(data["label"]) if data.get("label") else None,
                   data.get("new", True))


def _link_field(entity: Entity, path: str):
    head, _, column = path.partition(".")
    if not entity.has(head):
        return None
    f = entity.field(head)
    if column:
        if not f.is_table:
            return None
        f = next((c for c in f.fields if c.name == column), None)
    return f if f is not None and f.type == "link" else None


register_kind(Kind(folder="forms", schema="form.json", overlay_schema="form_overlay.json",
                   overlay=overlay, compile=compile_form, order=30))
