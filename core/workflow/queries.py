"""Reads for the screens: to-do (待办, with the tasks of users one stands in for), done (已办),
started (我发起的), CC'd (抄送我的), reminders, counts, the instance of a record, its current tasks,
the timeline and a vote's tally."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from metadata.workflow import Workflow

from ..db import wf_actions, wf_instances, wf_tasks
from . import definitions, proxies, votes
from .model import Instance, Task, from_row

WORK = ("task", "approve", "vote")


@dataclass
class Item:
    """A task with its instance: one row of a to-do list."""
    task: Task
    instance: Instance
    on_behalf_of: str | None = None    # a proxy's row: the absent assignee (the task's assignee)


def _items(engine, where, limit: int, order=None) -> list[Item]:
    q = select(wf_tasks, *[c.label("i_" + c.name) for c in wf_instances.c]).join(
        wf_instances, wf_instances.c.id == wf_tasks.c.instance_id).where(where)
    q = q.order_by(*(order or [wf_tasks.c.id.desc()])).limit(limit)
    with engine.connect() as c:
        rows = c.execute(q).all()
    out = []
    for r in rows:
        m = r._mapping
        inst = Instance(**{k[2:]: v for k, v in m.items() if k.startswith("i_")})
        out.append(Item(from_row(Task, r), inst))
    return out


def _open_work(assignee):
    """Open tasks of `assignee` (a condition on wf_tasks.assignee)."""
    return and_(assignee, wf_tasks.c.state == "open", wf_tasks.c.kind.in_(WORK))


def todo(engine, username: str, *, limit: int = 100, now: datetime | None = None) -> list[Item]:
    """Open tasks of this user, newest first (index: assignee, state, kind, id); with `now`, also
    the open tasks of users who authorised this one as their proxy, on steps that allow a proxy
    (marked `on_behalf_of`)."""
    own = _items(engine, _open_work(wf_tasks.c.assignee == username), limit)
    if now is None:
        return own
    return sorted(own + proxy_items(engine, username, now, limit), key=lambda i: i.task.id, reverse=True)[:limit]


def proxy_items(engine, username: str, now: datetime, limit: int = 100) -> list[Item]:
    """The open tasks `username` may act on as a standing proxy (index: the principals' to-do rows)."""
    with engine.connect() as c:
        grants = proxies.in_force(c, proxy=username, now=now)
    if not grants:
        return []
    items = [i for i in _items(engine, _open_work(wf_tasks.c.assignee.in_({g.principal for g in grants})), limit)
             if any(g.principal == i.task.assignee and g.covers(i.instance.workflow, now) for g in grants)]
    if not items:
        return []
    with engine.connect() as c:   # whether the step allows a proxy is in the definition the instance runs on
        items = [i for i in items if definitions.load(c, i.instance.definition).step(i.task.step).allow_proxy]
    for i in items:
        i.on_behalf_of = i.task.assignee
    return items


def reminders(engine, username: str, *, limit: int = 100) -> list[Item]:
    """The user's open tasks that a `remind` deadline has reminded them of, latest reminder first."""
    return _items(engine, and_(_open_work(wf_tasks.c.assignee == username), wf_tasks.c.reminded_at.is_not(None)), limit,
                  order=[wf_tasks.c.reminded_at.desc(), wf_tasks.c.id.desc()])


def done_by(engine, username: str, *, limit: int = 100) -> list[Item]:
    return _items(engine, and_(wf_tasks.c.assignee == username, wf_tasks.c.state == "done",
                               wf_tasks.c.kind.in_(WORK)), limit)


def cc_to(engine, username: str, *, unread_only: bool = False, limit: int = 100) -> list[Item]:
    states = ("open",) if unread_only else ("open", "done")
    return _items(engine, and_(wf_tasks.c.assignee == username, wf_tasks.c.kind == "cc",
                               wf_tasks.c.state.in_(states)), limit)


def started_by(engine, username: str, *, limit: int = 100) -> list[Instance]:
    with engine.connect() as c:
        rows = c.execute(select(wf_instances).where(wf_instances.c.initiator == username)
                         .order_by(wf_instances.c.id.desc()).limit(limit)).all()
    return [from_row(Instance, r) for r in rows]


def counts(engine, username: str, *, now: datetime | None = None) -> dict:
    """For the navigation: open to-dos (with `now`, also those one may act on as a proxy), unread
    CCs, running instances started by the user."""
    with engine.connect() as c:
        todo_n = c.execute(select(func.count()).select_from(wf_tasks).where(and_(
            wf_tasks.c.assignee == username, wf_tasks.c.state == "open", wf_tasks.c.kind.in_(WORK)))).scalar_one()
        cc_n = c.execute(select(func.count()).select_from(wf_tasks).where(and_(
            wf_tasks.c.assignee == username, wf_tasks.c.state == "open", wf_tasks.c.kind == "cc"))).scalar_one()
        mine = c.execute(select(func.count()).select_from(wf_instances).where(and_(
            wf_instances.c.initiator == username, wf_instances.c.state == "running"))).scalar_one()
    if now is not None:
        todo_n += len(proxy_items(engine, username, now))
    return {"todo": todo_n, "cc": cc_n, "started": mine}


def running(engine) -> list[tuple[str, str, int]]:
    """(workflow, step, number of running instances there), by workflow and step."""
    with engine.connect() as c:
        rows = c.execute(select(wf_instances.c.workflow, wf_instances.c.step, func.count())
                         .where(wf_instances.c.state == "running")
                         .group_by(wf_instances.c.workflow, wf_instances.c.step)
                         .order_by(wf_instances.c.workflow, wf_instances.c.step)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def instance_for(engine, entity: str, record_id: int) -> Instance | None:
    """The record's latest instance (running or ended), or None."""
    with engine.connect() as c:
        row = c.execute(select(wf_instances).where(and_(wf_instances.c.entity == entity,
                                                        wf_instances.c.record_id == record_id))
                        .order_by(wf_instances.c.id.desc()).limit(1)).first()
    return from_row(Instance, row) if row else None


def tasks(engine, instance_id: int, *, current: bool = True) -> list[Task]:
    """The tasks of the current step (who holds it), or all of the instance's tasks."""
    with engine.connect() as c:
        q = select(wf_tasks).where(wf_tasks.c.instance_id == instance_id)
        if current:
            inst = c.execute(select(wf_instances.c.step, wf_instances.c.round)
                             .where(wf_instances.c.id == instance_id)).one()
            q = q.where(and_(wf_tasks.c.step == inst.step, wf_tasks.c.round == inst.round))
        return [from_row(Task, r) for r in c.execute(q.order_by(wf_tasks.c.seq, wf_tasks.c.id))]


def timeline(engine, instance_id: int) -> list[dict]:
    """Every action in order: actor, on_behalf_of, action, from_step → to_step, opinion, attachments,
    data (a move's event, a resolution's tally), at."""
    with engine.connect() as c:
        rows = c.execute(select(wf_actions).where(wf_actions.c.instance_id == instance_id)
                         .order_by(wf_actions.c.id)).mappings().all()
    return [dict(r) for r in rows]


def path(engine, instance_id: int) -> list[str]:
    """The steps taken, in order, ending with the current one (the diagram marks them)."""
    with engine.connect() as c:
        moves = c.execute(select(wf_actions.c.from_step, wf_actions.c.to_step).where(and_(
            wf_actions.c.instance_id == instance_id, wf_actions.c.action.in_(("start", "move", "return", "withdraw")))))
        out: list[str] = []
        for m in moves:
            for s in (m.from_step, m.to_step):
                if s and s != "(end)" and (not out or out[-1] != s):
                    out.append(s)
    return out


def tally(engine, inst: Instance, wf: Workflow, step: str | None = None):
    """The tally of the vote step `step` (default: the current step, else the last vote held), in
    its latest round; None when there was no vote."""
    with engine.connect() as c:
        q = select(wf_tasks).where(and_(wf_tasks.c.instance_id == inst.id, wf_tasks.c.kind == "vote"))
        if step:
            q = q.where(wf_tasks.c.step == step)
        rows = [from_row(Task, r) for r in c.execute(q.order_by(wf_tasks.c.id))]
        if not rows:
            return None
        last = rows[-1]
        vote_step = wf.step(last.step)
        held = [t for t in rows if t.step == last.step and t.round == last.round]
    return votes.tally(vote_step, held)
