"""A scan's SQL prefilter: when every rule watching an entity starts with the same test of a text
field against a constant (`status == "in_force" and …`), only the records passing it are read and
evaluated — the others cannot give a warning, and their live warnings are resolved by one UPDATE
(core/warnings/scan.py). A company's projects are mostly history (released, written off), so the
daily scan reads the ones in force."""
from __future__ import annotations

import ast
from typing import Iterable

from sqlalchemy import text

from metadata.model import Field, Metadata
from metadata.rule import Rule

from ..formula import compile_formula
from ..sqlexpr import value_expr


def guard(meta: Metadata, entity_name: str, rules: Iterable[Rule]) -> tuple[Field, str] | None:
    """(field, value) when each rule's condition is `field == "value"` or begins with `field ==
    "value" and …`, the same for all; None otherwise."""
    entity = meta.entity(entity_name)
    found = set()
    for rule in rules:
        first = _first_conjunct(compile_formula(rule.condition)._body)
        if not (isinstance(first, ast.Compare) and len(first.ops) == 1 and isinstance(first.ops[0], ast.Eq)
                and isinstance(first.left, ast.Name) and isinstance(first.comparators[0], ast.Constant)
                and isinstance(first.comparators[0].value, str)):
            return None
        found.add((first.left.id, first.comparators[0].value))
    if len(found) != 1:
        return None
    name, value = found.pop()
    if not entity.has(name):
        return None
    f = entity.field(name)
    if f.is_table or f.storage != "text" or f.type in ("computed", "rollup"):
        return None
    return f, value


def clause(dialect: str, g: tuple[Field, str] | None):
    """The SQL test of the guard on `records.data` (None: no prefilter). Written so that no field
    index matches it (COALESCE): the scan's pages must follow the id index, or the planner, given
    an index on the field, reads every passing record of the rest of the table for each page and
    sorts them (quadratic: 1M projects took hours)."""
    if g is None:
        return None
    f, value = g
    return text(f"COALESCE({value_expr(dialect, f, 'records.data')}, '') = :scan_guard").bindparams(scan_guard=value)


def _first_conjunct(node):
    while isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        node = node.values[0]
    return node
