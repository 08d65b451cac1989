"""Entering and leaving steps inside one transaction: tasks, side effects, transitions, the log.

A `Run` is one locked instance in one open transaction. Everything it does — tasks, record
changes through Store.update(conn=…), numbers, the action log, the instance row — commits or rolls
back together with the action that caused it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update

from metadata.workflow import FORWARD, Effect, Step, Workflow

from .. import messages
from ..codec import decode
from ..compute import is_blank
from ..db import records, wf_actions, wf_instances, wf_tasks
from ..errors import ValidationError, msg
from ..formula import FormulaError, compile_formula
from ..numbering import next_number
from ..required_documents import check_step as check_documents
from ..store import Actor, Store
from ..warnings.hooks import on_step
from . import effects as side_effects, rules, votes
from .model import Instance, Task, error, from_row
from .resolve import Directory, resolve

MAX_AUTOMATIC = 50       # automatic steps in a row before we call it a loop


class Run:
    def __init__(self, store: Store, conn, inst: Instance, wf: Workflow, actor: Actor, now: datetime):
        self.store, self.conn, self.inst, self.wf, self.actor, self.now = store, conn, inst, wf, actor, now
        self._directory: Directory | None = None
        self.hops = 0

    # -- the record -----------------------------------------------------------------------
    @property
    def entity(self):
        return self.store.meta.entity(self.inst.entity)

    def record(self) -> tuple[dict, int]:
        row = self.conn.execute(select(records.c.data, records.c.version).where(and_(
            records.c.id == self.inst.record_id, records.c.entity == self.inst.entity,
            records.c.deleted.is_(False)))).first()
        if row is None:
            raise error("流程所属的记录已不存在", "the workflow's record no longer exists")
        return decode(self.entity, row.data, self.store.types), row.version

    @property
    def writer(self) -> Actor:
        """The acting user with the workflow's authority: the step, not the entity's permissions,
        decides what a workflow writes; history records the user."""
        return Actor(self.actor.username, self.actor.roles, system=True)

    def write(self, values: dict[str, Any]) -> None:
        _, version = self.record()
        self.store.update(self.inst.entity, self.inst.record_id, values, version=version, actor=self.writer,
                          conn=self.conn)

    def env(self) -> dict:
        values, _ = self.record()
        return {**values, "id": self.inst.record_id, "initiator": self.inst.initiator, "actor": self.actor.username}

    def evaluate(self, text: str, env: dict):
        try:
            return compile_formula(text).evaluate(env, functions=self.store.functions, today=self.now.date())
        except FormulaError as e:
            raise error(f"流程公式 {text} 计算出错:{getattr(e, 'zh', None) or e}",
                        f"the workflow formula {text} failed: {e}") from None

    # -- people ---------------------------------------------------------------------------
    @property
    def directory(self) -> Directory:
        if self._directory is None:
            self._directory = Directory(self.conn)
        return self._directory

    def resolve(self, resolvers, env=None) -> list[str]:
        return resolve(resolvers, self.directory, initiator=self.inst.initiator, values=env or self.env(),
                       codelists=self.store.meta.codelists, functions=self.store.functions, today=self.now.date())

    def assignees(self, step: Step) -> list[str]:
        env = self.env()
        resolvers = step.members if step.kind == "vote" else step.assignees
        if step.kind == "task" and not resolvers:
            resolvers = ()
            people = [self.inst.initiator]
        else:
            people = self.resolve(resolvers, env)
        if step.kind == "vote" and step.chair:
            people += [p for p in self.resolve(step.chair, env) if p not in people]
        if step.forbid_self:
            people = [p for p in people if p != self.inst.initiator]
        if not people and step.fallback:
            people = [p for p in self.resolve(step.fallback, env)
                      if not (step.forbid_self and p == self.inst.initiator)]
        if not people:
            raise error(f"步骤「{step.label.get('zh', step.name)}」没有可处理的人(审批人为空且没有兜底)",
                        f"nobody can act on step '{step.name}': no assignee resolved and no fallback applies")
        return people

    # -- tasks ----------------------------------------------------------------------------
    def tasks(self, step: str | None = None, round: int | None = None) -> list[Task]:
        q = select(wf_tasks).where(and_(wf_tasks.c.instance_id == self.inst.id,
                                        wf_tasks.c.step == (step or self.inst.step),
                                        wf_tasks.c.round == (round or self.inst.round)))
        return [from_row(Task, r) for r in self.conn.execute(q.order_by(wf_tasks.c.seq, wf_tasks.c.id))]

    def add_task(self, step: Step, assignee: str, *, kind: str | None = None, state: str = "open", seq: int = 0,
                 origin: str = "resolved", waits_for: int | None = None, due: bool | datetime | None = True,
                 **extra) -> int:
        """A task; `due`: True for the step's deadline from now, or a given time (None: none)."""
        kind = kind or {"task": "task", "approval": "approve", "vote": "vote"}[step.kind]
        if due is True:
            due_at = self.now + timedelta(hours=step.deadline.hours) if step.deadline else None
        else:
            due_at = due or None
        task_id = self.conn.execute(insert(wf_tasks).values(
            instance_id=self.inst.id, step=step.name, round=self.inst.round, assignee=assignee, kind=kind,
            state=state, seq=seq, origin=origin, waits_for=waits_for, created_at=self.now, due_at=due_at,
            **extra).returning(wf_tasks.c.id)).scalar_one()
        messages.on_task(self.conn, task_id=task_id, assignee=assignee, kind=kind, state=state, step=step,
                         inst=self.inst, now=self.now, actor=self.actor.username)   # to the inbox (core/messages.py)
        return task_id

    def finish_task(self, task: Task, action: str, opinion: str | None = None, *, state: str = "done",
                    on_behalf_of: str | None = None) -> None:
        self.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id).values(
            state=state, action=action, opinion=opinion, acted_at=self.now, on_behalf_of=on_behalf_of))
        task.state, task.action, task.opinion, task.acted_at = state, action, opinion, self.now

    def release(self, done: Task) -> None:
        """Open what waited for `done` (a signer added after, a delegator, the next in sequence)."""
        self.conn.execute(update(wf_tasks).where(and_(wf_tasks.c.waits_for == done.id,
                                                      wf_tasks.c.state == "waiting"))
                          .values(state="open", waits_for=None, created_at=self.now))

    def open_next_in_sequence(self) -> None:
        tasks = self.tasks()
        if any(t.state == "open" or (t.state == "waiting" and t.waits_for) for t in tasks if t.kind != "cc"):
            return
        nxt = next((t for t in tasks if t.state == "waiting" and t.waits_for is None), None)
        if nxt is not None:
            step = self.wf.step(self.inst.step)
            due_at = self.now + timedelta(hours=step.deadline.hours) if step.deadline else None
            self.conn.execute(update(wf_tasks).where(wf_tasks.c.id == nxt.id)
                              .values(state="open", created_at=self.now, due_at=due_at))

    def close_open_tasks(self) -> None:
        self.conn.execute(update(wf_tasks).where(and_(
            wf_tasks.c.instance_id == self.inst.id, wf_tasks.c.kind != "cc",
            wf_tasks.c.state.in_(("open", "waiting")))).values(state="cancelled"))

    # -- the log ----------------------------------------------------------------------------
    def log(self, action: str, *, task_id=None, from_step=None, to_step=None, opinion=None, attachments=None,
            data=None, on_behalf_of=None, actor: str | None = None) -> int:
        return self.conn.execute(insert(wf_actions).values(
            instance_id=self.inst.id, task_id=task_id, step=self.inst.step, actor=actor or self.actor.username,
            on_behalf_of=on_behalf_of, action=action, from_step=from_step, to_step=to_step, opinion=opinion,
            attachments=list(attachments) if attachments else None, data=data, at=self.now)
        ).inserted_primary_key[0]

    def save(self, expected_version: int) -> None:
        i = self.inst
        done = self.conn.execute(update(wf_instances).where(and_(
            wf_instances.c.id == i.id, wf_instances.c.version == expected_version)).values(
            state=i.state, step=i.step, round=i.round, ended_at=i.ended_at, version=expected_version + 1)).rowcount
        if done != 1:
            raise error("流程已被他人处理,请刷新后重试", "someone else acted on this workflow; reload and try again")
        i.version = expected_version + 1

    def warn(self, step: str) -> None:
        """Warning rules with `runs: [{step: …}]` naming the step just entered (docs/rules.md)."""
        if not any(r.enabled and r.entity == self.inst.entity and step in r.steps
                   for r in self.store.meta.kinds.get("rules", {}).values()):
            return
        row = self.conn.execute(select(records.c.data, records.c.created_by).where(
            records.c.id == self.inst.record_id)).first()
        on_step(self.store, self.conn, self.inst.entity, self.inst.record_id,
                decode(self.entity, row.data, self.store.types), step, created_by=row.created_by)

    # -- moving -----------------------------------------------------------------------------
    def enter(self, name: str, *, via: str = "enter") -> None:
        step = self.wf.step(name)
        self.hops += 1
        if self.hops > MAX_AUTOMATIC:
            raise error("流程在自动步骤之间循环", "the workflow loops between automatic steps")
        if step.kind != "end":
            check_documents(self.store.meta, self.inst.entity, lambda: self.record()[0], name, step.label)
        self.inst.step, self.inst.round = name, self.inst.round + 1
        self.effects(step.on_enter, step, "on_enter")
        self.warn(name)
        if step.kind == "end":
            self.close_open_tasks()
            self.inst.state, self.inst.ended_at = step.outcome, self.now
            return
        if step.kind == "automatic":
            self.leave(step, "approve", auto=True)
            return
        people = self.assignees(step)
        chair = set(self.resolve(step.chair)) if step.kind == "vote" and step.chair else set()
        for i, person in enumerate(people):
            later = step.kind == "approval" and step.mode == "sequential" and i > 0
            self.add_task(step, person, seq=i, state="waiting" if later else "open", due=not later,
                          origin="chair" if person in chair else "resolved")

    def leave(self, step: Step, event: str, *, opinion: str | None = None, data: dict | None = None,
              auto: bool = False) -> None:
        """Leave `step` on `event` (approve/reject for tasks and approvals, pass/fail/no_quorum/
        reconsider for votes) by the first transition whose condition holds."""
        forward = event == FORWARD.get(step.kind)
        if forward:
            self.check_required(step)
        env = self.env()
        target = None
        if event == "reconsider":
            target = step.reconsider_to
        else:
            for t in step.transitions_on(event):
                if not t.when or self.evaluate(t.when, env):
                    target = t.to
                    break
        self.close_open_tasks()
        if target is None:
            if forward:
                raise error(f"步骤「{step.label.get('zh', step.name)}」没有适用的流转条件",
                            f"no transition of step '{step.name}' applies to this record")
            if event == "no_quorum" and step.transitions_on("fail"):
                return self.leave(step, "fail", opinion=opinion, data=data, auto=auto)
            target = self.end_step("rejected")
        if forward:
            self.effects(step.on_leave, step, "on_leave")
        self.log("move", from_step=step.name, to_step=target or "(end)", data={"event": event, **(data or {})},
                 actor="system" if auto else None)
        if target is None:   # no end step declared: the instance ends here
            self.inst.state, self.inst.ended_at = "rejected", self.now
            return
        self.enter(target)

    def end_step(self, outcome: str) -> str | None:
        return next((s.name for s in self.wf.steps if s.kind == "end" and s.outcome == outcome), None)

    def check_required(self, step: Step) -> None:
        if not step.required:
            return
        values, _ = self.record()
        missing = [f for f in step.required if is_blank(values.get(f))]
        if missing:
            raise ValidationError({f: [msg(f"离开「{step.label.get('zh', step.name)}」前必须填写",
                                           f"required before leaving step '{step.name}'")] for f in missing})

    def effects(self, effects: tuple[Effect, ...], step: Step, where: str) -> None:
        for eff in effects:
            changes = {}
            if eff.set:
                env = self.env()
                for field, text in eff.set.items():
                    changes[field] = self.evaluate(text, env)
            if eff.number_field:
                values, _ = self.record()
                if is_blank(values.get(eff.number_field)):
                    pattern = eff.number_pattern or self.entity.numbering.pattern
                    changes[eff.number_field] = next_number(self.conn, self.inst.entity, eff.number_field,
                                                            pattern, self.now)
            if changes:
                self.write(changes)
            if eff.create_entity:
                side_effects.create(self, eff, step)
            if eff.update_record:
                side_effects.update(self, eff, step)
            if eff.call:
                side_effects.call(self, eff, step)

    # -- deciding ---------------------------------------------------------------------------
    def decide(self, step: Step, *, closing: bool = False) -> None:
        """Leave the step if its tasks (or votes) decide it."""
        tasks = self.tasks()
        if step.kind == "vote":
            t = votes.tally(step, tasks)
            chair_pending = any(x.origin == "chair" and x.state in ("open", "waiting") for x in tasks)
            result = votes.decide(step, t, chair_pending=chair_pending, closing=closing)
            if result is not None:
                resolution = {"tally": t.as_dict(), "result": result}
                self.log("resolution", data=resolution, actor="system")
                self.leave(step, result, data={"result": result})
            return
        mode = "any" if step.kind == "task" else step.mode
        result = rules.outcome(mode, step.ratio, tasks)
        if result is not None:
            self.leave(step, result)
        elif step.kind == "approval" and step.mode == "sequential":
            self.open_next_in_sequence()


def load_instance(conn, instance_id: int, *, lock: bool) -> Instance:
    q = select(wf_instances).where(wf_instances.c.id == instance_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).first()
    if row is None:
        raise error("流程不存在", "no such workflow instance")
    return from_row(Instance, row)
