"""Rollup fields kept up to date: aggregates over the live records of another entity that link here.

The value of a rollup is stored in the parent record. The store calls :meth:`Rollups.after_write`
on its one write path (create, update, delete) inside the write's transaction; when the written
record can change a parent's rollup (its link, the aggregated field or a `where`/`order_by` input
changed) the parent row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises
writers), the rollup recomputed from the database, and the parent saved through
:meth:`Store.update` as a trusted system write on behalf of the same user: computed fields re-run,
validations run, history is written. A parent rule that fails makes the child's write fail.

For records that existed before a rollup was added, :func:`refresh_all` (``danbao rollups
refresh``) computes the stored values.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import and_, select, text
from sqlalchemy.engine import Connection

from metadata.model import Entity, Field, Metadata, text_of

from .codec import decode
from .compute import Evaluator, coerce_result, is_blank
from .db import records
from .errors import ValidationError, msg
from .sqlexpr import ident, value_expr

if TYPE_CHECKING:  # pragma: no cover
    from .store import Actor, Store

MAX_DEPTH = 10   # rollups of rollups: a parent chain deeper than this is refused as a loop
_depth: ContextVar[int] = ContextVar("rollup_depth", default=0)


@dataclass
class RefreshResult:
    """What :func:`refresh_all` did: records whose rollups changed, and those refused by a rule."""
    checked: int = 0
    changed: int = 0
    failed: list[tuple[int, str]] = dc_field(default_factory=list)   # (record id, message in Chinese)


class Rollups:
    """The rollups of one metadata version, by the entity they aggregate."""

    def __init__(self, meta: Metadata):
        self.meta = meta
        self.by_source: dict[str, list[tuple[Entity, Field]]] = {}
        for entity in meta.entities.values():
            for f in entity.fields:
                if f.is_rollup:
                    self.by_source.setdefault(f.rollup.source, []).append((entity, f))

    # -- the write path ---------------------------------------------------------------------
    def after_write(self, store: "Store", c: Connection, entity: Entity, old: dict | None, new: dict | None,
                    actor: "Actor") -> None:
        """Refresh the parents' rollups that the write of one `entity` record (old → new values;
        None for a create's old or a delete's new) can have changed."""
        watchers = self.by_source.get(entity.name)
        if not watchers:
            return
        stale: dict[tuple[str, int], list[Field]] = {}
        for parent, f in watchers:
            for pid in _parents_to_refresh(f, old, new):
                stale.setdefault((parent.name, pid), []).append(f)
        if not stale:
            return
        if _depth.get() >= MAX_DEPTH:
            raise ValidationError({"": [msg("汇总字段层层相互引用,无法更新",
                                            "rollups refer to each other too deeply to be updated")]})
        token = _depth.set(_depth.get() + 1)
        try:
            for (parent_name, pid), fields in sorted(stale.items()):   # one order: no deadlocks
                self.refresh(store, c, self.meta.entity(parent_name), pid, fields, actor)
        finally:
            _depth.reset(token)

    def refresh(self, store: "Store", c: Connection, entity: Entity, record_id: int, fields: list[Field],
                actor: "Actor") -> bool:
        """Recompute `fields` of one record under a row lock and save the record when they changed.
        Returns whether it was saved. A record that is gone is skipped."""
        from .store import Actor
        q = select(records.c.version, records.c.data).where(and_(
            records.c.id == record_id, records.c.entity == entity.name, records.c.deleted.is_(False)))
        if store.dialect == "postgresql":
            q = q.with_for_update()
        row = c.execute(q).first()
        if row is None:
            return False
        current = decode(entity, row.data, store.types)
        values = compute(store, c, record_id, fields)
        if all(current.get(name) == value for name, value in values.items()):
            return False
        system = Actor(actor.username, actor.roles, system=True)
        try:
            store.update(entity.name, record_id, {}, version=row.version, actor=system, conn=c,
                         _rollups=values)
        except ValidationError as e:
            raise ValidationError({"": _refused(entity, current, e)}) from None
        return True


def _parents_to_refresh(f: Field, old: dict | None, new: dict | None) -> list[int]:
    r = f.rollup
    before = old.get(r.link) if old else None
    after = new.get(r.link) if new else None
    if before != after:
        return [p for p in (before, after) if p is not None]
    if after is None:
        return []
    if old is None or new is None or any(old.get(n) != new.get(n) for n in r.inputs):
        return [after]
    return []


def _refused(entity: Entity, values: dict, e: ValidationError) -> list[dict]:
    """The parent's messages, each naming the parent (担保项目 DB2026…: 在保余额不能小于 0)."""
    title = values.get(entity.title_field) if entity.title_field else None
    who = {lang: f"{text_of(entity.label, lang)} {title if not is_blank(title) else '#' + str(values.get('id', ''))}"
           for lang in ("zh", "en")}
    out = []
    for path, messages in e.errors.items():
        name = path.split(".")[0]
        field = {lang: f"{text_of(entity.field(name).label, lang)}: " if entity.has(name) else ""
                 for lang in ("zh", "en")}
        for m in messages:
            out.append(msg(f"{who['zh']}: {field['zh']}{m['zh']}", f"{who['en']}: {field['en']}{m['en']}"))
    return out


_cache: dict[int, Rollups] = {}


def rollups_of(meta: Metadata) -> Rollups:
    """The Rollups of a metadata version, built once (a Store is made per request)."""
    hit = _cache.get(id(meta))
    if hit is None or hit.meta is not meta:
        if len(_cache) >= 8:
            _cache.pop(next(iter(_cache)))
        hit = _cache[id(meta)] = Rollups(meta)
    return hit


# -- computing ----------------------------------------------------------------------------------
def compute(store: "Store", c: Connection, record_id: int, fields: list[Field]) -> dict:
    """The values of rollup `fields` of record `record_id`, from the live records in the database
    (those of one `from`/`link` pair are read once)."""
    groups: dict[tuple[str, str], list[Field]] = {}
    for f in fields:
        groups.setdefault((f.rollup.source, f.rollup.link), []).append(f)
    out = {}
    for (source_name, link), group in groups.items():
        source = store.meta.entity(source_name)
        rows = _related(store, c, source, link, record_id)
        for f in group:
            out[f.name] = aggregate(store, source, f, rows)
    return out


def _related(store: "Store", c: Connection, source: Entity, link: str, record_id: int) -> list[dict]:
    """The live `source` records whose `link` is `record_id`, on the link's expression index."""
    live = "0" if store.dialect == "sqlite" else "false"
    # names written into the SQL text (checked identifiers) so that SQLite matches the partial index
    where = text(f"entity = '{ident(source.name)}' AND deleted = {live} "
                 f"AND {value_expr(store.dialect, source.field(link))} = :rid").bindparams(rid=record_id)
    q = select(records.c.id, records.c.created_at, records.c.created_by, records.c.data).where(where)
    return [{**decode(source, r.data, store.types), "id": r.id, "created_at": r.created_at,
             "created_by": r.created_by} for r in c.execute(q)]


def aggregate(store: "Store", source: Entity, f: Field, rows: list[dict]):
    """One rollup's value over `rows` (decoded `source` records with id, created_at, created_by)."""
    r = f.rollup
    if r.where:
        errors: dict = {}
        ev = Evaluator(source, store.functions, store.clock.now().date(), errors, store.types)
        rows = [row for row in rows if ev.run(r.where, row, f.name, f.label)]
        if errors:
            raise ValidationError({"": [m for ms in errors.values() for m in ms]})
    if r.aggregate == "count":
        return len(rows)
    if r.aggregate == "latest":
        rows = [row for row in rows if not is_blank(row.get(r.order_by))]   # as LATEST() in formulas
        if not rows:
            return None
        return coerce_result(f, max(rows, key=lambda row: (row[r.order_by], row["id"])).get(r.field))
    values = [row[r.field] for row in rows if not is_blank(row.get(r.field))]
    if r.aggregate == "sum":
        return coerce_result(f, sum(values, Decimal(0)))
    if not values:
        return None
    if r.aggregate == "avg":
        return coerce_result(f, sum((Decimal(v) for v in values), Decimal(0)) / len(values))
    return coerce_result(f, min(values) if r.aggregate == "min" else max(values))


# -- old data -------------------------------------------------------------------------------------
def refresh_all(store: "Store", entity: str, field: str | None = None, *, batch: int = 500) -> RefreshResult:
    """Compute the stored rollups of every live `entity` record (only `field` when given), e.g.
    after a pack added a rollup to an entity that already has records. Each record is saved in its
    own transaction as a system write (history actor ``system``) and only when a value changed; a
    record that its own rules refuse is listed in ``failed`` and left as it was."""
    from .store import SYSTEM
    target = store.meta.entity(entity)
    fields = [f for f in target.fields if f.is_rollup and (field is None or f.name == field)]
    if field is not None and not fields:
        raise ValueError(f"'{entity}' has no rollup field '{field}'")
    result = RefreshResult()
    if not fields:
        return result
    rollups = store.rollups
    last = 0
    while True:
        with store.engine.connect() as c:
            ids = c.execute(select(records.c.id).where(and_(
                records.c.entity == entity, records.c.deleted.is_(False), records.c.id > last))
                .order_by(records.c.id).limit(batch)).scalars().all()
        if not ids:
            return result
        for rid in ids:
            result.checked += 1
            try:
                with store.transaction() as c:
                    if rollups.refresh(store, c, target, rid, fields, SYSTEM):
                        result.changed += 1
            except ValidationError as e:
                result.failed.append((rid, "; ".join(m["zh"] for ms in e.errors.values() for m in ms)))
        last = ids[-1]
