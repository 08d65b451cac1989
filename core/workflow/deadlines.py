"""Deadlines: remind, escalate, approve or reject automatically, or close a vote, when a task is
overdue. Run from cron (`danbao flow deadlines`) as often as you like, from several
processes at once: each instance is handled in its own transaction under its row lock
(PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never wait for each other; SQLite: the write
lock serialises them), and a handled task's `due_at` is cleared, so running twice does nothing new.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select, update

from .. import messages
from ..db import wf_instances, wf_tasks
from ..errors import DanbaoError
from ..store import Actor
from . import definitions
from .model import Instance, Task, from_row
from .moves import Run

SYSTEM = Actor("system", system=True)


def run_deadlines(workflows, now: datetime | None = None, *, limit: int = 1000) -> list[dict]:
    """Handle overdue tasks; returns what was done ({instance, task, action, assignee}; an instance
    that fails — its transaction rolled back, tried again next run — gives {instance, error})."""
    now = now or workflows.clock.now()
    engine = workflows.engine
    with engine.connect() as c:
        ids = sorted({r.instance_id for r in c.execute(select(wf_tasks.c.instance_id).where(and_(
            wf_tasks.c.state == "open", wf_tasks.c.due_at.is_not(None), wf_tasks.c.due_at <= now,
            wf_tasks.c.kind != "cc")).limit(limit))})
    done: list[dict] = []
    for iid in ids:
        try:
            done.extend(_instance(workflows, iid, now))
        except DanbaoError as e:   # e.g. nobody to escalate to, a side effect failed: the others go on
            done.append({"instance": iid, "task": None, "action": None, "assignee": None, "error": e.message["en"]})
    return done


def _instance(workflows, iid: int, now: datetime) -> list[dict]:
    out: list[dict] = []
    with workflows.store.transaction() as c:
        q = select(wf_instances).where(wf_instances.c.id == iid)
        if c.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        row = c.execute(q).first()
        if row is None:           # another worker has it
            return out
        inst = from_row(Instance, row)
        if inst.state != "running":
            return out
        version = inst.version
        run = Run(workflows.store, c, inst, definitions.load(c, inst.definition), SYSTEM, now)
        step = run.wf.step(inst.step)
        due = [t for t in run.tasks() if t.state == "open" and t.due_at is not None and t.due_at <= now
               and t.kind != "cc"]
        if not due or step.deadline is None:
            return out
        action = step.deadline.action
        for task in due:
            if not run.inst.running or run.inst.step != step.name or run.inst.round != task.round:
                break             # an earlier automatic action already moved the instance on
            _clear(run, task)
            out.append({"instance": iid, "task": task.id, "action": action, "assignee": task.assignee})
            if action == "remind":
                run.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id).values(reminded_at=now))
                run.log("remind", task_id=task.id, data={"to": task.assignee})
                messages.on_reminder(run.conn, task=task, step=step, inst=run.inst, now=now)
            elif action == "escalate":
                holding = {t.assignee for t in run.tasks() if t.state in ("open", "waiting") and t.id != task.id}
                target = [p for p in run.resolve(step.deadline.to) if p != task.assignee]
                people = [p for p in target if p not in holding]
                if not target:
                    run.log("escalate", task_id=task.id, data={"to": [], "error": "nobody resolved"})
                    continue
                run.finish_task(task, "escalate", "超时升级 / escalated after the deadline")
                for p in people:       # someone already holding the step (escalated earlier) is not added twice
                    run.add_task(step, p, kind=task.kind, seq=task.seq, origin="escalated", due=None,
                                 delegated_from=task.assignee)
                run.log("escalate", task_id=task.id, data={"from": task.assignee, "to": people})
            elif action in ("auto_approve", "auto_reject"):
                verb = "reject" if action == "auto_reject" else ("submit" if task.kind == "task" else "approve")
                opinion = "超时自动处理 / decided automatically after the deadline"
                run.log(verb, task_id=task.id, opinion=opinion, from_step=step.name, data={"automatic": True})
                run.finish_task(task, verb, opinion)
                if verb != "reject":
                    run.release(task)
                run.decide(step)
            elif action == "close":
                run.log("close", data={"after": "deadline"})
                run.decide(step, closing=True)
                break
        run.save(version)
    return out


def _clear(run: Run, task: Task) -> None:
    run.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id).values(due_at=None))
