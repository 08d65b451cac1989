"""Shared fixtures of the workflow tests (no tests here): the `flow` test pack installed on a real
database, its users, and helpers to start and act."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from core import metastore
from core.store import Actor, Store
from core.users import create_user, get_user
from core.workflow import Workflows
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS

# username: (roles, department, manager)
USERS = {
    "li": (["pm"], "credit", "dh"), "pma": (["pm"], "credit", "dh"), "pmb": (["pm"], "credit", "dh"),
    "dh": (["pm"], "credit", None), "risk1": (["risk"], "risk", "riskboss"), "risk2": (["risk"], "risk", "riskboss"),
    "riskboss": (["risk_head"], "risk", None), "c1": (["committee"], None, None), "c2": (["committee"], None, None),
    "c3": (["committee"], None, None), "c4": (["committee"], None, None), "chair": (["chair"], None, None),
    "gm": (["gm"], None, None), "fin": (["finance"], None, None), "admin": (["admin"], None, None),
    "outsider": (["pm"], "credit", None),
}
PASSWORD = "secret-pw"


def flow_pack(extra: dict[str, str] | None = None, *, drop: tuple[str, ...] = ()) -> PackSource:
    """The flow test pack, with extra (or replaced) files and some files left out."""
    base = read_pack_dir(PACKS / "flow")
    files = {k: v for k, v in base.files.items() if k not in drop}
    files.update(extra or {})
    return PackSource("flow", files)


def make_users(engine):
    from sqlalchemy import update

    from core.db import users
    for name, (roles, dept, _) in USERS.items():
        create_user(engine, name, name=name.upper(), roles=roles, department=dept,
                    password=PASSWORD if name == "pma" else None)   # hashing is slow: only the proxy test needs one
    with engine.begin() as c:
        for name, (_, _, manager) in USERS.items():
            if manager:
                c.execute(update(users).where(users.c.username == name)
                          .values(manager_id=get_user(engine, username=manager).id))


@dataclass
class Flow:
    engine: object
    store: Store
    wf: Workflows
    clock: object

    def actor(self, name: str) -> Actor:
        return Actor(name, USERS[name][0])

    def uid(self, name: str) -> int:
        return get_user(self.engine, username=name).id

    def project(self, **values):
        data = {"name": "测试项目", "amount": "1000000", "pm_a": self.uid("pma"), "pm_b": self.uid("pmb")}
        data.update(values)
        return self.store.create("project", data, actor=self.actor("li"))

    def start(self, workflow="guarantee", initiator="li", **values):
        rec = self.project(**values)
        return self.wf.start("project", rec.id, workflow, self.actor(initiator))

    def task(self, username: str, instance=None):
        """The user's one open task (on `instance` when given)."""
        items = [i for i in self.wf.todo(username) if instance is None or i.instance.id == instance.id]
        assert len(items) == 1, f"{username} has {len(items)} open tasks: {items}"
        return items[0].task

    def act(self, username: str, action: str, instance=None, **kw):
        return self.wf.act(self.task(username, instance).id, self.actor(username), action, **kw)

    def holders(self, instance) -> list[str]:
        return sorted(t.assignee for t in self.wf.tasks(instance.id) if t.state == "open" and t.kind != "cc")

    def state(self, instance):
        i = self.wf.instance(instance.id)
        return i.state, i.step

    def record(self, instance):
        return self.store.get("project", self.wf.instance(instance.id).record_id).values

    def install(self, source: PackSource):
        inst = metastore.install(self.engine, [source], clock=self.clock)
        self.store = Store(self.engine, inst.meta, clock=self.clock, meta_version=inst.version)
        self.wf = Workflows(self.store)
        return inst


def make_flow(engine, clock, source: PackSource | None = None) -> Flow:
    f = Flow(engine, None, None, clock)
    f.install(source or flow_pack())
    make_users(engine)
    return f


@pytest.fixture
def flow(engine, clock):
    return make_flow(engine, clock)
