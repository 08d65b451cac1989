"""A warning's life after it is raised: open → acknowledged (someone has seen it) → handled (with
a note), or resolved by the scan when its condition no longer holds. Only a recipient (or an
administrator) acknowledges or handles a warning; a handled or resolved warning is closed, and if
the condition holds again later the next scan raises a new one.

`listing` reads a user's warnings (我的预警) with filters, newest first, in one query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.engine import Engine

from ..db import warning_recipients as wr, warnings as w
from ..errors import DanbaoError, NotFound, PermissionDenied, msg

LEVELS = ("red", "orange", "yellow", "blue")
STATES = ("open", "acknowledged", "handled", "resolved")
LIVE = ("open", "acknowledged")
ADMIN = "admin"
MAX_NOTE = 2000


class WarningError(DanbaoError):
    message = msg("预警操作失败", "The warning could not be changed")


@dataclass(frozen=True)
class Warning:
    id: int
    rule: str
    entity: str
    record_id: int
    key: str
    level: str
    message: dict
    error: str | None
    state: str
    raised_at: datetime
    last_seen_at: datetime
    escalated_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    handled_by: str | None
    handled_at: datetime | None
    note: str | None
    resolved_at: datetime | None

    @property
    def live(self) -> bool:
        return self.state in LIVE


def _warning(row) -> Warning:
    return Warning(**{k: row._mapping[k] for k in Warning.__dataclass_fields__})


def get(engine: Engine, warning_id: int) -> Warning:
    with engine.connect() as c:
        row = c.execute(select(w).where(w.c.id == warning_id)).first()
    if row is None:
        raise NotFound(msg("预警不存在", "No such warning"))
    return _warning(row)


def recipients(engine: Engine, warning_id: int) -> list[tuple[str, bool]]:
    """(username, added by escalation) of a warning."""
    with engine.connect() as c:
        return [(r.username, r.escalated) for r in c.execute(
            select(wr.c.username, wr.c.escalated).where(wr.c.warning_id == warning_id).order_by(wr.c.username))]


def may_act(engine: Engine, warning_id: int, username: str, roles=()) -> bool:
    if ADMIN in set(roles):
        return True
    with engine.connect() as c:
        return c.execute(select(wr.c.username).where(and_(wr.c.warning_id == warning_id,
                                                          wr.c.username == username))).first() is not None


def _change(engine: Engine, warning_id: int, username: str, roles, states: tuple[str, ...], values: dict,
            verb: tuple[str, str]) -> Warning:
    get(engine, warning_id)
    if not may_act(engine, warning_id, username, roles):
        raise PermissionDenied(msg("只有预警的接收人可以处理它", "only the warning's recipients may act on it"))
    with engine.connect().execution_options(danbao_write=True) as c, c.begin():
        done = c.execute(update(w).where(and_(w.c.id == warning_id, w.c.state.in_(states))).values(**values)).rowcount
    if not done:
        state = get(engine, warning_id).state
        raise WarningError(msg(f"预警当前为「{STATE_ZH[state]}」,不能{verb[0]}", f"the warning is {state}: it cannot be {verb[1]}"))
    return get(engine, warning_id)


STATE_ZH = {"open": "待处理", "acknowledged": "已确认", "handled": "已处理", "resolved": "已解除"}


def acknowledge(engine: Engine, warning_id: int, username: str, now: datetime, roles=()) -> Warning:
    return _change(engine, warning_id, username, roles, ("open",),
                   {"state": "acknowledged", "acknowledged_by": username, "acknowledged_at": now},
                   ("确认", "acknowledged"))


def handle(engine: Engine, warning_id: int, username: str, note: str, now: datetime, roles=()) -> Warning:
    note = (note or "").strip()
    if not note:
        raise WarningError(msg("请填写处理说明", "write a note on how it was handled"))
    if len(note) > MAX_NOTE:
        raise WarningError(msg(f"处理说明最多 {MAX_NOTE} 字", f"the note is at most {MAX_NOTE} characters"))
    values = {"state": "handled", "handled_by": username, "handled_at": now, "note": note}
    if get(engine, warning_id).state == "open":          # handling without acknowledging first acknowledges too
        values.update(acknowledged_by=username, acknowledged_at=now)
    return _change(engine, warning_id, username, roles, LIVE, values, ("处理", "handled"))


def listing(engine: Engine, username: str | None = None, *, levels=(), states=LIVE, rule: str | None = None,
            entity: str | None = None, record_id: int | None = None, limit: int = 100) -> list[Warning]:
    """Warnings newest first: a user's (None: everyone's), filtered by level, state, rule, record."""
    q = select(w)
    conds = []
    if username is not None:
        conds.append(exists().where(and_(wr.c.warning_id == w.c.id, wr.c.username == username)))
    if levels:
        conds.append(w.c.level.in_(list(levels)))
    if states:
        conds.append(w.c.state.in_(list(states)))
    if rule:
        conds.append(w.c.rule == rule)
    if entity:
        conds.append(w.c.entity == entity)
    if record_id is not None:
        conds.append(w.c.record_id == record_id)
    with engine.connect() as c:
        rows = c.execute(q.where(and_(*conds)).order_by(w.c.id.desc()).limit(limit)).all()
    return [_warning(r) for r in rows]


def counts(engine: Engine, username: str) -> dict[str, int]:
    """A user's live warnings by level (for a badge or a dashboard)."""
    with engine.connect() as c:
        rows = c.execute(select(w.c.level, func.count()).where(and_(
            w.c.state.in_(LIVE), exists().where(and_(wr.c.warning_id == w.c.id, wr.c.username == username))))
            .group_by(w.c.level)).all()
    return {level: n for level, n in rows}
