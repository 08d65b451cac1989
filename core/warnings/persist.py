"""Writing a batch's outcomes for one rule: raise the new warnings, refresh the live ones, resolve
those whose condition no longer holds. Idempotent and safe with several scans at once: a new
warning is inserted with ON CONFLICT DO NOTHING against the partial unique index (one live
warning per rule+record+key), so a second scan racing the first raises nothing twice; recipients
are inserted the same way."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from sqlalchemy import and_, delete, select, text, update
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


def live(conn, rule: str, entity: str, ids: Iterable[int]) -> dict[tuple[int, str], object]:
    out = {}
    for chunk in chunks(list(ids)):
        for r in conn.execute(select(w.c.id, w.c.record_id, w.c.key, w.c.level, w.c.message, w.c.error).where(and_(
                w.c.rule == rule, w.c.entity == entity, w.c.record_id.in_(chunk), w.c.state.in_(LIVE)))):
            out[(r.record_id, r.key)] = r
    return out


def reconcile(conn, rule: str, entity: str, outcomes: Mapping[int, list[Outcome]], now: datetime,
              *, resolve_missing: bool = True) -> Counts:
    """Bring the live warnings of `rule` on the records `outcomes` covers (record id -> the warnings
    the rule gives now; [] when its condition does not hold) in line with them."""
    counts = Counts()
    have = live(conn, rule, entity, outcomes)
    want = {(rid, o.key): o for rid, outs in outcomes.items() for o in outs}
    failed = {rid for rid, outs in outcomes.items() if any(o.key == ERROR_KEY for o in outs)}
    counts.errors = len(failed)
    new = [k for k in want if k not in have]
    if new:
        stmt = _insert(conn, w).on_conflict_do_nothing(index_elements=["rule", "entity", "record_id", "key"],
                                                       index_where=text(WARNING_LIVE))
        conn.execute(stmt, [{"rule": rule, "entity": entity, "record_id": rid, "key": key, "level": want[(rid, key)].level,
                             "message": dict(want[(rid, key)].message), "error": want[(rid, key)].error,
                             "state": "open", "raised_at": now, "last_seen_at": now} for rid, key in new])
        counts.raised = len(new)
    same = [(have[k], o) for k, o in want.items() if k in have]
    unchanged = [r.id for r, o in same if r.level == o.level and r.message == dict(o.message) and r.error == o.error]
    for chunk in chunks(unchanged):
        conn.execute(update(w).where(w.c.id.in_(chunk)).values(last_seen_at=now))
    for r, o in same:
        if r.id not in unchanged:
            conn.execute(update(w).where(w.c.id == r.id).values(level=o.level, message=dict(o.message),
                                                                error=o.error, last_seen_at=now))
    counts.refreshed = len(same)
    # gone: no longer given; a record whose rule failed keeps its other warnings as they were
    gone = [r.id for (rid, key), r in have.items() if (rid, key) not in want and (rid not in failed or key == ERROR_KEY)]
    if not resolve_missing:
        gone = []
    for chunk in chunks(gone):
        counts.resolved += conn.execute(update(w).where(and_(w.c.id.in_(chunk), w.c.state.in_(LIVE)))
                                        .values(state="resolved", resolved_at=now)).rowcount
    if want:
        rows = {**have, **(live(conn, rule, entity, {rid for rid, _ in new}) if new else {})}
        ids = {k: r.id for k, r in rows.items()}
        _recipients(conn, {ids[k]: o.recipients for k, o in want.items() if k in ids})
    return counts


def _recipients(conn, wanted: Mapping[int, tuple[str, ...]]) -> None:
    """Make each warning's (not escalated) recipients the given users."""
    current: dict[int, set[str]] = {}
    for chunk in chunks(list(wanted)):
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
        messages.on_warning(conn, add)               # each new recipient gets it in the inbox


def add_recipients(conn, warning_id: int, users: Iterable[str], *, escalated: bool) -> None:
    rows = [{"warning_id": warning_id, "username": u, "escalated": escalated} for u in dict.fromkeys(users)]
    if rows:
        conn.execute(_insert(conn, wr).on_conflict_do_nothing(index_elements=["warning_id", "username"]), rows)
        messages.on_warning(conn, rows)
