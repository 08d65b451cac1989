"""What the workflow screens share: the engine for this request, people's names, the definitions
instances run on, record titles and the clock — each looked up once per request, never per row."""
from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, g

from sqlalchemy import select

from core.db import wf_tasks
from core.users import list_users
from core.workflow import Instance, Task, WorkflowError, Workflows
from core.workflow.model import from_row
from metadata.model import Field
from metadata.workflow import Workflow

from . import context
from .display import Display


def workflows() -> Workflows:
    if "workflows" not in g:
        g.workflows = Workflows(context.store())
    return g.workflows


def instance_or_404(instance_id: int) -> Instance:
    try:
        return workflows().instance(instance_id)
    except WorkflowError:
        abort(404)


def enabled(entity_name: str) -> bool:
    """Whether records of this entity have a workflow panel (some workflow runs on the entity)."""
    meta = context.meta()
    return meta is not None and any(w.entity == entity_name for w in meta.kinds.get("workflows", {}).values())


def now() -> datetime:
    return current_app.extensions["danbao"].clock.now()


def users() -> list:
    if "flow_users" not in g:
        g.flow_users = list_users(context.engine())      # one query per request
    return g.flow_users


def people() -> dict[str, str]:
    """user name → display name, for every user."""
    if "flow_people" not in g:
        g.flow_people = {u.username: u.name for u in users()}
    return g.flow_people


def name_of(username: str | None) -> str:
    if not username or username == "system":     # "system": automatic moves have no person
        return ""
    return people().get(username, username)


def active_users(exclude: str | None = None) -> list[tuple[str, str]]:
    """(user name, "name（user name）") of the active users, to choose from (transfer, CC…)."""
    return [(u.username, f"{u.name}（{u.username}）") for u in users() if u.active and u.username != exclude]


class Definitions:
    """The workflow version of each instance, loaded once per digest."""

    def __init__(self, wf: Workflows):
        self.wf, self._by_digest = wf, {}

    def of(self, inst: Instance) -> Workflow:
        if inst.definition not in self._by_digest:
            self._by_digest[inst.definition] = self.wf.definition(inst)
        return self._by_digest[inst.definition]


def display() -> Display:
    return Display(context.meta(), context.engine(), context.types())


def record_titles(disp: Display, instances: list[Instance]) -> dict[tuple[str, int], str]:
    """(entity, record id) → the record's title, one query per entity (Display's link titles)."""
    meta = context.meta()
    out = {}
    by_entity: dict[str, set[int]] = {}
    for i in instances:
        by_entity.setdefault(i.entity, set()).add(i.record_id)
    for entity, ids in by_entity.items():
        if entity not in meta.entities:
            continue
        link = Field(name="record", type="link", storage="int", label={}, entity=entity)
        disp.preload_links([link], [{"record": rid} for rid in ids])
        out.update({(entity, rid): disp.value(link, rid) for rid in ids})
    return out


def task(task_id: int) -> Task | None:
    """One task by id (the engine has no such read: the screens need a task's step before acting)."""
    with context.engine().connect() as c:
        row = c.execute(select(wf_tasks).where(wf_tasks.c.id == task_id)).first()
    return from_row(Task, row) if row else None
