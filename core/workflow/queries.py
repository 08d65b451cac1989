"""Reads for the screens: to-do (待办), done (已办), started (我发起的), CC'd (抄送我的), counts, the
instance of a record, its current tasks, the timeline and a vote's tally."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from metadata.workflow import Workflow

from ..db import wf_actions, wf_instances, wf_tasks
from . import votes
from .model import Instance, Task, from_row

WORK = ("task", "approve", "vote")


@dataclass
class Item:
    """A task with its instance: one row of a to-do list."""
    task: Task
    instance: Instance


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


def todo(engine, username: str, *, limit: int = 100) -> list[Item]:
    """Open tasks of this user, newest first (index: assignee, state, kind, id)."""
    return _items(engine, and_(wf_tasks.c.assignee == username, wf_tasks.c.state == "open",
                               wf_tasks.c.kind.in_(WORK)), limit)


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


def counts(engine, username: str) -> dict:
    """For the navigation: open to-dos, unread CCs, running instances started by the user."""
    with engine.connect() as c:
        todo_n = c.execute(select(func.count()).select_from(wf_tasks).where(and_(
            wf_tasks.c.assignee == username, wf_tasks.c.state == "open", wf_tasks.c.kind.in_(WORK)))).scalar_one()
        cc_n = c.execute(select(func.count()).select_from(wf_tasks).where(and_(
            wf_tasks.c.assignee == username, wf_tasks.c.state == "open", wf_tasks.c.kind == "cc"))).scalar_one()
        mine = c.execute(select(func.count()).select_from(wf_instances).where(and_(
            wf_instances.c.initiator == username, wf_instances.c.state == "running"))).scalar_one()
    return {"todo": todo_n, "cc": cc_n, "started": mine}


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
            wf_actions.c.instance_id == instance_id, wf_actions.c.action.in_(("start", "move", "return")))))
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
