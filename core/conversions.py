"""Rewriting stored values when a published type change comes with a mapping (a text field that
becomes a choice: each old text mapped to a code of the new list, in the studio's review).

Written the way `core.purge` writes: record by record in one transaction, the version bumped (an
edit begun before is refused as stale) and a `convert` history entry with each value's before and
after, attributed to the publisher.
"""
from __future__ import annotations

from datetime import datetime
from typing import Mapping

from sqlalchemy import and_, insert, select, text, update
from sqlalchemy.engine import Engine

from .db import history, records
from .sqlexpr import TEMPLATES, ident

BATCH = 500


def convert(engine: Engine, conversions: Mapping[str, Mapping[str, str]], *, actor: str, now: datetime) -> int:
    """Apply {"entity.field": {old: new}}; the number of records changed."""
    changed = 0
    with engine.connect().execution_options(danbao_write=True) as conn, conn.begin():
        for key, mapping in sorted(conversions.items()):
            entity, field = key.split(".", 1)
            if not mapping:
                continue
            value = TEMPLATES["text"][0 if conn.dialect.name == "sqlite" else 1].format(c="data", k=ident(field))
            ids = _ids(conn, entity, value, list(mapping))
            for start in range(0, len(ids), BATCH):
                rows = conn.execute(select(records.c.id, records.c.data, records.c.version)
                                    .where(records.c.id.in_(ids[start:start + BATCH])).with_for_update()).all()
                for row in rows:
                    old = row.data.get(field)
                    if old not in mapping:
                        continue
                    doc = {**row.data, field: mapping[old]}
                    conn.execute(update(records).where(and_(records.c.id == row.id, records.c.version == row.version))
                                 .values(data=doc, version=row.version + 1, updated_at=now, updated_by=actor))
                    conn.execute(insert(history).values(entity=entity, record_id=row.id, action="convert", actor=actor,
                                                        at=now, version=row.version + 1,
                                                        changes={field: [old, mapping[old]]}))
                    changed += 1
    return changed


def _ids(conn, entity: str, value: str, olds: list[str]) -> list[int]:
    params = {f"o{i}": o for i, o in enumerate(olds)}
    placeholders = ", ".join(f":{k}" for k in params)
    deleted = "false" if conn.dialect.name == "postgresql" else "0"
    sql = (f"SELECT id FROM records WHERE entity = :e AND deleted = {deleted} AND {value} IN ({placeholders}) "
           "ORDER BY id")
    return [r[0] for r in conn.execute(text(sql), {"e": entity, **params})]
