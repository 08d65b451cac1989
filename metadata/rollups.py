"""Compile and check `rollup` fields: aggregates over the records of another entity that link here.

A rollup names `from` (the entity aggregated), `link` (its link field pointing to this entity),
`aggregate`, `field`, optionally `where` (a formula over each `from` record) and, for `latest`,
`order_by`. Problems are reported with the rollup field's key path; nothing here runs a query.
"""
from __future__ import annotations

from .formulas import formula_problems
from .model import Rollup
from .types import BUILTIN_STORAGE, COMPUTED_RESULTS, IMPLIED_CODELIST, NUMBER_TYPES

AGGREGATES = ("sum", "count", "min", "max", "avg", "latest")
# `from` system values a rollup may read (they never change after the record is created)
ROLLUP_SYSTEM = {"id": "integer", "created_at": "datetime", "created_by": "text"}
NUMBERS = NUMBER_TYPES
ORDERED = NUMBER_TYPES | {"date", "datetime"}
# value types a rollup can hold: scalars shown by their own formatter (links and users are not)
SCALAR_RESULTS = COMPUTED_RESULTS | {"datetime", "choice", "region", "industry", "department",
                                     "long_text", "id_number", "uscc", "phone", "email"}
_FAMILY = {"text": "text", "integer": "integer", "decimal": "decimal", "date": "date",
           "datetime": "datetime", "boolean": "boolean"}


def rollup_links(entity_docs: dict) -> set[tuple[str, str]]:
    """(entity, link field) pairs that some rollup aggregates over: those link fields get an index."""
    out = set()
    for doc in entity_docs.values():
        for raw in doc.data.get("fields", []):
            if raw.get("type") == "rollup" and raw.get("from") and raw.get("link"):
                out.add((raw["from"], raw["link"]))
    return out


def _raw_field(entity_docs: dict, entity: str, name: str) -> dict | None:
    doc = entity_docs.get(entity)
    if doc is None:
        return None
    return next((f for f in doc.data.get("fields", []) if f.get("name") == name), None)


def value_type(raw: dict, entity_docs: dict, field_storage: dict, seen: frozenset = frozenset()) -> str | None:
    """The type of a raw field's value: a computed/rollup field's result, a plugin type's storage
    family, otherwise its type (None when it cannot be known, e.g. a cycle)."""
    t = raw.get("type")
    if t == "computed":
        return raw.get("result") or "decimal"
    if t == "rollup":
        if raw.get("result"):
            return raw["result"]
        if raw.get("aggregate") == "count":
            return "integer"
        if raw.get("aggregate") == "avg":
            return "decimal"
        key = (raw.get("from"), raw.get("field"))
        source = _raw_field(entity_docs, *key) if None not in key else None
        if source is None or key in seen:
            return None
        return value_type(source, entity_docs, field_storage, seen | {key})
    if t in BUILTIN_STORAGE:
        return t
    return _FAMILY.get(field_storage.get(t, ""))


def _cycle(entity_docs: dict, start: tuple[str, str], first: tuple[str, str]) -> list[str] | None:
    """A chain of rollups of rollups from `start` through the aggregated field `first` back to `start`."""
    path, key = [start], first
    while key not in path:
        current = _raw_field(entity_docs, *key)
        if current is None or current.get("type") != "rollup" or None in (current.get("from"), current.get("field")):
            return None
        path.append(key)
        key = (current["from"], current["field"])
    return [f"{e}.{f}" for e, f in path + [key]] if key == start else None   # else: reported where it starts


def compile_rollup(raw: dict, path: tuple, entity: str, ctx, report) -> tuple[Rollup, dict] | None:
    """The Rollup of a raw `rollup` field and the attributes its Field takes from the aggregated
    field (result, codelist, options, precision), or None after reporting what is wrong."""
    docs = ctx.docs["entities"]
    ok = True
    source_name, agg = raw.get("from"), raw.get("aggregate")
    for key in ("from", "link", "aggregate"):
        if not raw.get(key):
            report(path, f"a rollup field needs '{key}'")
            ok = False
    if not ok:
        return None
    if source_name not in docs:
        report(path + ("from",), f"unknown entity '{source_name}'")
        return None
    fields = {f["name"]: f for f in docs[source_name].data.get("fields", [])}
    link = fields.get(raw["link"])
    if link is None or link.get("type") != "link":
        report(path + ("link",), f"'{raw['link']}' is not a link field of '{source_name}'")
        ok = False
    elif link.get("entity") != entity:
        report(path + ("link",), f"'{source_name}.{raw['link']}' links to '{link.get('entity')}', not to '{entity}'")
        ok = False
    source_type = None
    if agg == "count":
        if raw.get("field"):
            report(path + ("field",), "count counts records: it takes no 'field'")
            ok = False
    elif not raw.get("field"):
        report(path, f"a {agg} rollup needs 'field'")
        ok = False
    elif raw["field"] not in fields:
        report(path + ("field",), f"entity '{source_name}' has no field '{raw['field']}'")
        ok = False
    elif cycle := _cycle(docs, (entity, raw["name"]), (source_name, raw["field"])):
        report(path + ("field",), "rollups depend on each other in a cycle: " + " → ".join(cycle))
        ok = False
    else:
        source_type = value_type(fields[raw["field"]], docs, ctx.field_storage)
        wanted = {"sum": NUMBERS, "avg": NUMBERS, "min": ORDERED, "max": ORDERED,
                  "latest": SCALAR_RESULTS}[agg]
        if source_type not in wanted:
            what = {"sum": "a number", "avg": "a number", "min": "a number or a date",
                    "max": "a number or a date", "latest": "a scalar value (not a link, user, table, "
                                                             "list or attachment)"}[agg]
            report(path + ("field",), f"{agg} needs {what}; '{source_name}.{raw['field']}' is "
                                      f"{source_type or 'of an unknown type'}")
            ok = False
    names = {n: None for n in fields} | {n: None for n in ROLLUP_SYSTEM}
    if raw.get("where"):
        for message in formula_problems(raw["where"], names, ctx.functions, ctx.names("codelists")):
            report(path + ("where",), message)
            ok = False
    order_by = raw.get("order_by")
    if agg == "latest" and not order_by:
        report(path, "a latest rollup needs 'order_by' (the field that says which record is the latest)")
        ok = False
    elif order_by and agg != "latest":
        report(path + ("order_by",), "'order_by' applies to a latest rollup only")
        ok = False
    elif order_by:
        order_type = ROLLUP_SYSTEM.get(order_by) or (value_type(fields[order_by], docs, ctx.field_storage)
                                                     if order_by in fields else None)
        if order_by not in fields and order_by not in ROLLUP_SYSTEM:
            report(path + ("order_by",), f"entity '{source_name}' has no field '{order_by}'")
            ok = False
        elif order_type not in ORDERED | {"text", "choice"}:
            report(path + ("order_by",), f"cannot order by '{order_by}' ({order_type})")
            ok = False
    given = raw.get("result")
    if ok and given and given != source_type and not (
            given in NUMBERS and (agg in ("sum", "avg", "count") or source_type in NUMBERS)) and given != "text":
        report(path + ("result",), f"a {agg} rollup of {source_type or 'records'} cannot give '{given}'")
        ok = False
    if not ok:
        return None
    result = raw.get("result") or {"count": "integer", "avg": "decimal"}.get(agg) or source_type
    attrs: dict = {"result": result}
    source = fields.get(raw.get("field") or "")
    if source is not None and result == source_type:
        for key in ("codelist", "options", "precision"):
            if source.get(key) is not None:
                attrs[key] = source[key]
    if result in IMPLIED_CODELIST:
        attrs["codelist"] = IMPLIED_CODELIST[result]
    inputs = {raw["link"]} | {n for n in (raw.get("field"), order_by) if n}
    if raw.get("where"):
        from core.formula import compile_formula
        inputs |= set(compile_formula(raw["where"]).names)
    return Rollup(source=source_name, link=raw["link"], aggregate=agg, field=raw.get("field"),
                  where=raw.get("where"), order_by=order_by,
                  inputs=frozenset(inputs - set(ROLLUP_SYSTEM))), attrs
