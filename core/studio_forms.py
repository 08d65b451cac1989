"""Form layouts in the studio's pack: pure edits of a draft's sources (docs/studio.md).

The editor works on a form's whole layout, as a pack writes it: tabs → sections (label, columns,
fields; or `related` records) → fields. Every edit reads the layout, changes it and writes it back.

- A form the studio pack defines (`forms/<name>.yaml` with `name:`) holds its layout: edited in place.
- A form of another pack cannot be edited that way. A form overlay adds and removes tabs, sections
  and fields but cannot reorder or relabel them or change a section's columns; the loader refuses a
  second definition of the same name (no replacing a document); and a form that `extends` another
  is a form of another name, which the entity's screens would not use. What the loader does support
  is several overlay files of one form in a pack, applied in file-name order. So the studio writes
  the form's whole layout as two overlays: `forms/<name>.reset.yaml` takes off every section the form
  had before the studio's changes (`remove_sections`; a tab goes with its last section), then
  `forms/<name>.yaml` adds the studio's layout back (`add_tabs`) under the same tab and section
  names, so the overlays and extending forms that name them keep working. As with an overlay's
  `remove_fields`, a field left off such a form stays off on purpose (it is not put in 其他/Other);
  on the studio's own forms, a field no section names is shown in 其他/Other by the loader.
"""
from __future__ import annotations

import copy

from metadata.form import RELATED_LIMIT
from metadata.model import Form, Metadata

from .studio_pack import _plain, defines, read, write

OTHER_LABEL = {"zh": "其他", "en": "Other"}    # the section the loader adds for unplaced fields
OVERLAY_OPS = ("extends", "add_tabs", "add_sections", "add_fields", "remove_fields", "remove_sections")


def path_of(name: str) -> str:
    return f"forms/{name}.yaml"


def reset_path_of(name: str) -> str:
    """The overlay taking off another pack's sections; its name sorts before `path_of(name)`."""
    return f"forms/{name}.reset.yaml"


def owned(sources, pack: str, name: str) -> bool:
    return defines(read(sources, pack, path_of(name)))


# -- reading a layout ------------------------------------------------------------------------------

def layout(sources, pack: str, meta: Metadata | None, name: str) -> list[dict]:
    """The form's tabs as a pack writes them (KeyError: no such form)."""
    doc = read(sources, pack, path_of(name))
    if defines(doc) and ("tabs" in doc or "sections" in doc):
        return copy.deepcopy(doc.get("tabs") or [{"name": "main", "sections": doc["sections"]}])
    if doc and "add_tabs" in doc and read(sources, pack, reset_path_of(name)):
        return copy.deepcopy(doc["add_tabs"])       # written by `put_layout` before
    if meta is None or name not in meta.forms:
        raise KeyError(name)
    return tabs_of(meta.forms[name])


def tabs_of(form: Form) -> list[dict]:
    """A compiled form's layout (without the section the loader adds for unplaced fields)."""
    tabs = [{**_labelled(t.name, t.label), "sections": [section_spec(s) for s in t.sections]} for t in form.tabs]
    if other_section(form) is not None:
        tabs[-1]["sections"].pop()
        if not tabs[-1]["sections"]:
            tabs.pop()
    return tabs


def other_section(form: Form):
    """The trailing "其他 / Other" section the loader added (a pack's own section of that name is
    told apart by its label), or None."""
    last = form.tabs[-1].sections[-1] if form.tabs and form.tabs[-1].sections else None
    if last is not None and last.name == "other" and getattr(last, "related", None) is None \
            and dict(last.label) == OTHER_LABEL:
        return last
    return None


def section_spec(section) -> dict:
    out = _labelled(section.name, section.label)
    related = getattr(section, "related", None)
    if related is None:
        return {**out, "columns": section.columns, "fields": list(section.fields)}
    spec = {"entity": related.entity, "link": related.link}
    if related.columns:
        spec["columns"] = list(related.columns)
    if related.order_by != "-id":
        spec["order_by"] = related.order_by
    if related.limit != RELATED_LIMIT:
        spec["limit"] = related.limit
    if related.label:
        spec["label"] = _plain(related.label)
    if not related.new:
        spec["new"] = False
    return {**out, "related": spec}


def _labelled(name: str, label) -> dict:
    plain = {k: v for k, v in (_plain(label) or {}).items() if v}
    return {"name": name, **({"label": plain} if plain else {})}


def sections(tabs: list[dict]) -> list[dict]:
    return [s for t in tabs for s in t["sections"]]


def placed(tabs: list[dict]) -> list[str]:
    return [f for s in sections(tabs) for f in s.get("fields", ())]


def names(tabs: list[dict]) -> set[str]:
    """Tab and section names in use (a new tab's first section takes the tab's name)."""
    return {t["name"] for t in tabs} | {s["name"] for s in sections(tabs)}


# -- writing a layout ------------------------------------------------------------------------------

def put_layout(sources, pack: str, meta: Metadata | None, name: str, tabs: list[dict]) -> list:
    """Write the form's whole layout into the studio pack (see the module's doc for how)."""
    if not tabs or any(not t["sections"] for t in tabs):
        raise ValueError("a form needs a tab, and a tab a section")
    doc = read(sources, pack, path_of(name))
    if defines(doc):
        doc = {k: v for k, v in doc.items() if k not in OVERLAY_OPS and k != "sections"}
        return write(sources, pack, path_of(name), {**doc, "tabs": tabs})
    reset = read(sources, pack, reset_path_of(name)) or {
        "overlay": name, "remove_sections": _base_sections(meta, name, doc or {})}
    sources = write(sources, pack, reset_path_of(name), reset)
    label = {"label": doc["label"]} if doc and "label" in doc else {}
    return write(sources, pack, path_of(name), {"overlay": name, **label, "add_tabs": tabs})


def _base_sections(meta: Metadata | None, name: str, overlay: dict) -> list[str]:
    """The sections the form has before the studio pack's overlay (which `meta` includes)."""
    if meta is None or name not in meta.forms:
        raise KeyError(name)
    added = {s["section"]["name"] for s in overlay.get("add_sections", ())}
    added |= {s["name"] for t in overlay.get("add_tabs", ()) for s in t["sections"]}
    have = [s["name"] for s in sections(tabs_of(meta.forms[name])) if s["name"] not in added]
    return have + [s for s in overlay.get("remove_sections", ()) if s not in have]


def create_form(sources, pack: str, name: str, entity: str, label: dict) -> list:
    """A new form of the studio's own: one tab with one section, fields still to be placed."""
    tab = {"name": "main", "label": {"zh": "基本信息", "en": "Basic"},
           "sections": [{"name": "basic", "label": {"zh": "基本信息", "en": "Basic"}, "columns": 2, "fields": []}]}
    return write(sources, pack, path_of(name), {"name": name, "entity": entity, "label": label, "tabs": [tab]})


def _edit(sources, pack, meta, name, change) -> list:
    tabs = layout(sources, pack, meta, name)
    change(tabs)
    return put_layout(sources, pack, meta, name, tabs)


# -- edits -----------------------------------------------------------------------------------------
# Each takes names the layout has (KeyError otherwise) and input the caller checked (names free,
# labels given, columns 1–4).

def add_tab(sources, pack, meta, form: str, name: str, label: dict) -> list:
    """A new last tab with a first section of the same name and label."""
    section = {"name": name, "label": label, "columns": 2, "fields": []}
    return _edit(sources, pack, meta, form, lambda tabs: tabs.append({"name": name, "label": label,
                                                                       "sections": [section]}))


def relabel_tab(sources, pack, meta, form: str, tab: str, label: dict) -> list:
    return _edit(sources, pack, meta, form, lambda tabs: _tab(tabs, tab).update(label=label))


def remove_tab(sources, pack, meta, form: str, tab: str) -> list:
    """Take a tab off with its sections (their fields leave the form); not the last tab."""
    def change(tabs):
        if len(tabs) == 1:
            raise ValueError("the last tab")
        tabs.remove(_tab(tabs, tab))
    return _edit(sources, pack, meta, form, change)


def move_tab(sources, pack, meta, form: str, tab: str, step: int) -> list:
    def change(tabs):
        at = tabs.index(_tab(tabs, tab))
        if 0 <= at + step < len(tabs):
            tabs[at], tabs[at + step] = tabs[at + step], tabs[at]
    return _edit(sources, pack, meta, form, change)


def add_section(sources, pack, meta, form: str, tab: str, name: str, label: dict, columns: int) -> list:
    section = {"name": name, "label": label, "columns": columns, "fields": []}
    return _edit(sources, pack, meta, form, lambda tabs: _tab(tabs, tab)["sections"].append(section))


def change_section(sources, pack, meta, form: str, section: str, label: dict, columns: int | None) -> list:
    """Relabel a section and set its columns (None: a section of related records has none)."""
    def change(tabs):
        found = _section(tabs, section)[1]
        found["label"] = label
        if "fields" in found and columns is not None:
            found["columns"] = columns
    return _edit(sources, pack, meta, form, change)


def remove_section(sources, pack, meta, form: str, section: str) -> list:
    """Take a section off (its fields leave the form); a tab left without sections goes too."""
    def change(tabs):
        tab, found = _section(tabs, section)
        if len(sections(tabs)) == 1:
            raise ValueError("the last section")
        tab["sections"].remove(found)
        if not tab["sections"]:
            tabs.remove(tab)
    return _edit(sources, pack, meta, form, change)


def can_move_section(tabs: list[dict], section: str, step: int) -> bool:
    """Within its tab, or over the tab's edge into the next tab when its tab keeps another section."""
    tab, found = _section(tabs, section)
    at, t = tab["sections"].index(found), tabs.index(tab)
    if 0 <= at + step < len(tab["sections"]):
        return True
    return len(tab["sections"]) > 1 and 0 <= t + step < len(tabs)


def move_section(sources, pack, meta, form: str, section: str, step: int) -> list:
    def change(tabs):
        if not can_move_section(tabs, section, step):
            return
        tab, found = _section(tabs, section)
        at, t = tab["sections"].index(found), tabs.index(tab)
        if 0 <= at + step < len(tab["sections"]):
            tab["sections"][at], tab["sections"][at + step] = tab["sections"][at + step], found
            return
        tab["sections"].remove(found)
        neighbour = tabs[t + step]["sections"]
        neighbour.insert(len(neighbour) if step < 0 else 0, found)
    return _edit(sources, pack, meta, form, change)


def add_field(sources, pack, meta, form: str, section: str, field: str) -> list:
    """Place a field last in a section (ValueError: it is on the form, or the section lists records)."""
    def change(tabs):
        found = _section(tabs, section)[1]
        if field in placed(tabs) or "fields" not in found:
            raise ValueError(field)
        found["fields"].append(field)
    return _edit(sources, pack, meta, form, change)


def remove_field(sources, pack, meta, form: str, field: str) -> list:
    def change(tabs):
        _field_section(tabs, field)["fields"].remove(field)
    return _edit(sources, pack, meta, form, change)


def can_move_field(tabs: list[dict], field: str, step: int) -> bool:
    """Within its section, or over the section's edge into the next section of fields."""
    holders = [s for s in sections(tabs) if "fields" in s]
    here = _field_section(tabs, field)
    at, s = here["fields"].index(field), holders.index(here)
    return 0 <= at + step < len(here["fields"]) or 0 <= s + step < len(holders)


def move_field(sources, pack, meta, form: str, field: str, step: int) -> list:
    def change(tabs):
        if not can_move_field(tabs, field, step):
            return
        holders = [s for s in sections(tabs) if "fields" in s]
        here = _field_section(tabs, field)
        fields, at = here["fields"], here["fields"].index(field)
        if 0 <= at + step < len(fields):
            fields[at], fields[at + step] = fields[at + step], field
            return
        fields.remove(field)
        there = holders[holders.index(here) + step]["fields"]
        there.insert(len(there) if step < 0 else 0, field)
    return _edit(sources, pack, meta, form, change)


def _tab(tabs: list[dict], name: str) -> dict:
    found = next((t for t in tabs if t["name"] == name), None)
    if found is None:
        raise KeyError(name)
    return found


def _section(tabs: list[dict], name: str) -> tuple[dict, dict]:
    found = next(((t, s) for t in tabs for s in t["sections"] if s["name"] == name), None)
    if found is None:
        raise KeyError(name)
    return found


def _field_section(tabs: list[dict], field: str) -> dict:
    found = next((s for s in sections(tabs) if field in s.get("fields", ())), None)
    if found is None:
        raise KeyError(field)
    return found
