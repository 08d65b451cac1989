"""What publishing new metadata would do to the data already there (the studio's impact preview).

Compared field by field against the installed metadata: fields removed or hidden that records hold
values in (the values stay until `danbao purge`), type changes with the stored values the new type
would not take, and workflows whose running instances keep running on the definition they started
on. Read-only: counts and a few example values, by SQL over the record documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from metadata.model import Field, Metadata

from .db import records, wf_instances
from .fieldtypes import FieldValueError, load_value, parse_value
from .sqlexpr import TEMPLATES, ident

MAPPABLE = 50         # distinct values listed (and offered for mapping) of those that would not convert
DISTINCT_LIMIT = 10_000


@dataclass(frozen=True)
class FieldImpact:
    entity: str
    field: str
    records: int                     # records (not deleted) holding a value


@dataclass(frozen=True)
class TypeChange:
    entity: str
    field: str
    old: str
    new: str
    records: int
    failing: int                     # records whose value the new type would not take
    examples: tuple[str, ...] = ()   # values that would not convert (at most MAPPABLE)
    mapped: dict = field(default_factory=dict)        # the draft's mapping of old values to new ones
    codes: tuple = ()                                 # (code, label) a choice's values may map to


@dataclass(frozen=True)
class Impact:
    removed: tuple[FieldImpact, ...] = ()
    hidden: tuple[FieldImpact, ...] = ()
    type_changes: tuple[TypeChange, ...] = ()
    workflows: tuple[tuple[str, int], ...] = ()     # (workflow, running instances on the old definition)

    @property
    def empty(self) -> bool:
        return not (self.removed or self.hidden or self.type_changes or self.workflows)


def impact(engine: Engine, before: Metadata | None, after: Metadata, conversions: dict | None = None) -> Impact:
    """`conversions`: the draft's mappings of values ({"entity.field": {old: new}}) for type changes."""
    if before is None:
        return Impact()
    removed, hidden, types = [], [], []
    for name, old in before.entities.items():
        new = after.entities.get(name)
        for f in old.fields:
            if f.is_table or f.is_computed:
                continue
            if new is None or not new.has(f.name):
                removed.append(FieldImpact(name, f.name, _holding(engine, name, f.name)))
                continue
            g = new.field(f.name)
            if g.hidden and not f.hidden:
                hidden.append(FieldImpact(name, f.name, _holding(engine, name, f.name)))
            if g.type != f.type:
                types.append(_type_change(engine, name, f, g, after, (conversions or {}).get(f"{name}.{f.name}", {})))
    return Impact(tuple(removed), tuple(hidden), tuple(types), _workflows(engine, before, after))


def _json_text(engine: Engine, name: str) -> str:
    return TEMPLATES["text"][0 if engine.dialect.name == "sqlite" else 1].format(c="data", k=ident(name))


def _holding(engine: Engine, entity: str, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(records).where(
            records.c.entity == entity, records.c.deleted.is_(False),
            text(f"{_json_text(engine, name)} IS NOT NULL"))).scalar_one()


def _type_change(engine: Engine, entity: str, old: Field, new: Field, after: Metadata, mapping: dict) -> TypeChange:
    value = records.c.data[old.name]
    with engine.connect() as conn:
        rows = conn.execute(select(value, func.count()).where(
            records.c.entity == entity, records.c.deleted.is_(False),
            text(f"{_json_text(engine, old.name)} IS NOT NULL")).group_by(value).limit(DISTINCT_LIMIT)).all()
    total = failing = 0
    examples = []
    for stored, count in rows:
        total += count
        if not _converts(mapping.get(stored, stored), old, new, after):
            failing += count
            if len(examples) < MAPPABLE:
                examples.append(str(stored))
    return TypeChange(entity, old.name, old.type, new.type, total, failing, tuple(examples),
                      mapped=dict(mapping), codes=codes_of(new, after) if new.type == "choice" else ())


def _converts(stored, old: Field, new: Field, after: Metadata) -> bool:
    """Whether the stored value loads as the new type and is a value the new type accepts."""
    try:
        value = parse_value(new, load_value(new, stored))
        load_value(old, stored)
    except (FieldValueError, ValueError, TypeError, ArithmeticError):
        return False
    if new.type == "choice":
        return value in {code for code, _label in codes_of(new, after)}
    return True


def codes_of(new: Field, after: Metadata) -> tuple:
    """(code, label) of the values a choice field takes."""
    if new.options:
        return tuple((o.value, o.label) for o in new.options)
    if new.codelist in after.codelists:
        return tuple((i.code, i.label) for i in after.codelist(new.codelist).items)
    return ()


def _workflows(engine: Engine, before: Metadata, after: Metadata) -> tuple[tuple[str, int], ...]:
    old, new = before.kinds.get("workflows", {}), after.kinds.get("workflows", {})
    changed = [n for n in old if new.get(n) != old[n]]
    if not changed:
        return ()
    with engine.connect() as conn:
        rows = conn.execute(select(wf_instances.c.workflow, func.count()).where(
            wf_instances.c.workflow.in_(changed), wf_instances.c.state == "running")
            .group_by(wf_instances.c.workflow)).all()
    return tuple(sorted((w, n) for w, n in rows if n))
