"""The studio's own pack in a draft: the company's overlay that edits in the browser are written to.

Every studio edit changes this pack's YAML files, so a draft stays a set of packs that exports,
imports and versions like any other. The pack `extends` every other pack of the draft, so it is
applied last and may change anything. What another pack defines is changed by overlay (`add_fields`,
`change_fields`, `add_items` …); what this pack defines itself is edited in place.
"""
from __future__ import annotations

from dataclasses import fields as dc_fields
from typing import Any, Mapping

import yaml

from metadata.model import CodeList, Field, Metadata
from metadata.source import PackSource
from metadata.types import PROPERTY_TYPES

from .metastore import pack_name

DEFAULT_NAME = "company"
SKIP = {"name", "storage", "fields", "rollup", "type"}   # not field properties a field editor sets

# Type changes offered: the stored value keeps its meaning (others would need a data migration).
COMPATIBLE_TYPES: dict[str, tuple[str, ...]] = {
    "integer": ("decimal", "money", "percent", "text"),
    "decimal": ("money", "percent", "text"),
    "money": ("decimal",),
    "percent": ("decimal",),
    "text": ("long_text", "choice", "phone", "email", "id_number", "uscc"),
    "long_text": ("text",),
    "phone": ("text",), "email": ("text",), "id_number": ("text",), "uscc": ("text",),
    "choice": ("text", "multichoice"),
    "date": ("datetime",),
}


# -- the pack ------------------------------------------------------------------------------------

def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def _find(sources, name: str) -> PackSource | None:
    return next((s for s in sources if pack_name(s) == name), None)


def _manifest(sources, name: str) -> dict:
    others = [pack_name(s) for s in sources if pack_name(s) != name]
    own = _find(sources, name)
    data = (yaml.safe_load(own.files.get("pack.yaml") or "") if own else None) or {}
    data.setdefault("name", name)
    data.setdefault("version", "1.0.0")
    data.setdefault("title", {"zh": "本公司配置", "en": "Company configuration"})
    for key in ("requires", "extends"):    # every other pack (kept: the version ranges given)
        listed = {d["name"]: d for d in data.get(key) or []}
        data[key] = [listed.get(o) or {"name": o} for o in others if not _depends_on(sources, o, name)]
    return data


def _depends_on(sources, pack: str, on: str) -> bool:
    source = _find(sources, pack)
    data = yaml.safe_load(source.files.get("pack.yaml") or "") or {} if source else {}
    return any(d.get("name") == on for key in ("requires", "extends") for d in data.get(key) or [])


def read(sources, pack: str, path: str) -> dict | None:
    own = _find(sources, pack)
    text = own.files.get(path) if own else None
    return yaml.safe_load(text) if text else None


def write(sources, pack: str, path: str, data: dict | None) -> list[PackSource]:
    """The sources with the studio pack's `path` set to `data` (None: the file removed)."""
    own = _find(sources, pack)
    files = dict(own.files) if own else {}
    if data is None:
        files.pop(path, None)
    else:
        files[path] = _dump(data)
    files["pack.yaml"] = _dump(_manifest(sources, pack))
    new = PackSource(own.label if own else pack, files, own.binaries if own else {})
    return [new if s is own else s for s in sources] + ([] if own else [new])


def defines(doc: dict | None) -> bool:
    """Whether the studio pack's file defines the thing (else it is an overlay or absent)."""
    return bool(doc) and "name" in doc


# -- compiled metadata back to YAML shapes ---------------------------------------------------------

def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in dc_fields(value)
                if not (f.name == "active" and getattr(value, f.name) is True)}
    return value


def field_spec(field: Field) -> dict:
    """A compiled field as the properties a pack writes (defaults left out)."""
    out = {"name": field.name, "type": field.type}
    for f in dc_fields(field):
        value = getattr(field, f.name)
        if f.name in SKIP or value == f.default or value in ((), None):
            continue
        if f.name == "formula" and field.is_rollup:
            continue
        out[f.name] = _plain(value)
    if field.rollup is not None:               # as written: `from`, `link`, `aggregate` …
        r = field.rollup
        out.update({k: v for k, v in (("from", r.source), ("link", r.link), ("aggregate", r.aggregate),
                                      ("field", r.field), ("where", r.where), ("order_by", r.order_by)) if v})
    return out


# -- code lists ------------------------------------------------------------------------------------

def put_codelist(sources, pack: str, meta: Metadata | None, name: str, label: dict) -> list[PackSource]:
    """Create a code list, or relabel one."""
    path = f"codelists/{name}.yaml"
    doc = read(sources, pack, path)
    if defines(doc):
        doc["label"] = label
    elif meta is not None and name in meta.codelists:
        doc = {**(doc or {"overlay": name}), "label": label}
    else:
        doc = {"name": name, "label": label, "items": []}
    return write(sources, pack, path, doc)


def put_item(sources, pack: str, meta: Metadata | None, codelist: str, item: dict) -> list[PackSource]:
    """Add or change an entry (`item`: code, label, optional parent and active)."""
    path = f"codelists/{codelist}.yaml"
    doc = read(sources, pack, path) or {"overlay": codelist}
    code = str(item["code"])
    clean = {k: v for k, v in item.items() if v not in (None, "") and not (k == "active" and v is True)}
    if defines(doc):
        items = doc.setdefault("items", [])
        _replace_or_append(items, clean)
    elif any(str(i["code"]) == code for i in doc.get("add_items") or []):
        _replace_or_append(doc["add_items"], clean)
    elif meta is not None and codelist in meta.codelists and meta.codelist(codelist).get(code) is not None:
        change = doc.setdefault("change_items", {}).setdefault(code, {})
        change["label"] = item["label"]
        change["active"] = item.get("active", True) is not False
    else:
        doc.setdefault("add_items", []).append(clean)
    return write(sources, pack, path, doc)


def _replace_or_append(items: list, new: dict, key: str = "code") -> None:
    """Replace the item with `new`'s key (a code-list entry's code, a validation's name), else append."""
    at = next((n for n, i in enumerate(items) if str(i[key]) == str(new[key])), None)
    if at is None:
        items.append(new)
    else:
        items[at] = new


def codelist_owned(sources, pack: str, name: str) -> bool:
    return defines(read(sources, pack, f"codelists/{name}.yaml"))


def item_spec(codelist: CodeList, code: str) -> dict:
    item = codelist.get(code)
    return {"code": item.code, "label": _plain(item.label), "parent": item.parent, "active": item.active}


# -- entities and fields ---------------------------------------------------------------------------

def put_entity(sources, pack: str, meta: Metadata | None, name: str, label: dict) -> list[PackSource]:
    """Create an entity (with a required name field, its title), or relabel one."""
    path = f"entities/{name}.yaml"
    doc = read(sources, pack, path)
    if defines(doc):
        doc["label"] = label
    elif meta is not None and name in meta.entities:
        doc = {**(doc or {"overlay": name}), "label": label}
    else:
        doc = {"name": name, "label": label, "title_field": "name", "search_fields": ["name"],
               "list_columns": ["name"],
               "fields": [{"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"},
                           "required": True, "max_length": 200}]}
    return write(sources, pack, path, doc)


def put_field(sources, pack: str, meta: Metadata | None, entity: str, spec: dict,
              after: str | None = None, table: str | None = None) -> list[PackSource]:
    """Add a field or change one (`table`: a column of that child table). `spec` holds the properties
    the editor sets; for a field of another pack only those that differ are written (`change_fields`),
    and a type change drops the properties the new type does not take (`unset`)."""
    path = f"entities/{entity}.yaml"
    doc = read(sources, pack, path) or {"overlay": entity}
    name = spec["name"]
    dotted = f"{table}.{name}" if table else name
    current = _current(meta, entity, dotted)
    added_table = _added(doc, table) if table else None
    if defines(doc):
        _put_spec(_columns(doc.setdefault("fields", []), table), spec, after)
    elif added_table is not None:                     # a table the studio added: its columns in place
        _put_spec(added_table.setdefault("fields", []), spec, after)
    elif _added(doc, dotted) is not None:
        _put_spec(doc["add_fields"], spec, None, keep_after=True)
    elif current is not None:
        old = field_spec(current)
        change = {k: v for k, v in spec.items() if k != "name" and old.get(k) != v}
        unset = [k for k in old if k not in SKIP and k not in spec and not applies(k, spec["type"])
                 and spec["type"] != old["type"]]           # (the same type: what compiling filled in)
        if unset:
            change["unset"] = unset
        if change:
            merged = doc.setdefault("change_fields", {}).setdefault(dotted, {})
            merged.update(change)
    else:
        if table:                                     # a new column goes after one of its table's
            after = f"{table}.{after or meta.entity(entity).field(table).fields[-1].name}"
        doc.setdefault("add_fields", []).append({**spec, **({"after": after} if after else {})})
    return write(sources, pack, path, doc)


def _columns(fields: list, table: str | None) -> list:
    """The list a field goes in: the entity's fields, or the named child table's."""
    if table is None:
        return fields
    return next(f for f in fields if f["name"] == table).setdefault("fields", [])


def _added(doc: dict, dotted: str) -> dict | None:
    """The overlay's `add_fields` entry of a field (`table.column`: added after one of that table's)."""
    table, _dot, name = dotted.rpartition(".")
    for f in doc.get("add_fields") or []:
        where = (f.get("after") or "").rpartition(".")[0]
        if f["name"] == name and where == table:
            return f
    return None


def applies(prop: str, type_name: str) -> bool:
    types = PROPERTY_TYPES.get(prop)
    return types is None or type_name in types


def _put_spec(fields: list, spec: dict, after: str | None, keep_after: bool = False) -> None:
    at = next((n for n, f in enumerate(fields) if f["name"] == spec["name"]), None)
    if at is not None:
        old = fields[at]
        kept = {k: old[k] for k in ("fields",) if k in old and k not in spec}     # a table keeps its columns
        fields[at] = {**spec, **kept, **({"after": old["after"]} if keep_after and old.get("after") else {})}
        return
    if after and not keep_after:
        anchor = next((n for n, f in enumerate(fields) if f["name"] == after), None)
        if anchor is not None:
            fields.insert(anchor + 1, dict(spec))
            return
    fields.append({**spec, **({"after": after} if keep_after and after else {})})


def _current(meta: Metadata | None, entity: str, dotted: str) -> Field | None:
    table, _dot, name = dotted.rpartition(".")
    if meta is None or entity not in meta.entities or not meta.entity(entity).has(table or name):
        return None
    found = meta.entity(entity).field(table or name)
    if not table:
        return found
    return next((c for c in found.fields if c.name == name), None)


def remove_field(sources, pack: str, entity: str, dotted: str) -> list[PackSource]:
    """Take a field (or `table.column`) out of the model (its data stays until `danbao purge`)."""
    path = f"entities/{entity}.yaml"
    doc = read(sources, pack, path) or {"overlay": entity}
    table, _dot, name = dotted.rpartition(".")
    added_table = _added(doc, table) if table else None
    if defines(doc) or added_table is not None:
        columns = _columns(doc["fields"], table or None) if defines(doc) else added_table["fields"]
        columns[:] = [f for f in columns if f["name"] != name]
    elif _added(doc, dotted) is not None:
        doc["add_fields"].remove(_added(doc, dotted))
        (doc.get("change_fields") or {}).pop(dotted, None)
    else:
        removed = doc.setdefault("remove_fields", [])
        if dotted not in removed:
            removed.append(dotted)
    return write(sources, pack, path, _without_empty(doc))


def _without_empty(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v not in ([], {}, None)}


# -- menus -----------------------------------------------------------------------------------------

def put_menu_groups(sources, pack: str, meta: Metadata | None, name: str, groups: list[dict]) -> list[PackSource]:
    """Set a menu's groups ({name, label, entities} in order): in place, by overlay, or a new menu."""
    path = f"menus/{name}.yaml"
    doc = read(sources, pack, path)
    if defines(doc):
        doc["groups"] = groups
    elif meta is not None and name in meta.kinds.get("menus", {}):
        doc = {"overlay": name, "groups": groups}
    else:
        doc = {"name": name, "groups": groups}
    return write(sources, pack, path, doc)


# -- entity-level validations ----------------------------------------------------------------------

def put_validation(sources, pack: str, meta: Metadata | None, entity: str, spec: dict) -> list[PackSource]:
    """Add or change a validation ({name, formula, message, field?}): in place, or by overlay
    (`add_validations`, or `change_validations` with what differs for another pack's)."""
    path = f"entities/{entity}.yaml"
    doc = read(sources, pack, path) or {"overlay": entity}
    name = spec["name"]
    if defines(doc):
        _replace_or_append(doc.setdefault("validations", []), spec, "name")
    elif any(v["name"] == name for v in doc.get("add_validations") or []):
        _replace_or_append(doc["add_validations"], spec, "name")
    else:
        current = next((v for v in (meta.entity(entity).validations if meta and entity in meta.entities else ())
                        if v.name == name), None)
        if current is None:
            doc.setdefault("add_validations", []).append(spec)
        else:
            old = {"formula": current.formula, "message": _plain(current.message), "field": current.field}
            change = {k: v for k, v in spec.items() if k != "name" and old.get(k) != v}
            if change:
                doc.setdefault("change_validations", {}).setdefault(name, {}).update(change)
    return write(sources, pack, path, doc)


def remove_validation(sources, pack: str, entity: str, name: str) -> list[PackSource]:
    path = f"entities/{entity}.yaml"
    doc = read(sources, pack, path) or {"overlay": entity}
    if defines(doc):
        doc["validations"] = [v for v in doc.get("validations") or [] if v["name"] != name]
    elif any(v["name"] == name for v in doc.get("add_validations") or []):
        doc["add_validations"] = [v for v in doc["add_validations"] if v["name"] != name]
    else:
        (doc.get("change_validations") or {}).pop(name, None)
        removed = doc.setdefault("remove_validations", [])
        if name not in removed:
            removed.append(name)
    return write(sources, pack, path, _without_empty(doc))

