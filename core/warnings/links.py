"""Linked records the rules' formulas read (`project.pm_a`), loaded once per batch of records:
one query for every link field that some formula reaches through, never one per record, and only
the linked fields the formulas read are decoded. A scan passes a `Cache` so a record linked from
many batches (a customer of many projects) is read once; it is bounded, so memory stays flat."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import and_, select

from metadata.model import Entity, Metadata

from ..codec import _load_value
from ..db import records
from ..formula import compile_formula
from ..query import _doc
from ..registry import EMPTY, Registry

CACHE_LIMIT = 20_000          # linked records kept between batches (cleared when full)


@dataclass(frozen=True)
class Link:
    target: str                   # the linked entity
    attributes: frozenset         # its fields the formulas read


def reached(entity: Entity, texts: Iterable[str]) -> dict[str, Link]:
    """Link fields of `entity` that the formulas read through with a dot: {field: Link}."""
    links = {f.name: f.entity for f in entity.fields if f.type == "link" and f.entity}
    attrs: dict[str, set] = {}
    for text in texts:
        for name, attr in compile_formula(text).attributes:
            if name in links:
                attrs.setdefault(name, set()).add(attr)
    return {name: Link(links[name], frozenset(a)) for name, a in attrs.items()}


class Cache(dict):
    """(entity, id) -> the linked record's values (or None when missing or deleted)."""

    def room(self, n: int) -> None:
        """Make room for `n` more (a batch's links all fit: the limit is far above a batch)."""
        if len(self) + n > CACHE_LIMIT:
            self.clear()


def load(conn, meta: Metadata, links: dict[str, Link], rows: list[dict], types: Registry = EMPTY,
         cache: Cache | None = None) -> None:
    """Replace, in each row, the ids of the reached link fields by the linked record's values (the
    fields read, with its `id` and `created_by`); a link to a missing or deleted record becomes blank."""
    cache = Cache() if cache is None else cache
    wanted: dict[str, set] = {}
    ids: dict[str, set[int]] = {}
    for name, link in links.items():
        wanted.setdefault(link.target, set()).update(link.attributes)
        ids.setdefault(link.target, set()).update(r[name] for r in rows if isinstance(r.get(name), int))
    cache.room(sum(len(v) for v in ids.values()))
    for target, needed in ids.items():
        todo = {i for i in needed if (target, i) not in cache}
        if not todo or target not in meta.entities:
            continue
        entity = meta.entity(target)
        fields = [f for f in entity.fields if f.name in wanted[target]]
        for chunk in _chunks(sorted(todo), 900):
            for rid, data, created_by in conn.execute(
                    select(records.c.id, records.c.data, records.c.created_by).where(and_(
                        records.c.entity == target, records.c.id.in_(chunk), records.c.deleted.is_(False)))):
                doc = _doc(data)
                cache[(target, rid)] = {**{f.name: _load_value(f, doc.get(f.name), types) for f in fields},
                                        "id": rid, "created_by": created_by}
        for rid in todo:
            cache.setdefault((target, rid), None)
    for r in rows:
        for name, link in links.items():
            v = r.get(name)
            if v is not None:
                r[name] = cache.get((link.target, v)) if isinstance(v, int) else None


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
