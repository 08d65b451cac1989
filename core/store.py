"""The record store: the one write path (permission → validation → computed fields → persist +
history, in one transaction) and reads of single records.

    store = Store(engine, meta, clock=FixedClock(...))
    rec = store.create("enterprise_customer", {"name": "…"}, actor=Actor("li", {"pm"}))
    rec = store.update("enterprise_customer", rec.id, {"employees": 80}, version=rec.version, actor=…)
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Any, Iterator, Mapping

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from metadata.model import Entity, Metadata

from .clock import Clock
from .codec import decode, encode
from .compute import functions_for
from .db import history, record_rows, records, users
from .errors import ConflictError, NotFound, PermissionDenied, ValidationError, msg
from .history import diff
from .registry import EMPTY, Registry
from .numbering import next_number
from .rollups import rollups_of
from .warnings.hooks import on_save
from .sqlexpr import ident, value_expr
from .validate import Prepared, evaluate, prepare

UNIQUE_INDEX = re.compile(r"fx_u_([a-z0-9_]+?)__([a-z0-9_]+)")


@dataclass(frozen=True)
class Actor:
    username: str
    roles: frozenset[str] = frozenset()
    system: bool = False   # imports, workflow side effects: permission checks pass, readonly fields writable

    def __init__(self, username: str, roles=(), system: bool = False):
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "roles", frozenset(roles))
        object.__setattr__(self, "system", system)


SYSTEM = Actor("system", system=True)


@dataclass
class Record:
    id: int
    entity: str
    values: dict
    version: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    updated_by: str | None
    meta_version: int | None = None
    cleared: list = dc_field(default_factory=list)   # fields emptied by visible_if on this save

    def __getitem__(self, name):
        return self.values[name]


class Store:
    def __init__(self, engine: Engine, meta: Metadata, *, clock: Clock | None = None,
                 registry: Registry = EMPTY, meta_version: int | None = None):
        self.engine, self.meta, self.clock = engine, meta, clock or Clock()
        self.types = registry
        self.functions = functions_for(meta, registry.functions)
        self.meta_version = meta_version
        self.dialect = engine.dialect.name
        self.rollups = rollups_of(meta)
        # entities watched by warning rules that run on save (docs/rules.md)
        self.save_rules = frozenset(r.entity for r in meta.kinds.get("rules", {}).values() if r.enabled and r.on_save)

    def _warn(self, c: Connection, entity: Entity, record_id: int, values: dict, created_by: str | None) -> None:
        """Warning rules with `runs: [save]` on the record just written, in its transaction (they
        never fail the save)."""
        if entity.name in self.save_rules:
            on_save(self, c, entity.name, record_id, values, created_by=created_by)

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; pass its connection as `conn=` to join several writes into one."""
        with self.engine.connect().execution_options(danbao_write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def _tx(self, conn: Connection | None):
        if conn is not None:
            yield conn
        else:
            with self.transaction() as c:
                yield c

    # -- permissions ----------------------------------------------------------------------
    def allowed(self, actor: Actor | None, action: str, entity: Entity) -> bool:
        roles = entity.permissions.get(action)
        if actor is None or actor.system or roles is None:
            return actor is not None
        return bool(actor.roles & set(roles))

    def _require(self, actor, action, entity):
        if not self.allowed(actor, action, entity):
            raise PermissionDenied(msg(f"没有{_ACTION_ZH[action]}「{entity.label.get('zh', entity.name)}」的权限",
                                       f"you may not {action} {entity.name}"))

    # -- writes -----------------------------------------------------------------------------
    def create(self, entity_name: str, data: Mapping[str, Any], *, actor: Actor | None = SYSTEM,
               conn: Connection | None = None) -> Record:
        entity = self.meta.entity(entity_name)
        self._require(actor, "create", entity)
        now = self.clock.now()
        system = {"id": None, "created_at": now, "updated_at": now, "created_by": actor.username,
                  "updated_by": actor.username}
        with self._tx(conn) as c:
            p = prepare(self.meta, entity, data, None, functions=self.functions, today=now.date(),
                        exists=lambda target, ids: self._existing(c, target, ids), trusted=actor.system,
                        system=system, types=self.types, load_link=lambda e, i: self._linked(c, e, i),
                        roles=_roles(actor))
            values = p.values
            if entity.numbering and not values.get(entity.numbering.field):
                values[entity.numbering.field] = next_number(c, entity.name, entity.numbering.field,
                                                             entity.numbering.pattern, now)
            doc = encode(entity, values, types=self.types)
            self._check_unique(c, entity, doc, None)
            with self._unique_errors(c, entity):
                rid = c.execute(insert(records).values(
                    entity=entity.name, data=doc, version=1, meta_version=self.meta_version, deleted=False,
                    created_at=now, created_by=actor.username, updated_at=now, updated_by=actor.username,
                ).returning(records.c.id)).scalar_one()
            self._write_rows(c, entity, rid, doc, None)
            c.execute(insert(history).values(entity=entity.name, record_id=rid, action="create",
                                             actor=actor.username, at=now, version=1, changes=doc))
            values = decode(entity, doc, self.types)
            self.rollups.after_write(self, c, entity, None, values, actor)
            self._warn(c, entity, rid, values, actor.username)
        return Record(rid, entity.name, values, 1, now, actor.username, now, actor.username,
                      self.meta_version, p.cleared)

    def update(self, entity_name: str, record_id: int, data: Mapping[str, Any], *, version: int,
               actor: Actor | None = SYSTEM, conn: Connection | None = None,
               _rollups: Mapping[str, Any] | None = None) -> Record:
        """`_rollups`: new values of rollup fields, given only by core.rollups."""
        entity = self.meta.entity(entity_name)
        self._require(actor, "update", entity)
        now = self.clock.now()
        with self._tx(conn) as c:
            row = self._row(c, entity.name, record_id)
            if row.version != version:
                raise self._conflict(c, entity.name, record_id, version, row.version)
            old_doc = row.data
            system = {"id": row.id, "created_at": row.created_at, "created_by": row.created_by,
                      "updated_at": now, "updated_by": actor.username}
            old_values = decode(entity, old_doc, self.types)
            p = prepare(self.meta, entity, data, {**old_values, **(_rollups or {})}, functions=self.functions,
                        today=now.date(), exists=lambda target, ids: self._existing(c, target, ids),
                        trusted=actor.system, system=system, types=self.types,
                        load_link=lambda e, i: self._linked(c, e, i), roles=_roles(actor))
            doc = encode(entity, p.values, keep=old_doc, types=self.types)
            changes = diff(old_doc, doc)
            if not changes:
                return self._record(row, entity)
            self._check_unique(c, entity, doc, record_id)
            with self._unique_errors(c, entity):
                done = c.execute(update(records).where(and_(
                    records.c.id == record_id, records.c.version == version, records.c.deleted.is_(False)))
                    .values(data=doc, version=version + 1, updated_at=now, updated_by=actor.username,
                            meta_version=self.meta_version)).rowcount
            if done != 1:  # someone saved between our read and our write
                raise self._conflict(c, entity.name, record_id, version, None)
            self._write_rows(c, entity, record_id, doc, old_doc)
            c.execute(insert(history).values(entity=entity.name, record_id=record_id, action="update",
                                             actor=actor.username, at=now, version=version + 1, changes=changes))
            values = decode(entity, doc, self.types)
            self.rollups.after_write(self, c, entity, old_values, values, actor)
            self._warn(c, entity, record_id, values, row.created_by)
        rec = Record(record_id, entity.name, values, version + 1, row.created_at, row.created_by,
                     now, actor.username, self.meta_version, p.cleared)
        return rec

    def delete(self, entity_name: str, record_id: int, *, version: int, actor: Actor | None = SYSTEM,
               conn: Connection | None = None) -> None:
        entity = self.meta.entity(entity_name)
        self._require(actor, "delete", entity)
        now = self.clock.now()
        with self._tx(conn) as c:
            row = self._row(c, entity.name, record_id)
            done = c.execute(update(records).where(and_(records.c.id == record_id, records.c.version == version,
                                                        records.c.deleted.is_(False)))
                             .values(deleted=True, version=version + 1, updated_at=now,
                                     updated_by=actor.username)).rowcount
            if done != 1:
                raise self._conflict(c, entity.name, record_id, version, row.version)
            c.execute(delete(record_rows).where(record_rows.c.record_id == record_id))
            c.execute(insert(history).values(entity=entity.name, record_id=record_id, action="delete",
                                             actor=actor.username, at=now, version=version + 1, changes=row.data))
            if self.rollups.by_source.get(entity.name):
                self.rollups.after_write(self, c, entity, decode(entity, row.data, self.types), None, actor)

    def preview(self, entity_name: str, data: Mapping[str, Any], *, record_id: int | None = None,
                actor: Actor | None = SYSTEM) -> Prepared:
        """What saving `data` would give, without writing: values with computed fields, every
        error so far, and each field's live state (visible / required / read-only). Screens call
        this while the user types; the save itself checks everything again."""
        entity = self.meta.entity(entity_name)
        self._require(actor, "update" if record_id else "create", entity)
        now = self.clock.now()
        with self.engine.connect() as c:
            existing, system = None, {"id": None, "created_at": now, "updated_at": now,
                                      "created_by": actor.username, "updated_by": actor.username}
            if record_id is not None:
                row = self._row(c, entity.name, record_id)
                existing = decode(entity, row.data, self.types)
                system.update(id=row.id, created_at=row.created_at, created_by=row.created_by)
            return evaluate(self.meta, entity, data, existing, functions=self.functions, today=now.date(),
                            exists=lambda target, ids: self._existing(c, target, ids), trusted=actor.system,
                            system=system, types=self.types, load_link=lambda e, i: self._linked(c, e, i),
                            roles=_roles(actor))

    # -- reads ------------------------------------------------------------------------------
    def get(self, entity_name: str, record_id: int, *, actor: Actor | None = SYSTEM,
            conn: Connection | None = None) -> Record:
        """The record; through `conn` when given (a screen reading more alongside it)."""
        entity = self.meta.entity(entity_name)
        self._require(actor, "read", entity)
        if conn is not None:
            return self._record(self._row(conn, entity.name, record_id), entity)
        with self.engine.connect() as c:
            return self._record(self._row(c, entity.name, record_id), entity)

    def history(self, entity_name: str, record_id: int) -> list[dict]:
        with self.engine.connect() as c:
            rows = c.execute(select(history).where(and_(history.c.entity == entity_name,
                                                        history.c.record_id == record_id))
                             .order_by(history.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # -- helpers ------------------------------------------------------------------------------
    def _row(self, c: Connection, entity: str, record_id: int):
        row = c.execute(select(records).where(and_(records.c.id == record_id, records.c.entity == entity,
                                                   records.c.deleted.is_(False)))).first()
        if row is None:
            raise NotFound()
        return row

    def _record(self, row, entity: Entity) -> Record:
        return Record(row.id, row.entity, decode(entity, row.data, self.types), row.version, row.created_at, row.created_by,
                      row.updated_at, row.updated_by, row.meta_version)

    def _conflict(self, c, entity: str, record_id: int, version: int, current: int | None) -> ConflictError:
        later = c.execute(select(history).where(and_(history.c.entity == entity, history.c.record_id == record_id,
                                                     history.c.version > version)).order_by(history.c.id)).all()
        changes: dict = {}
        for h in later:
            changes.update(h.changes if h.action == "update" else {"(deleted)": [None, h.actor]})
        current = current or (later[-1].version if later else version)
        return ConflictError(current, changes, later[-1].actor if later else None)

    def _linked(self, c: Connection, entity: str, record_id: int) -> dict | None:
        row = c.execute(select(records).where(and_(records.c.id == record_id, records.c.entity == entity,
                                                   records.c.deleted.is_(False)))).first()
        return {**self._record(row, self.meta.entity(entity)).values, "id": row.id} if row else None

    def _existing(self, c: Connection, target: str, ids: set[int]) -> set[int]:
        if target == "user":
            q = select(users.c.id).where(and_(users.c.id.in_(ids), users.c.active.is_(True)))
        else:
            q = select(records.c.id).where(and_(records.c.entity == target, records.c.id.in_(ids),
                                                records.c.deleted.is_(False)))
        return set(c.execute(q).scalars())

    def _check_unique(self, c: Connection, entity: Entity, doc: dict, record_id: int | None) -> None:
        """A friendly, all-at-once check; the unique index still guards against races."""
        from sqlalchemy import text
        errors = {}
        for f in entity.fields:
            if not f.unique or doc.get(f.name) is None:
                continue
            sql = (f"SELECT id FROM records WHERE entity = '{ident(entity.name)}' AND deleted = "
                   f"{'0' if self.dialect == 'sqlite' else 'false'} AND {value_expr(self.dialect, f)} = :v"
                   + (" AND id <> :id" if record_id else "") + " LIMIT 1")
            value = doc[f.name]
            hit = c.execute(text(sql), {"v": value, "id": record_id}).first()
            if hit:
                errors[f.name] = [msg(f"「{value}」已被记录 {hit[0]} 使用", f"'{value}' is already used by record {hit[0]}")]
        if errors:
            raise ValidationError(errors)

    @contextmanager
    def _unique_errors(self, c: Connection, entity: Entity):
        savepoint = c.begin_nested()
        try:
            yield
        except IntegrityError as e:
            savepoint.rollback()
            m = UNIQUE_INDEX.search(str(e.orig))
            if m and m.group(1) == entity.name:
                raise ValidationError({m.group(2): [msg("该值已被其他记录使用", "this value is already used")]}) from None
            raise
        else:
            savepoint.commit()

    def _write_rows(self, c: Connection, entity: Entity, rid: int, doc: dict, old: dict | None) -> None:
        """Mirror child rows into record_rows for SQL filters and sums."""
        for f in entity.fields:
            if not f.is_table or (old is not None and old.get(f.name) == doc.get(f.name)):
                continue
            if old is not None:
                c.execute(delete(record_rows).where(and_(record_rows.c.record_id == rid,
                                                         record_rows.c.field == f.name)))
            rows = doc.get(f.name) or []
            if rows:
                c.execute(insert(record_rows), [{"record_id": rid, "entity": entity.name, "field": f.name,
                                                 "position": i, "data": r} for i, r in enumerate(rows)])


def _roles(actor: Actor) -> frozenset[str] | None:
    """The roles a product must allow (None: a trusted writer, e.g. an import or a workflow)."""
    return None if actor.system else actor.roles


_ACTION_ZH = {"read": "查看", "create": "新建", "update": "修改", "delete": "删除"}
