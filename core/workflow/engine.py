"""Workflow actions: start, act (submit, approve, reject, return, transfer, delegate, hand back,
add a signer, CC, vote), withdraw. Each call is one transaction on a locked instance.

Only the user a task is assigned to may act on it (or, where the step has `allow_proxy`, that
user's standing proxy or someone who gives that user's password: recorded as acting on their
behalf); everyone else gets PermissionDenied. The instance row is locked (`SELECT … FOR UPDATE`
on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers) and its `version` is checked on save,
so two approvers acting at once never both advance an instance.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from sqlalchemy import and_, insert, select, update

from metadata.workflow import Workflow

from ..db import records, wf_actions, wf_instances, wf_tasks
from ..errors import DanbaoError, NotFound, PermissionDenied, ValidationError, msg
from ..products import product_of
from ..store import Actor, Store
from ..users import authenticate
from . import definitions, proxies, queries
from .model import Instance, Task, error, from_row
from .moves import Run, load_instance

VOTE_CHOICES = ("approve", "reject", "abstain", "reconsider")


def _denied(zh="您不是当前步骤的处理人", en="you are not an assignee of the current step") -> PermissionDenied:
    return PermissionDenied(msg(zh, en))


def _withdraw_refusal(inst: Instance, username: str, current_tasks: Callable[[], list[Task]]) -> DanbaoError | None:
    """Why `username` may not withdraw (撤回) the instance now, or None: only the initiator may, while
    it runs and nobody but the initiator has acted on the current step (`current_tasks`: its tasks).
    One rule for `withdraw` and `can_withdraw`, so the button and the action cannot disagree."""
    if username != inst.initiator:
        return _denied("只有发起人可以撤回", "only the initiator can withdraw")
    if not inst.running:
        return error("流程已结束", "the workflow has ended")
    if any(t.kind != "cc" and t.acted_at is not None and t.assignee != inst.initiator for t in current_tasks()):
        return error("当前步骤已有人处理,不能撤回", "someone has already acted on the current step")
    return None


class Workflows:
    """The engine over one Store (its database, metadata and clock)."""

    def __init__(self, store: Store):
        self.store, self.engine, self.clock = store, store.engine, store.clock

    # -- definitions --------------------------------------------------------------------------
    def workflow(self, name: str) -> Workflow:
        wf = self.store.meta.kinds.get("workflows", {}).get(name)
        if wf is None:
            raise error(f"没有流程「{name}」", f"no workflow '{name}'")
        return wf

    def workflows_for(self, entity: str) -> list[Workflow]:
        return [w for w in self.store.meta.kinds.get("workflows", {}).values() if w.entity == entity]

    def definition(self, instance: Instance) -> Workflow:
        """The workflow version the instance runs on (not necessarily the installed one)."""
        with self.engine.connect() as c:
            return definitions.load(c, instance.definition)

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def _run(self, instance_id: int, actor: Actor, conn=None) -> Iterator[Run]:
        with self.store._tx(conn) as c:
            inst = load_instance(c, instance_id, lock=True)
            version = inst.version
            run = Run(self.store, c, inst, definitions.load(c, inst.definition), actor, self.clock.now())
            yield run
            run.save(version)

    # -- start ------------------------------------------------------------------------------------
    def start(self, entity: str, record_id: int, workflow: str, actor: Actor, *, opinion: str | None = None,
              conn=None) -> Instance:
        wf = self.workflow(workflow)
        if wf.entity != entity:
            raise error(f"流程「{workflow}」不适用于「{entity}」", f"workflow '{workflow}' runs on '{wf.entity}', "
                        f"not '{entity}'")
        meta_entity = self.store.meta.entity(entity)
        if not self.store.allowed(actor, "read", meta_entity):
            raise _denied("没有查看该记录的权限", "you may not read this record")
        now = self.clock.now()
        with self.store._tx(conn) as c:
            q = select(records.c.id, records.c.data).where(and_(
                records.c.id == record_id, records.c.entity == entity, records.c.deleted.is_(False)))
            if c.dialect.name == "postgresql":
                q = q.with_for_update()   # two starts for one record queue here
            row = c.execute(q).first()
            if row is None:
                raise NotFound()
            product = product_of(self.store.meta, entity, row.data)
            if product is not None and product.workflow != wf.name:
                own = self.workflow(product.workflow).label or {}
                raise error(f"该记录的担保产品规定使用流程「{own.get('zh', product.workflow)}」",
                            f"the record's product runs the workflow '{product.workflow}'")
            running = c.execute(select(wf_instances.c.id).where(and_(
                wf_instances.c.entity == entity, wf_instances.c.record_id == record_id,
                wf_instances.c.state == "running"))).first()
            if running is not None:
                raise error("该记录已有进行中的流程", "this record already has a running workflow")
            definitions.remember(c, wf, self.store.meta_version)
            iid = c.execute(insert(wf_instances).values(
                workflow=wf.name, definition=wf.digest, meta_version=self.store.meta_version, entity=entity,
                record_id=record_id, state="running", step=None, round=0, initiator=actor.username,
                started_at=now, version=1).returning(wf_instances.c.id)).scalar_one()
            inst = load_instance(c, iid, lock=False)
            run = Run(self.store, c, inst, wf, actor, now)
            run.log("start", opinion=opinion, to_step=wf.start)
            run.enter(wf.start)
            run.save(1)
        return inst

    # -- acting on a task ---------------------------------------------------------------------------
    def act(self, task_id: int, actor: Actor, action: str, opinion: str | None = None, *,
            values: dict | None = None, attachments: Iterable[int] = (), to: str | None = None,
            user: str | None = None, users: Iterable[str] = (), position: str = "before",
            choice: str | None = None, proxy_password: str | None = None, conn=None) -> Instance:
        """Do `action` on an open task. Parameters by action: `values` (fields the step lets you
        edit, saved first), `to` (return: an earlier step, or "initiator"), `user` (transfer,
        delegate, add_signer), `position` (add_signer: before | after), `users` (cc), `choice`
        (vote: approve | reject | abstain | reconsider), `proxy_password` (acting for the absent
        assignee where the step allows it: the assignee's password is the consent)."""
        with self.engine.connect() as c:
            row = c.execute(select(wf_tasks.c.instance_id).where(wf_tasks.c.id == task_id)).first()
        if row is None:
            raise NotFound(msg("待办不存在", "no such task"))
        with self._run(row.instance_id, actor, conn) as run:
            task = from_row(Task, run.conn.execute(select(wf_tasks).where(wf_tasks.c.id == task_id)).first())
            step = run.wf.step(task.step)
            on_behalf = self._check_actor(run, task, step, actor, proxy_password)
            if task.kind == "cc":
                if action != "read":
                    raise _denied()
                run.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id)
                                 .values(state="done", acted_at=run.now, action="read"))
                return run.inst
            if not run.inst.running or task.state != "open" or task.step != run.inst.step \
                    or task.round != run.inst.round:
                raise error("该待办已处理或已失效,请刷新", "this task is no longer open; reload")
            if action == "vote":
                action = choice or ""
            allowed = self.actions(task, step)
            if action not in allowed:
                raise error(f"当前不能执行「{action}」", f"'{action}' is not possible here "
                            f"(possible: {', '.join(allowed)})")
            if values:
                not_editable = sorted(set(values) - set(step.editable))
                if not_editable:
                    raise ValidationError({f: [msg("此步骤不能修改该字段", "this step may not change this field")]
                                           for f in not_editable})
                run.write(dict(values))
            from_step = run.inst.step
            log_id = run.log(action, task_id=task.id, opinion=opinion, attachments=attachments,
                             on_behalf_of=on_behalf, from_step=from_step,
                             data=self._params(action, to, user, users, position))
            getattr(self, "_" + action)(run, task, step, opinion=opinion, to=to, user=user, users=users,
                                        position=position, on_behalf=on_behalf)
            run.conn.execute(update(wf_actions).where(wf_actions.c.id == log_id).values(to_step=run.inst.step))
        return run.inst

    @staticmethod
    def _params(action, to, user, users, position):
        return {"return": {"to": to}, "transfer": {"user": user}, "delegate": {"user": user},
                "add_signer": {"user": user, "position": position}, "cc": {"users": list(users)}}.get(action)

    def _check_actor(self, run: Run, task: Task, step, actor: Actor, proxy_password) -> str | None:
        if actor.username == task.assignee:
            return None
        if step.allow_proxy and task.kind != "cc":
            if proxies.acts_for(run.conn, actor.username, task.assignee, run.inst.workflow, run.now):
                return task.assignee
            if proxy_password is not None and authenticate(self.engine, task.assignee, proxy_password) is not None:
                return task.assignee
        raise _denied()

    # -- standing proxies (审批代理) ------------------------------------------------------------
    def authorise(self, principal: str, proxy: str, *, ends, starts=None, workflows: Iterable[str] = (),
                  actor: Actor, conn=None) -> int:
        """`proxy` may act for `principal` from `starts` (default: now) until `ends`, in the named
        workflows only (default: all), on steps that `allow_proxy`. Granted by the principal (or the
        system, e.g. an administrator's tool). Returns the authorisation's id."""
        now = self.clock.now()
        with self.store._tx(conn) as c:
            return proxies.grant(c, actor, principal, proxy, starts=starts or now, ends=ends,
                                 workflows=list(workflows), known_workflows=self.store.meta.kinds.get("workflows", {}),
                                 now=now)

    def revoke(self, authorisation_id: int, actor: Actor, *, conn=None) -> None:
        """End an authorisation now (the principal or the system)."""
        with self.store._tx(conn) as c:
            proxies.revoke(c, actor, authorisation_id, self.clock.now())

    def authorisations(self, username: str) -> list[proxies.Authorisation]:
        """The authorisations the user gave or received, newest first, also revoked and expired ones."""
        with self.engine.connect() as c:
            return proxies.listing(c, username)

    @staticmethod
    def actions(task: Task, step) -> tuple[str, ...]:
        """What the assignee of an open task may do (screens show these as buttons)."""
        if task.kind == "cc":
            return ("read",)
        if task.origin == "delegated":
            return ("hand_back", "cc")
        if task.kind == "vote":
            return tuple(o for o in VOTE_CHOICES if o in step.options)
        common = ("return", "transfer", "delegate", "cc")
        if task.kind == "task":
            return ("submit",) + common
        return ("approve", "reject") + common + ("add_signer",)

    # the actions ---------------------------------------------------------------------------------
    def _decide(self, run: Run, task: Task, step, action: str, opinion, on_behalf) -> None:
        run.finish_task(task, action, opinion, on_behalf_of=on_behalf)
        if action in ("approve", "submit"):
            run.release(task)
        run.decide(step)

    def _submit(self, run, task, step, *, opinion, on_behalf, **_):
        self._decide(run, task, step, "submit", opinion, on_behalf)

    def _approve(self, run, task, step, *, opinion, on_behalf, **_):
        self._decide(run, task, step, "approve", opinion, on_behalf)

    def _reject(self, run, task, step, *, opinion, on_behalf, **_):
        self._decide(run, task, step, "reject", opinion, on_behalf)

    def _abstain(self, run, task, step, *, opinion, on_behalf, **_):
        self._decide(run, task, step, "abstain", opinion, on_behalf)

    def _reconsider(self, run, task, step, *, opinion, on_behalf, **_):
        self._decide(run, task, step, "reconsider", opinion, on_behalf)

    def _return(self, run, task, step, *, opinion, on_behalf, to, **_):
        target = run.wf.start if to in (None, "", "initiator") else to
        if target not in self.path(run) or target == step.name:
            raise error(f"只能退回到已经过的步骤,不能退回到「{target}」",
                        f"you can only return to an earlier step, not '{target}'")
        run.finish_task(task, "return", opinion, on_behalf_of=on_behalf)
        run.close_open_tasks()
        run.enter(target)

    @staticmethod
    def path(run: Run) -> list[str]:
        """Steps this instance has left, in order (the earlier steps one may return to)."""
        rows = run.conn.execute(select(wf_actions.c.from_step).where(and_(
            wf_actions.c.instance_id == run.inst.id, wf_actions.c.action == "move")).order_by(wf_actions.c.id))
        return [r.from_step for r in rows]

    def _person(self, run: Run, user: str | None, task: Task) -> str:
        person = run.directory.person(user) if user else None
        if person is None:
            raise error(f"用户「{user}」不存在或已停用", f"no active user '{user}'")
        if person.username == task.assignee:
            raise error("不能指定自己", "choose someone else")
        return person.username

    def _transfer(self, run, task, step, *, opinion, on_behalf, user, **_):
        who = self._person(run, user, task)
        run.finish_task(task, "transfer", opinion, on_behalf_of=on_behalf)
        run.add_task(step, who, kind=task.kind, seq=task.seq, origin="transferred", due=task.due_at,
                     delegated_from=task.assignee)

    def _delegate(self, run, task, step, *, opinion, on_behalf, user, **_):
        who = self._person(run, user, task)
        new = run.add_task(step, who, kind=task.kind, seq=task.seq, origin="delegated", due=task.due_at,
                           delegated_from=task.assignee)
        run.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id).values(state="waiting", waits_for=new))

    def _hand_back(self, run, task, step, *, opinion, on_behalf, **_):
        run.finish_task(task, "hand_back", opinion, on_behalf_of=on_behalf)
        run.release(task)

    def _add_signer(self, run, task, step, *, opinion, on_behalf, user, position, **_):
        who = self._person(run, user, task)
        if position == "before":
            new = run.add_task(step, who, kind=task.kind, seq=task.seq, origin="added", added_by=task.assignee)
            run.conn.execute(update(wf_tasks).where(wf_tasks.c.id == task.id).values(state="waiting", waits_for=new))
        elif position == "after":
            run.add_task(step, who, kind=task.kind, seq=task.seq, origin="added", added_by=task.assignee,
                         state="waiting", waits_for=task.id, due=False)
        else:
            raise error("加签位置只能是 before 或 after", "position must be 'before' or 'after'")

    def _cc(self, run, task, step, *, users, **_):
        people = [run.directory.person(u) for u in users]
        if not people or None in people:
            raise error("抄送对象无效", "give active users to CC")
        for p in people:
            run.add_task(step, p.username, kind="cc", due=False, added_by=task.assignee)

    # -- withdraw ---------------------------------------------------------------------------------
    def withdraw(self, instance_id: int, actor: Actor, opinion: str | None = None, *, conn=None) -> Instance:
        """The initiator withdraws (撤回) while nobody has acted on the current step yet."""
        with self._run(instance_id, actor, conn) as run:
            refusal = _withdraw_refusal(run.inst, actor.username, run.tasks)
            if refusal is not None:
                raise refusal
            from_step = run.inst.step
            run.close_open_tasks()
            log_id = run.log("withdraw", opinion=opinion, from_step=from_step)
            target = run.end_step("withdrawn")
            if target:
                run.enter(target)
            else:
                run.inst.state, run.inst.ended_at = "withdrawn", run.now
            run.conn.execute(update(wf_actions).where(wf_actions.c.id == log_id).values(to_step=run.inst.step))
        return run.inst

    def can_withdraw(self, instance_id: int, username: str) -> bool:
        """Whether `withdraw` would let this user withdraw the instance now (the screens' 撤回 button)."""
        inst = self.instance(instance_id)
        return _withdraw_refusal(inst, username, lambda: self.tasks(instance_id)) is None

    # -- reads (see queries) ---------------------------------------------------------------------------
    def instance(self, instance_id: int) -> Instance:
        with self.engine.connect() as c:
            return load_instance(c, instance_id, lock=False)

    def todo(self, username: str, **kw):
        """Open tasks of the user and those they may act on as a standing proxy (`on_behalf_of`)."""
        return queries.todo(self.engine, username, now=self.clock.now(), **kw)

    def reminders(self, username: str, **kw):
        return queries.reminders(self.engine, username, **kw)

    def done_by(self, username: str, **kw):
        return queries.done_by(self.engine, username, **kw)

    def started_by(self, username: str, **kw):
        return queries.started_by(self.engine, username, **kw)

    def cc_to(self, username: str, **kw):
        return queries.cc_to(self.engine, username, **kw)

    def counts(self, username: str) -> dict:
        return queries.counts(self.engine, username, now=self.clock.now())

    def instance_for(self, entity: str, record_id: int) -> Instance | None:
        return queries.instance_for(self.engine, entity, record_id)

    def tasks(self, instance_id: int, *, current: bool = True) -> list[Task]:
        return queries.tasks(self.engine, instance_id, current=current)

    def timeline(self, instance_id: int) -> list[dict]:
        return queries.timeline(self.engine, instance_id)

    def tally(self, instance_id: int, step: str | None = None):
        inst = self.instance(instance_id)
        return queries.tally(self.engine, inst, self.definition(inst), step)

    def available(self, instance_id: int, username: str) -> list[tuple[Task, tuple[str, ...]]]:
        """The open tasks of this user on the instance (and those of users who made them their
        standing proxy, on steps that allow it), each with the actions it allows."""
        inst = self.instance(instance_id)
        if not inst.running:
            return []
        wf, now = self.definition(inst), self.clock.now()
        with self.engine.connect() as c:
            principals = {a.principal for a in proxies.in_force(c, proxy=username, now=now)
                          if a.covers(inst.workflow, now)}
        return [(t, self.actions(t, wf.step(t.step))) for t in self.tasks(instance_id)
                if t.state == "open" and (t.assignee == username or
                                          (t.assignee in principals and wf.step(t.step).allow_proxy
                                           and t.kind != "cc"))]

    def run_deadlines(self, now=None) -> list[dict]:
        from .deadlines import run_deadlines
        return run_deadlines(self, now)
