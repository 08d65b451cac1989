"""Purge: delete the stored data of fields that are no longer in the model.

Removing a field (an overlay's `remove_fields`, or a pack upgrade that drops it) hides it; its data
stays in the records (`core.codec.encode` keeps it) until an explicit purge. `preview` counts, per
field, the records that still hold data for it; `purge` deletes those keys in one transaction,
bumping each record's version (so an edit started before the purge is refused as stale) and writing
a `purge` history entry per record with the values it removed.

A field still in the model can never be purged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from sqlalchemy import and_, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from metadata.model import Entity, Metadata

from .clock import Clock
from .db import history, record_rows, records
from .errors import NotFound, ValidationError, msg

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
BATCH = 500


@dataclass
class PurgeResult:
    entity: str
    counts: dict[str, int]                 # field -> records holding data for it
    records: int = 0                       # records changed (0 on a dry run)
    dry_run: bool = True
    fields: list[str] = dc_field(default_factory=list)


def _entity(meta: Metadata, name: str) -> Entity:
    try:
        return meta.entity(name)
    except KeyError:
        raise NotFound(msg(f"没有名为 {name} 的实体", f"no entity named '{name}'")) from None


def _has_key(dialect: str, param: str) -> str:
    if dialect == "postgresql":
        return f"jsonb_exists(data, :{param})"
    return f"json_type(data, :{param}) IS NOT NULL"


def _key_param(dialect: str, name: str) -> str:
    return name if dialect == "postgresql" else f'$."{name}"'


def stored_keys(conn: Connection, entity: str) -> set[str]:
    """Every top-level key in the entity's live records (one scan)."""
    if conn.dialect.name == "postgresql":
        sql = "SELECT DISTINCT jsonb_object_keys(data) FROM records WHERE entity = :e AND deleted = false"
    else:
        sql = "SELECT DISTINCT j.key FROM records, json_each(records.data) AS j WHERE entity = :e AND deleted = 0"
    return {r[0] for r in conn.execute(text(sql), {"e": entity})}


def _fields(conn: Connection, entity: Entity, only: list[str] | None) -> list[str]:
    if only:
        errors = {}
        for name in only:
            if entity.has(name):
                errors[name] = [msg(f"字段 {name} 仍在模型中,不能清除;请先用覆盖包移除它",
                                    f"field '{name}' is still in the model; remove it (remove_fields) first")]
            elif not NAME.match(name):
                errors[name] = [msg(f"字段名 {name} 无效", f"'{name}' is not a field name")]
        if errors:
            raise ValidationError(errors)
        return sorted(set(only))
    # what is stored but not in the model: fields removed by an overlay or dropped by an upgrade
    return sorted(k for k in stored_keys(conn, entity.name) if NAME.match(k) and not entity.has(k))


def _counts(conn: Connection, entity: str, fields: list[str]) -> dict[str, int]:
    dialect = conn.dialect.name
    deleted = "false" if dialect == "postgresql" else "0"
    out = {}
    for name in fields:
        sql = f"SELECT COUNT(*) FROM records WHERE entity = :e AND deleted = {deleted} AND {_has_key(dialect, 'k')}"
        out[name] = conn.execute(text(sql), {"e": entity, "k": _key_param(dialect, name)}).scalar_one()
    return out


def preview(engine: Engine, meta: Metadata, entity_name: str, fields: list[str] | None = None) -> PurgeResult:
    """How many records hold data per removed field (all removed fields, or only `fields`)."""
    entity = _entity(meta, entity_name)
    with engine.connect() as conn:
        names = _fields(conn, entity, fields)
        return PurgeResult(entity.name, _counts(conn, entity.name, names), 0, True, names)


def purge(engine: Engine, meta: Metadata, entity_name: str, fields: list[str] | None = None, *,
          actor: str = "system", clock: Clock | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete the removed fields' data from every record of the entity, in one transaction."""
    if dry_run:
        return preview(engine, meta, entity_name, fields)
    entity = _entity(meta, entity_name)
    now = (clock or Clock()).now()
    with engine.connect().execution_options(danbao_write=True) as conn, conn.begin():
        names = _fields(conn, entity, fields)
        result = PurgeResult(entity.name, _counts(conn, entity.name, names), 0, False, names)
        if not names:
            return result
        dialect = conn.dialect.name
        deleted = "false" if dialect == "postgresql" else "0"
        cond = " OR ".join(_has_key(dialect, f"k{i}") for i in range(len(names)))
        params = {"e": entity.name, **{f"k{i}": _key_param(dialect, n) for i, n in enumerate(names)}}
        ids = [r[0] for r in conn.execute(text(
            f"SELECT id FROM records WHERE entity = :e AND deleted = {deleted} AND ({cond}) ORDER BY id"), params)]
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            rows = conn.execute(select(records.c.id, records.c.data, records.c.version)
                                .where(records.c.id.in_(batch)).with_for_update()).all()
            for row in rows:
                doc = dict(row.data)
                removed = {k: [doc.pop(k), None] for k in names if k in doc}
                if not removed:
                    continue
                conn.execute(update(records).where(and_(records.c.id == row.id, records.c.version == row.version))
                             .values(data=doc, version=row.version + 1, updated_at=now, updated_by=actor))
                conn.execute(insert(history).values(entity=entity.name, record_id=row.id, action="purge",
                                                    actor=actor, at=now, version=row.version + 1, changes=removed))
                result.records += 1
        # child rows of a removed table field are mirrored in record_rows: they go too
        conn.execute(delete(record_rows).where(and_(record_rows.c.entity == entity.name,
                                                    record_rows.c.field.in_(names))))
    return result
