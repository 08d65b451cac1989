"""Writing a batch's outcomes for one rule: raise the new warnings, refresh the live ones, resolve
those whose condition no longer holds. Idempotent and safe with several scans at once: a new
warning is inserted with ON CONFLICT DO NOTHING against the partial unique index (one live
warning per rule+record+key), so a second scan racing the first raises nothing twice; recipients
are inserted the same way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import and_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import messages
from ..db import WARNING_LIVE, warning_recipients as wr, warnings as w
from .evaluate import ERROR_KEY, Outcome

LIVE = ("open", "acknowledged")
CHUNK = 900          # ids per IN (…): below SQLite's bound-parameter limit


@dataclass
class Counts:
    raised: int = 0
    refreshed: int = 0
    resolved: int = 0
    errors: int = 0

    def add(self, other: "Counts") -> None:
        self.raised += other.raised
        self.refreshed += other.refreshed
        self.resolved += other.resolved
        self.errors += other.errors


def chunks(items: list, n: int = CHUNK):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _insert(conn, table):
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def live(conn, rules: Iterable[str], entity: str, ids: Iterable[int],
         span: tuple[int, int] | None = None) -> dict[tuple[str, int, str], object]:
    """The live warnings of `rules` on the records `ids`: {(rule, record id, key): row}. With `span`
    (lo, hi), the ids are those of a scan's batch: one range query (lo < record_id <= hi)."""
    rules, ids = list(rules), set(ids)
    cols = (w.c.id, w.c.rule, w.c.record_id, w.c.key, w.c.level, w.c.message, w.c.error)
    base = and_(w.c.entity == entity, w.c.rule.in_(rules), w.c.state.in_(LIVE))
    if span is not None:
        queries = [select(*cols).where(and_(base, w.c.record_id > span[0], w.c.record_id <= span[1]))]
    else:
        queries = [select(*cols).where(and_(base, w.c.record_id.in_(chunk))) for chunk in chunks(sorted(ids))]
    out = {}
    for q in queries:
        for r in conn.execute(q):
            if r.record_id in ids:
                out[(r.rule, r.record_id, r.key)] = r
    return out


def reconcile(conn, rule: str, entity: str, outcomes: Mapping[int, list[Outcome]], now: datetime,
              *, resolve_missing: bool = True) -> Counts:
    """Bring the live warnings of `rule` on the records `outcomes` covers (record id -> the warnings
    the rule gives now; [] when its condition does not hold) in line with them."""
    return reconcile_many(conn, entity, {rule: outcomes}, now, resolve_missing=resolve_missing)


def reconcile_many(conn, entity: str, outcomes: Mapping[str, Mapping[int, list[Outcome]]], now: datetime,
                   *, resolve_missing: bool = True, span: tuple[int, int] | None = None) -> Counts:
    """`reconcile` for several rules of one entity at once (a scan's batch): one query for the live
    warnings, one insert of the new ones, bulk updates — a handful of statements per batch."""
    counts = Counts()
    ids = {rid for by_record in outcomes.values() for rid in by_record}
    have = live(conn, outcomes, entity, ids, span)
    want = {(rule, rid, o.key): o for rule, by_record in outcomes.items() for rid, outs in by_record.items()
            for o in outs}
    failed = {(rule, rid) for rule, by_record in outcomes.items() for rid, outs in by_record.items()
              if any(o.key == ERROR_KEY for o in outs)}
    counts.errors = len(failed)
    new = [k for k in want if k not in have]
    ids_of: dict[tuple, int] = {k: r.id for k, r in have.items() if k in want}
    fresh: set[int] = set()        # raised by this transaction: no recipients, no messages yet
    if new:
        stmt = _insert(conn, w).on_conflict_do_nothing(index_elements=["rule", "entity", "record_id", "key"],
                                                       index_where=text(WARNING_LIVE))
        made = conn.execute(stmt.returning(w.c.id, w.c.rule, w.c.record_id, w.c.key), [
            {"rule": rule, "entity": entity, "record_id": rid, "key": key, "level": want[k].level,
             "message": dict(want[k].message), "error": want[k].error, "state": "open",
             "raised_at": now, "last_seen_at": now} for k in new for rule, rid, key in (k,)]).all()
        counts.raised = len(new)
        ids_of.update({(r.rule, r.record_id, r.key): r.id for r in made})
        fresh = {r.id for r in made}
        lost = [k for k in new if k not in ids_of]      # another scan raised them first: read theirs
        if lost:
            ids_of.update({k: r.id for k, r in live(conn, {rule for rule, _, _ in lost}, entity,
                                                    {rid for _, rid, _ in lost}).items() if k in want})
    same = [(have[k], o) for k, o in want.items() if k in have]
    changed = [(r, o) for r, o in same if r.level != o.level or r.message != dict(o.message) or r.error != o.error]
    changed_ids = {r.id for r, _ in changed}
    unchanged = [r.id for r, _ in same if r.id not in changed_ids]
    if unchanged:
        conn.execute(update(w).where(w.c.id == bindparam("wid")).values(last_seen_at=now),
                     [{"wid": i} for i in unchanged])
    for r, o in changed:
        conn.execute(update(w).where(w.c.id == r.id).values(level=o.level, message=dict(o.message),
                                                            error=o.error, last_seen_at=now))
    counts.refreshed = len(same)
    # gone: no longer given; a record whose rule failed keeps its other warnings as they were
    gone = [r.id for (rule, rid, key), r in have.items()
            if (rule, rid, key) not in want and ((rule, rid) not in failed or key == ERROR_KEY)]
    if not resolve_missing:
        gone = []
    for chunk in chunks(gone):
        counts.resolved += conn.execute(update(w).where(and_(w.c.id.in_(chunk), w.c.state.in_(LIVE)))
                                        .values(state="resolved", resolved_at=now)).rowcount
    if want:
        _recipients(conn, {ids_of[k]: o.recipients for k, o in want.items() if k in ids_of}, fresh)
    return counts


def _recipients(conn, wanted: Mapping[int, tuple[str, ...]], fresh: set[int] = frozenset()) -> None:
    """Make each warning's (not escalated) recipients the given users; `fresh` warnings were raised
    by this transaction, so they have none yet (not looked up)."""
    current: dict[int, set[str]] = {}
    for chunk in chunks([wid for wid in wanted if wid not in fresh]):
        for wid, user in conn.execute(select(wr.c.warning_id, wr.c.username).where(and_(
                wr.c.warning_id.in_(chunk), wr.c.escalated.is_(False)))):
            current.setdefault(wid, set()).add(user)
    add = [{"warning_id": wid, "username": u, "escalated": False}
           for wid, users in wanted.items() for u in users if u not in current.get(wid, ())]
    for wid, users in current.items():
        stale = users - set(wanted.get(wid, ()))
        if stale:
            conn.execute(delete(wr).where(and_(wr.c.warning_id == wid, wr.c.username.in_(stale),
                                               wr.c.escalated.is_(False))))
    if add:
        conn.execute(_insert(conn, wr).on_conflict_do_nothing(index_elements=["warning_id", "username"]), add)
        messages.on_warning(conn, add, fresh)        # each new recipient gets it in the inbox


def add_recipients(conn, warning_id: int, users: Iterable[str], *, escalated: bool) -> None:
    rows = [{"warning_id": warning_id, "username": u, "escalated": escalated} for u in dict.fromkeys(users)]
    if rows:
        conn.execute(_insert(conn, wr).on_conflict_do_nothing(index_elements=["warning_id", "username"]), rows)
        messages.on_warning(conn, rows)
