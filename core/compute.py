"""Formulas applied to a record: the evaluation environment, defaults, computed fields, conditions."""
from __future__ import annotations

from graphlib import TopologicalSorter
from typing import Any, Mapping

from metadata.model import Entity, Field, Metadata, text_of

from .errors import msg
from .fieldtypes import FieldValueError, field_type
from .registry import Registry
from .formula import FormulaError, compile_formula

_child_order: dict[int, tuple[Field, ...]] = {}


def functions_for(meta: Metadata, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Functions available to formulas: plugin functions plus LOOKUP into this metadata's code lists."""
    def lookup(codelist, code, locale="zh"):
        if code is None:
            return None
        cl = meta.codelists.get(str(codelist))
        if cl is None:
            raise FormulaError(f"LOOKUP: no code list '{codelist}'")
        item = cl.get(str(code))
        return text_of(item.label, str(locale)) if item else None
    return {**(extra or {}), "LOOKUP": lookup}


def evaluate(text: str, env: Mapping[str, Any], functions, today):
    return compile_formula(text).evaluate(env, functions=functions, today=today)


def is_blank(value) -> bool:
    return value is None or value == "" or value == []


def formula_error(field_label: str, text: str, error: Exception):
    return msg(f"「{field_label}」的公式 {text} 计算出错:{getattr(error, 'zh', None) or error}",
               f"the formula {text} of '{field_label}' failed: {error}")


def coerce_result(field: Field, value):
    """A formula's result as the field's value type (money rounded to cents, etc.)."""
    if is_blank(value):
        return None
    return field_type(field.type).parse(value, field)


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

    def __init__(self, entity: Entity, functions, today, errors: dict, types: Registry):
        self.entity, self.functions, self.today, self.errors = entity, functions, today, errors
        self.types = types

    def run(self, text: str, env, path: str, label) -> Any:
        try:
            return evaluate(text, env, self.functions, self.today)
        except FormulaError as e:
            self.errors.setdefault(path, []).append(formula_error(text_of(label), text, e))
            return None

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
