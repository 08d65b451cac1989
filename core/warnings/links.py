"""Linked records the rules' formulas read (`project.pm_a`), loaded once per batch of records:
one query for every link field that some formula reaches through, never one per record."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import and_, select

from metadata.model import Entity, Metadata

from ..codec import decode
from ..db import records
from ..formula import compile_formula
from ..query import _doc
from ..registry import EMPTY, Registry


def reached(entity: Entity, texts: Iterable[str]) -> dict[str, str]:
    """Link fields of `entity` that the formulas read through with a dot: {field: target entity}."""
    links = {f.name: f.entity for f in entity.fields if f.type == "link" and f.entity}
    out = {}
    for text in texts:
        for name, _attr in compile_formula(text).attributes:
            if name in links:
                out[name] = links[name]
    return out


def load(conn, meta: Metadata, links: dict[str, str], rows: list[dict], types: Registry = EMPTY) -> None:
    """Replace, in each row, the ids of the reached link fields by the linked record's values (with
    its `id`); a link to a missing or deleted record becomes blank."""
    by_target: dict[str, set[int]] = {}
    for name, target in links.items():
        by_target.setdefault(target, set()).update(r[name] for r in rows if isinstance(r.get(name), int))
    loaded: dict[tuple[str, int], dict] = {}
    for target, ids in by_target.items():
        if not ids or target not in meta.entities:
            continue
        entity = meta.entity(target)
        for chunk in _chunks(sorted(ids), 900):
            for rid, data, created_by in conn.execute(
                    select(records.c.id, records.c.data, records.c.created_by).where(and_(
                        records.c.entity == target, records.c.id.in_(chunk), records.c.deleted.is_(False)))):
                loaded[(target, rid)] = {**decode(entity, _doc(data), types), "id": rid, "created_by": created_by}
    for r in rows:
        for name, target in links.items():
            if r.get(name) is not None:
                r[name] = loaded.get((target, r[name])) if isinstance(r[name], int) else None


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
