"""The warning scan (`danbao warnings scan`, from cron): every enabled daily rule over every live
record of its entity, streamed in batches by id (never all in memory), evaluated with the one
formula engine; new warnings raised, live ones refreshed, those whose condition no longer holds
resolved (also for deleted records and removed or disabled rules), overdue ones escalated.

Idempotent, and safe with several processes at once: each batch is written in one transaction
that, on PostgreSQL, first takes a transaction-level advisory lock on the entity (so two scans
take turns batch by batch instead of deadlocking), and every insert is ON CONFLICT DO NOTHING
against the one-live-warning-per-rule+record+key index (SQLite serialises writers).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterable, Iterator

from sqlalchemy import and_, func, select, text, true, type_coerce, update
from sqlalchemy.engine import Engine

from metadata.model import Metadata
from metadata.rule import Rule

from ..clock import Clock
from ..codec import _load_value, decode
from ..compute import functions_for
from ..db import WARNING_TABLES, Doc, analyze, records, warnings as w
from ..errors import msg
from ..formula import compile_formula
from ..query import _doc
from ..registry import EMPTY, Registry
from ..workflow.resolve import Directory
from . import links, prefilter
from .evaluate import ERROR_KEY, Context, evaluate, recipients_of
from .lifecycle import WarningError
from .persist import LIVE, Counts, add_recipients, chunks, reconcile_many

BATCH = 500
ANALYZE_EVERY = 5000      # new warnings before the warning tables' statistics are refreshed (PostgreSQL)


@dataclass
class ScanResult:
    rules: list[str] = field(default_factory=list)
    records: int = 0
    counts: Counts = field(default_factory=Counts)
    escalated: int = 0
    failures: list[str] = field(default_factory=list)    # "rule: record #id: error", the first 100

    def summary(self) -> str:
        c = self.counts
        return (f"{len(self.rules)} rule(s) over {self.records} record(s): {c.raised} raised, {c.refreshed} still "
                f"open, {c.resolved} resolved, {self.escalated} escalated, {c.errors} rule failure(s)")


def active_rules(meta: Metadata, names: Iterable[str] | None = None, *, daily: bool = True) -> list[Rule]:
    rules = meta.kinds.get("rules", {})
    if names:
        unknown = [n for n in names if n not in rules]
        if unknown:
            raise WarningError(msg(f"没有预警规则:{', '.join(unknown)}", f"no warning rule: {', '.join(unknown)} "
                                   f"(rules: {', '.join(sorted(rules)) or 'none'})"))
        chosen = [rules[n] for n in names]
    else:
        chosen = list(rules.values())
    return [r for r in chosen if r.enabled and (r.daily or not daily)]


def context(conn, meta: Metadata, registry: Registry, clock: Clock) -> Context:
    return Context(meta, functions_for(meta, registry.functions), clock.today(), Directory(conn))


def lock(conn, entity: str) -> None:
    """PostgreSQL: writers of one entity's warnings take turns (released at commit)."""
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"danbao.warnings:{entity}".encode())
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def write(engine: Engine):
    return engine.connect().execution_options(danbao_write=True)


# at most this many fields are read out of the documents by the database (function arguments are
# limited: 100 on PostgreSQL); more are read whole
PROJECTED = 90


def projection(dialect: str, names: tuple[str, ...]):
    """The document's values of `names` as one JSON array, made by the database: only those are sent
    and parsed, not the whole document (a project has a hundred fields; the rules read a dozen)."""
    if dialect == "postgresql":
        return type_coerce(func.jsonb_build_array(*[records.c.data[n] for n in names]), Doc)
    paths = [f'$."{n}"' for n in names]       # SQLite: with two paths or more json_extract gives an array
    return type_coerce(func.json_extract(records.c.data, *(paths if len(paths) > 1 else paths * 2)), Doc)


def stream(engine: Engine, entity: str, batch: int, where=None,
           names: tuple[str, ...] | None = None) -> Iterator[list]:
    """The live records of `entity` (passing `where`, a prefilter) in batches of `batch`, by id
    (keyset pages on the records index). With `names`, each row's `data` is the list of those
    fields' stored values, in order (`environments` reads it so)."""
    data = records.c.data
    if names and len(names) <= PROJECTED and engine.dialect.name in ("sqlite", "postgresql"):
        data = projection(engine.dialect.name, names).label("data")
    else:
        names = None
    last = 0
    while True:
        with engine.connect() as c:
            test = and_(records.c.entity == entity, records.c.deleted.is_(False), records.c.id > last)
            rows = c.execute(select(records.c.id, data, records.c.created_at, records.c.created_by,
                                    records.c.updated_at, records.c.updated_by)
                             .where(test if where is None else and_(test, where))
                             .order_by(records.c.id).limit(batch)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def used_fields(meta: Metadata, entity_name: str, rules: Iterable[Rule]) -> tuple | None:
    """The fields of the entity the rules read (decoding only those is most of a scan's speed)."""
    entity = meta.entity(entity_name)
    names: set[str] = set()
    for rule in rules:
        for t in rule.formulas():
            names |= set(compile_formula(t).names)
        names |= {r.value for r in (*rule.recipients, *rule.escalate_to) if r.kind == "field"}
    return tuple(f for f in entity.fields if f.name in names)


def environments(conn, meta: Metadata, entity_name: str, rows, reached: dict, types: Registry,
                 fields: tuple | None = None, cache: links.Cache | None = None) -> list[dict]:
    """Each record's values as the rules' formulas see them: fields (only `fields` when given: then
    a row's data may be the list of their values, as `stream` reads them), system values, reached links."""
    entity = meta.entity(entity_name)
    if fields is None:
        values = [decode(entity, _doc(r.data), types) for r in rows]
    else:
        loaders = [(f.name, f, None if f.is_table else types.type(f.type).load) for f in fields]
        values = []
        for r in rows:
            d, v = r.data, {}
            stored_values = d if isinstance(d, list) else [_doc(d).get(name) for name, _, _ in loaders]
            for (name, f, load), stored in zip(loaders, stored_values):
                v[name] = None if stored is None else load(stored, f) if load else _load_value(f, stored, types)
            values.append(v)
    envs = [{**v, "id": r.id, "created_at": r.created_at, "created_by": r.created_by, "updated_at": r.updated_at,
             "updated_by": r.updated_by} for v, r in zip(values, rows)]
    if reached:
        links.load(conn, meta, reached, envs, types, cache)
    return envs


def scan(engine: Engine, meta: Metadata, *, registry: Registry = EMPTY, clock: Clock | None = None,
         rules: Iterable[str] | None = None, batch: int = BATCH) -> ScanResult:
    clock = clock or Clock()
    chosen = active_rules(meta, rules)
    result = ScanResult(rules=[r.name for r in chosen])
    now = clock.now()
    with engine.connect() as c:
        ctx = context(c, meta, registry, clock)
    stats = Statistics(engine)
    by_entity: dict[str, list[Rule]] = {}
    for rule in chosen:
        by_entity.setdefault(rule.entity, []).append(rule)
    for entity, entity_rules in sorted(by_entity.items()):
        if entity not in meta.entities:
            continue
        reached = links.reached(meta.entity(entity), [t for r in entity_rules for t in r.formulas()])
        fields = used_fields(meta, entity, entity_rules)
        where = prefilter.clause(engine.dialect.name, prefilter.guard(meta, entity, entity_rules))
        cache = links.Cache()
        last = 0
        for rows in stream(engine, entity, batch, where, tuple(f.name for f in fields)):
            with engine.connect() as c:
                envs = environments(c, meta, entity, rows, reached, registry, fields, cache)
            result.records += len(envs)
            outcomes = {r.name: {env["id"]: evaluate(r, env, ctx) for env in envs} for r in entity_rules}
            raised = result.counts.raised
            with write(engine) as conn, conn.begin():
                lock(conn, entity)
                result.counts.add(reconcile_many(conn, entity, outcomes, now, span=(last, rows[-1].id)))
            stats.grew(result.counts.raised - raised)
            last = rows[-1].id
            _failures(result, outcomes)
        with write(engine) as conn, conn.begin():
            lock(conn, entity)
            result.counts.resolved += _resolve_deleted(conn, entity, [r.name for r in entity_rules], now, where)
    if rules is None:
        with write(engine) as conn, conn.begin():
            result.counts.resolved += _resolve_retired(conn, meta, now)
    result.escalated = escalate(engine, meta, chosen, ctx, now, registry)
    return result


class Statistics:
    """PostgreSQL plans the scan's lookups (recipients, messages by warning) from its statistics of
    the warning tables; a first scan that fills them from empty would be planned as if they were
    still empty — sequential scans whose cost grows with every batch — until autovacuum's next
    ANALYZE. So the scan refreshes them itself whenever the warnings have grown by half."""

    def __init__(self, engine: Engine):
        self.engine, self.on = engine, engine.dialect.name == "postgresql"
        self.size = self._count() if self.on else 0
        self.new = 0

    def _count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(w)).scalar_one()

    def grew(self, raised: int) -> None:
        self.new += raised
        if self.on and self.new >= max(ANALYZE_EVERY, self.size // 2):
            analyze(self.engine, WARNING_TABLES)
            self.size, self.new = self.size + self.new, 0


def _failures(result: ScanResult, outcomes) -> None:
    for rule, by_record in outcomes.items():
        for rid, outs in by_record.items():
            for o in outs:
                if o.key == ERROR_KEY and len(result.failures) < 100:
                    result.failures.append(o.message["en"])


def _resolve_deleted(conn, entity: str, rule_names: list[str], now, where=None) -> int:
    """Live warnings on records deleted, or not passing the prefilter (`where`), are resolved."""
    test = and_(records.c.entity == entity, records.c.deleted.is_(False))
    alive = select(records.c.id).where(test if where is None else and_(test, where))
    return conn.execute(update(w).where(and_(w.c.entity == entity, w.c.rule.in_(rule_names), w.c.state.in_(LIVE),
                                             w.c.record_id.not_in(alive)))
                        .values(state="resolved", resolved_at=now)).rowcount


def _resolve_retired(conn, meta: Metadata, now) -> int:
    """Warnings of rules that were removed or disabled are resolved by a full scan."""
    current = [r.name for r in meta.kinds.get("rules", {}).values() if r.enabled]
    return conn.execute(update(w).where(and_(w.c.state.in_(LIVE), w.c.rule.not_in(current) if current else true()))
                        .values(state="resolved", resolved_at=now)).rowcount


def escalate(engine: Engine, meta: Metadata, rules: list[Rule], ctx: Context, now, registry: Registry = EMPTY) -> int:
    """Add each rule's `escalate.to` to the live warnings raised at least `escalate.days` ago and not
    escalated yet; each warning is escalated once, by whichever process marks it first."""
    done = 0
    for rule in rules:
        if not rule.escalate_days or rule.entity not in meta.entities:
            continue
        cutoff = now - timedelta(days=rule.escalate_days)
        with engine.connect() as c:
            due = c.execute(select(w.c.id, w.c.record_id).where(and_(
                w.c.rule == rule.name, w.c.state.in_(LIVE), w.c.escalated_at.is_(None), w.c.raised_at <= cutoff,
                w.c.key != ERROR_KEY)).order_by(w.c.id)).all()
        reached = links.reached(meta.entity(rule.entity), rule.formulas())
        for chunk in chunks(due, BATCH):
            with engine.connect() as c:
                rows = c.execute(select(records.c.id, records.c.data, records.c.created_at, records.c.created_by,
                                        records.c.updated_at, records.c.updated_by).where(and_(
                    records.c.entity == rule.entity, records.c.deleted.is_(False),
                    records.c.id.in_([d.record_id for d in chunk])))).all()
                envs = {e["id"]: e for e in environments(c, meta, rule.entity, rows, reached, registry)}
            with write(engine) as conn, conn.begin():
                lock(conn, rule.entity)
                for d in chunk:
                    env = envs.get(d.record_id)
                    if env is None:
                        continue
                    mine = conn.execute(update(w).where(and_(w.c.id == d.id, w.c.escalated_at.is_(None)))
                                        .values(escalated_at=now)).rowcount
                    if mine:
                        add_recipients(conn, d.id, recipients_of(rule.escalate_to, env, ctx), escalated=True)
                        done += 1
    return done
