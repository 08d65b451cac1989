"""The entity kind: compile fields, numbering, validations; check every reference and formula."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from graphlib import CycleError, TopologicalSorter
from types import MappingProxyType

from . import entity_overlay
from .doc import Doc
from .formulas import dependencies, formula_problems
from .kinds import KINDS, Context, Kind, register_kind
from .labels import label
from .model import Entity, Field, Numbering, Option, Validation
from .rollups import compile_rollup, rollup_links
from .types import (BUILTIN_STORAGE, COMPUTED_RESULTS, IMPLIED_CODELIST, PROPERTY_TYPES, RESERVED_FIELDS)

SYSTEM_NAMES = {"id", "created_at", "created_by", "updated_at", "updated_by"}
FORMULA_PROPS = ("formula", "required_if", "visible_if", "readonly_if", "default_formula")
NUMBER_TOKEN = re.compile(r"\{([^{}]*)\}")
NUMBER_TOKENS = re.compile(r"^(YYYY|YY|MM|DD|SEQ:[1-9][0-9]?)$")


def _family(type_name: str, ctx: Context) -> str:
    """Builtin types are their own family; plugin types behave like the builtin of their storage."""
    if type_name in BUILTIN_STORAGE:
        return type_name
    return {"text": "text", "integer": "integer", "decimal": "decimal", "date": "date",
            "datetime": "datetime", "boolean": "boolean"}.get(ctx.field_storage.get(type_name, ""), "json")


def _bound(value, family: str):
    if value is None:
        return None
    if family in ("date", "datetime"):
        return date.fromisoformat(str(value)[:10])
    return Decimal(str(value))


class _Compiler:
    def __init__(self, doc: Doc, ctx: Context):
        self.doc, self.ctx = doc, ctx
        self.entities = ctx.names("entities")
        self.codelists = ctx.names("codelists")
        self.rollup_links = rollup_links(ctx.docs["entities"])

    def report(self, path, message):
        self.ctx.report(self.doc, path, message)

    def field(self, raw: dict, path: tuple, in_table: bool) -> Field | None:
        t = raw["type"]
        ctx = self.ctx
        if t not in BUILTIN_STORAGE and t not in ctx.field_storage:
            known = sorted(set(BUILTIN_STORAGE) | set(ctx.field_storage))
            self.report(path + ("type",), f"unknown field type '{t}' (known: {', '.join(known)})")
            return None
        family = _family(t, ctx)
        if raw["name"] in RESERVED_FIELDS:
            self.report(path + ("name",), f"'{raw['name']}' is reserved by the record store; choose another name")
        for prop in raw:
            allowed = PROPERTY_TYPES.get(prop)
            if allowed is not None and family not in allowed:
                self.report(path + (prop,), f"'{prop}' does not apply to a field of type '{t}'")
        if in_table and t == "table":
            self.report(path + ("type",), "a child table cannot contain another table")
        if t in ("choice", "multichoice"):
            if sum(bool(raw.get(k)) for k in ("options", "codelist", "options_from")) != 1:
                self.report(path, f"a {t} field needs one of 'options', 'codelist' or 'options_from'")
        codelist = raw.get("codelist") or IMPLIED_CODELIST.get(t)
        if codelist and codelist not in self.codelists:
            self.report(path + ("codelist",) if raw.get("codelist") else path + ("type",),
                        f"no code list '{codelist}'")
        if t == "link":
            target = raw.get("entity")
            if not target:
                self.report(path, "a link field needs 'entity'")
            elif target not in self.entities:
                self.report(path + ("entity",), f"links to unknown entity '{target}'")
            elif raw.get("display_field") and not _has_field(self.ctx.docs["entities"][target].data,
                                                                 raw["display_field"]):
                self.report(path + ("display_field",), f"entity '{target}' has no field '{raw['display_field']}'")
        if t == "table" and not raw.get("fields"):
            self.report(path, "a table field needs 'fields'")
        if t == "computed" and not raw.get("formula"):
            self.report(path, "a computed field needs 'formula'")
        rollup, taken = None, {}
        if t == "rollup":
            if in_table:
                self.report(path + ("type",), "a child-table field cannot be a rollup")
                return None
            compiled = compile_rollup(raw, path, self.doc.name, ctx, self.report)
            if compiled is None:
                return None
            rollup, taken = compiled
            raw = {**raw, **{k: v for k, v in taken.items() if k not in raw}}
        if raw.get("result") and raw["result"] not in COMPUTED_RESULTS and t != "rollup":
            self.report(path + ("result",), f"unknown result type '{raw['result']}'")
        if raw.get("pattern"):
            try:
                re.compile(raw["pattern"])
            except re.error as e:
                self.report(path + ("pattern",), f"'{raw['pattern']}' is not a valid regular expression: {e}")
        if (raw.get("unique") or raw.get("indexed")) and (family == "json" or family in ("table", "multichoice",
                                                                                           "attachment")):
            self.report(path + ("unique" if raw.get("unique") else "indexed",),
                        f"a {t} field cannot be unique or indexed")
        if in_table and raw.get("unique"):
            self.report(path + ("unique",), "child-table fields cannot be unique")
        lo = hi = None
        try:
            lo, hi = _bound(raw.get("min"), family), _bound(raw.get("max"), family)
        except (ValueError, InvalidOperation):
            self.report(path + ("min" if "min" in raw else "max",), "not a valid bound for this type")
        if lo is not None and hi is not None and lo > hi:
            self.report(path + ("min",), "min is greater than max")
        if raw.get("min_length") is not None and raw.get("max_length") is not None \
                and raw["min_length"] > raw["max_length"]:
            self.report(path + ("min_length",), "min_length is greater than max_length")
        children = ()
        if t == "table":
            children = self.fields(raw.get("fields", []), path, in_table=True)
        options = None
        if raw.get("options"):
            options = tuple(Option(str(o["value"]), label(o.get("label"), str(o["value"])), o.get("active", True))
                            for o in raw["options"])
            values = [o.value for o in options]
            if len(set(values)) != len(values):
                self.report(path + ("options",), "option values must be unique")
        if raw.get("options_from"):
            options = self.offered(raw["options_from"], path + ("options_from",))
        precision = raw.get("precision")
        if precision is None and family in ("decimal", "percent", "money"):
            precision = 2
        if t == "rollup" and precision is None and raw["result"] in ("decimal", "percent", "money"):
            precision = 2
        if t == "money" or (t in ("computed", "rollup") and raw.get("result") == "money"):
            precision = 2
        return Field(
            name=raw["name"], type=t,
            storage=(BUILTIN_STORAGE.get(raw.get("result") or "decimal") if t in ("computed", "rollup")
                     else BUILTIN_STORAGE.get(t) or ctx.field_storage[t]),
            label=label(raw.get("label"), raw["name"]), help=label(raw.get("help")),
            placeholder=label(raw.get("placeholder")),
            required=bool(raw.get("required")), required_if=raw.get("required_if"),
            visible_if=raw.get("visible_if"), readonly=bool(raw.get("readonly")),
            readonly_if=raw.get("readonly_if"), hidden=bool(raw.get("hidden")),
            default=raw.get("default"), default_formula=raw.get("default_formula"),
            min=lo, max=hi, min_length=raw.get("min_length"), max_length=raw.get("max_length"),
            pattern=raw.get("pattern"), pattern_message=label(raw.get("pattern_message")),
            unique=bool(raw.get("unique")),
            indexed=bool(raw.get("indexed") or raw.get("unique")
                         or (t == "link" and not in_table and (self.doc.name, raw["name"]) in self.rollup_links)),
            precision=precision, options=options, codelist=codelist, options_from=raw.get("options_from"),
            entity=raw.get("entity"), display_field=raw.get("display_field"), fields=children,
            min_rows=raw.get("min_rows"), max_rows=raw.get("max_rows"),
            formula=raw["name"] if t == "rollup" else raw.get("formula"),   # see Field.formula
            result=(raw.get("result") or "decimal") if t in ("computed", "rollup") else None, rollup=rollup,
            accept=tuple(a.lower() for a in raw.get("accept", ())), max_size_mb=raw.get("max_size_mb", 20),
            multiple=raw.get("multiple", True))

    def offered(self, kind_name: str, path: tuple) -> tuple[Option, ...]:
        """`options_from`: the documents of another kind (products) that apply to this entity."""
        kind = KINDS.get(kind_name)
        if kind is None or kind.applies_to is None:
            offering = sorted(k for k, v in KINDS.items() if v.applies_to)
            self.report(path, f"'{kind_name}' is not a kind that offers options (known: {', '.join(offering)})")
            return ()
        return tuple(Option(name, label(doc.data.get("label"), name))
                     for name, doc in sorted(self.ctx.docs[kind_name].items())
                     if kind.applies_to(doc.data) == self.doc.name)

    def fields(self, raws: list, path: tuple, in_table: bool) -> tuple[Field, ...]:
        out, seen = [], set()
        for raw in raws:
            fpath = path + ("fields", raw["name"])
            if raw["name"] in seen:
                self.report(fpath + ("name",), f"field '{raw['name']}' is defined twice")
                continue
            seen.add(raw["name"])
            f = self.field(raw, fpath, in_table)
            if f is not None:
                out.append(f)
        return tuple(out)


def _has_field(data: dict, name: str) -> bool:
    return name in SYSTEM_NAMES or any(f["name"] == name for f in data.get("fields", []))


def _reach(field: Field, ctx: Context) -> set[str] | None:
    """Names reachable with a dot from a field's value in formulas."""
    if field.is_table:
        return {c.name for c in field.fields}
    if field.type == "link" and field.entity in ctx.docs["entities"]:
        return {f["name"] for f in ctx.docs["entities"][field.entity].data.get("fields", [])} | SYSTEM_NAMES
    return None


def compile_entity(doc: Doc, ctx: Context) -> Entity | None:
    c = _Compiler(doc, ctx)
    data = doc.data
    fields = c.fields(data.get("fields", []), (), in_table=False)
    by_name = {f.name: f for f in fields}
    removed = set(data.get("_removed", []))
    codelists = ctx.names("codelists")
    top_names = {name: _reach(f, ctx) for name, f in by_name.items()} | {n: None for n in SYSTEM_NAMES}

    def check(text, path, names):
        for message in formula_problems(text, names, ctx.functions, codelists, removed):
            c.report(path, message)

    for f in fields:
        for prop in FORMULA_PROPS:
            if getattr(f, prop):
                check(getattr(f, prop), ("fields", f.name, prop), top_names)
        if f.is_table:
            row_names = {ch.name: _reach(ch, ctx) for ch in f.fields} | {"parent": set(by_name) | SYSTEM_NAMES}
            for ch in f.fields:
                for prop in FORMULA_PROPS:
                    if getattr(ch, prop):
                        check(getattr(ch, prop), ("fields", f.name, "fields", ch.name, prop), row_names)
                        _parent_computed(c, getattr(ch, prop), by_name, ("fields", f.name, "fields", ch.name, prop))
            _order_computed(c, f.fields, ("fields", f.name))
    validations = []
    for v in data.get("validations", []):
        check(v["formula"], ("validations", v["name"], "formula"), top_names)
        if v.get("field") and v["field"] not in by_name:
            c.report(("validations", v["name"], "field"), f"no field '{v['field']}'")
        validations.append(Validation(v["name"], v["formula"], label(v["message"]), v.get("field")))
    if len({v.name for v in validations}) != len(validations):
        c.report(("validations",), "validation names must be unique")
    order = _order_computed(c, fields, ())
    for key in ("search_fields", "list_columns"):
        for name in data.get(key, []):
            if name not in by_name and name not in SYSTEM_NAMES and name not in removed:
                c.report((key,), f"no field '{name}'")
    title = data.get("title_field")
    if title and title not in by_name:
        c.report(("title_field",), f"no field '{title}'")
    if not title:
        title = next((f.name for f in fields if f.type == "text"), None)
    numbering = None
    if data.get("numbering"):
        n = data["numbering"]
        target = by_name.get(n["field"])
        if target is None or target.type != "text":
            c.report(("numbering", "field"), f"numbering needs a text field of this entity, not '{n['field']}'")
        tokens = NUMBER_TOKEN.findall(n["pattern"])
        bad = [t for t in tokens if not NUMBER_TOKENS.match(t)]
        if bad:
            c.report(("numbering", "pattern"), f"unknown part(s) {', '.join('{'+b+'}' for b in bad)}; "
                     "use {YYYY} {YY} {MM} {DD} {SEQ:n}")
        if not any(t.startswith("SEQ:") for t in tokens):
            c.report(("numbering", "pattern"), "the pattern needs a sequence part such as {SEQ:5}")
        numbering = Numbering(n["field"], n["pattern"])
    for i, names in enumerate(data.get("indexes", [])):
        for name in names:
            f = by_name.get(name)
            if f is None or f.storage not in ("text", "integer", "decimal", "date", "datetime", "boolean"):
                c.report(("indexes", i), f"'{name}' is not a field that can be indexed "
                         "(a scalar field of this entity)")
    permissions = MappingProxyType({k: tuple(v) for k, v in (data.get("permissions") or {}).items()})
    return Entity(name=doc.name, label=label(data.get("label"), doc.name), fields=fields,
                  title_field=title,
                  search_fields=tuple(n for n in data.get("search_fields") or ([title] if title else [])
                                      if n not in removed),
                  list_columns=tuple(n for n in data.get("list_columns") or [f.name for f in fields
                                                                              if not f.is_table][:6]
                                     if n not in removed),
                  numbering=numbering, permissions=permissions, validations=tuple(validations),
                  removed_fields=tuple(sorted(removed)), computed_order=order,
                  indexes=tuple(tuple(i) for i in data.get("indexes", []) if not set(i) & removed), pack=doc.pack,
                  description=label(data.get("description")))


def _parent_computed(c: _Compiler, text: str, by_name: dict, path: tuple) -> None:
    from core.formula import FormulaError, compile_formula
    try:
        attrs = compile_formula(text).attributes
    except FormulaError:
        return
    for name, attr in attrs:
        if name == "parent" and attr in by_name and by_name[attr].is_computed:
            c.report(path, f"a child-table formula cannot use the parent's computed field '{attr}' "
                     "(child rows are computed first)")


def _order_computed(c: _Compiler, fields: tuple[Field, ...], path: tuple) -> tuple[str, ...]:
    computed = {f.name: f for f in fields if f.type == "computed"}
    graph = {name: dependencies(f.formula) & set(computed) for name, f in computed.items()}
    try:
        return tuple(TopologicalSorter(graph).static_order())
    except CycleError as e:
        cycle = e.args[1]
        c.report(path + ("fields", cycle[0], "formula"),
                 "computed fields depend on each other in a cycle: " + " → ".join(cycle))
        return tuple(computed)


register_kind(Kind(folder="entities", schema="entity.json", overlay_schema="entity_overlay.json",
                   overlay=entity_overlay.apply, compile=compile_entity, order=20))
