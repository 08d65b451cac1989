"""Formulas applied to a record: the evaluation environment, defaults, computed fields, conditions."""
from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Callable, Mapping

from metadata.model import Entity, Field, Metadata, text_of

from .errors import msg
from .fieldtypes import FieldValueError, field_type
from .registry import Registry
from .formula import FormulaError, compile_formula

_child_order: dict[int, tuple[Field, ...]] = {}


def functions_for(meta: Metadata, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Functions available to formulas: plugin functions plus LOOKUP into this metadata's code lists.

    LOOKUP(list, code) is the code's label; LOOKUP(list, code, key) the value `key` of the item's
    `data` (e.g. a collateral kind's loan-to-value cap), or its label in locale `key` ("en")."""
    def lookup(codelist, code, key="zh"):
        if code is None:
            return None
        cl = meta.codelists.get(str(codelist))
        if cl is None:
            raise FormulaError(f"LOOKUP: no code list '{codelist}'", zh=f"LOOKUP:没有代码表「{codelist}」")
        item = cl.get(str(code))
        if item is None:
            return None
        if key in item.data:
            return item.data[key]
        return text_of(item.label, key) if key in item.label or key in ("zh", "en") else None
    return {**(extra or {}), "LOOKUP": lookup}


def is_blank(value) -> bool:
    """None, "" or []. (Not written `value == ""`: comparing a Decimal with a str goes through the
    numbers ABCs, a slow path that screens hit for every amount they draw.)"""
    return value is None or (not value and isinstance(value, (str, list)))


def formula_error(field_label: str, text: str, error: Exception):
    return msg(f"「{field_label}」的公式 {text} 计算出错:{getattr(error, 'zh', None) or error}",
               f"the formula {text} of '{field_label}' failed: {error}")


def coerce_result(field: Field, value):
    """A formula's result as the field's value type (money rounded to cents, etc.)."""
    if is_blank(value):
        return None
    return field_type(field.type).parse(value, field)


def _all_fields(entity: Entity):
    for f in entity.fields:
        yield f
        yield from f.fields


def child_order(table: Field) -> tuple[Field, ...]:
    """A table's computed child fields in dependency order (cached per compiled field)."""
    key = id(table)
    if key not in _child_order:
        computed = {f.name: f for f in table.fields if f.is_computed}
        graph = {n: set(compile_formula(f.formula).names) & set(computed) for n, f in computed.items()}
        _child_order[key] = tuple(computed[n] for n in TopologicalSorter(graph).static_order())
    return _child_order[key]


class Evaluator:
    """Evaluates an entity's formulas over one record's values, collecting errors by field path."""

    def __init__(self, entity: Entity, functions, today, errors: dict, types: Registry,
                 load_link: Callable[[str, int], Mapping | None] | None = None):
        self.entity, self.functions, self.today, self.errors = entity, functions, today, errors
        self.types, self.load_link = types, load_link
        self.links = {f.name: f.entity for f in _all_fields(entity) if f.type == "link"}
        self._loaded: dict[tuple[str, int], Mapping | None] = {}

    def run(self, text: str, env, path: str, label) -> Any:
        try:
            formula = compile_formula(text)
            if formula.attributes and self.links and self.load_link:
                env = self._with_links(formula, env)
            return formula.evaluate(env, functions=self.functions, today=self.today)
        except Exception as e:  # noqa: BLE001 - a broken rule or plugin function is reported, never a crash
            self.errors.setdefault(path, []).append(formula_error(text_of(label), text, e))
            return None

    def _with_links(self, formula, env):
        """`customer.name` reads the linked record: load it (once per save) where a formula asks."""
        swapped = None
        for name, _attr in formula.attributes:
            target, value = self.links.get(name), env.get(name)
            if target and isinstance(value, int):
                key = (target, value)
                if key not in self._loaded:
                    self._loaded[key] = self.load_link(target, value)
                swapped = swapped or dict(env)
                swapped[name] = self._loaded[key]
        return swapped or env

    def compute(self, values: dict) -> None:
        """Child rows first (they may feed the parent's sums), then the parent's computed fields."""
        for table in (f for f in self.entity.fields if f.is_table):
            order = child_order(table)
            if not order:
                continue
            for i, row in enumerate(values.get(table.name) or []):
                env = {**row, "parent": values}
                for f in order:
                    row[f.name] = self._coerce(f, self.run(f.formula, env, f"{table.name}.{i}.{f.name}", f.label),
                                               f"{table.name}.{i}.{f.name}")
                    env[f.name] = row[f.name]
        for name in self.entity.computed_order:
            f = self.entity.field(name)
            values[name] = self._coerce(f, self.run(f.formula, values, name, f.label), name)

    def _coerce(self, f: Field, value, path: str):
        try:
            return coerce_result(f, value)
        except FieldValueError as e:
            self.errors.setdefault(path, []).append(e.message)
            return None

    def condition(self, text: str | None, env, path: str, label, default: bool) -> bool:
        if not text:
            return default
        return bool(self.run(text, env, path, label))

    def defaults(self, env: dict, given: set[str], into: dict | None = None, fields=None) -> None:
        """Fill defaults for fields the caller did not give (a new record, or a child row's
        missing keys); formulas see `env`."""
        into = env if into is None else into
        for f in fields or self.entity.fields:
            if f.is_rollup and f.name not in given:
                # a new record has no related records yet: SUM of nothing is 0, COUNT 0, others blank
                into[f.name] = coerce_result(f, 0) if f.rollup.aggregate in ("sum", "count") else None
            if f.name in given or f.is_computed:
                continue
            if f.default_formula:
                into[f.name] = self._coerce_input(f, self.run(f.default_formula, env, f.name, f.label))
            elif f.default is not None:
                into[f.name] = self._coerce_input(f, f.default)

    def _coerce_input(self, f: Field, value):
        try:
            return self.types.type(f.type).parse(value, f) if not is_blank(value) else None
        except FieldValueError as e:
            self.errors.setdefault(f.name, []).append(e.message)
            return None
