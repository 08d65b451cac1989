"""Deadlines with the injected clock, concurrent approvals with real threads, and instances that
keep running on the workflow version they started with."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.db import wf_actions
from core.errors import DanbaoError
from core.workflow import Workflows

from .test_workflow_fixtures import flow, flow_pack, make_flow  # noqa: F401  (fixture)


def test_deadline_escalates_once(flow, clock):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "approve", inst)
    flow.act("pmb", "approve", inst)
    assert flow.holders(inst) == ["risk1", "risk2"]
    clock.advance(days=1)
    assert flow.wf.run_deadlines() == []
    clock.advance(days=1, minutes=1)
    done = flow.wf.run_deadlines()
    assert sorted(d["assignee"] for d in done) == ["risk1", "risk2"] and {d["action"] for d in done} == {"escalate"}
    assert flow.holders(inst) == ["riskboss"]
    assert flow.wf.run_deadlines() == []                    # idempotent
    assert flow.holders(inst) == ["riskboss"]
    flow.act("riskboss", "approve", inst)
    assert flow.state(inst) == ("running", "committee")


AUTO = """\
name: auto
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{users: [c1]}]
    deadline: {hours: 4, action: auto_approve}
    transitions: [{to: notice}]
  - name: notice
    kind: approval
    assignees: [{users: [c2]}]
    deadline: {hours: 1, action: remind}
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


def test_deadline_auto_approve_and_remind(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO}))
    inst = f.start("auto")
    clock.advance(hours=5)
    assert [d["action"] for d in f.wf.run_deadlines()] == ["auto_approve"]
    assert f.state(inst) == ("running", "notice")
    assert f.wf.run_deadlines() == []                       # notice is due 1 hour after it opened
    clock.advance(hours=2)
    assert [d["action"] for d in f.wf.run_deadlines()] == ["remind"]
    assert f.wf.run_deadlines() == []
    task = f.task("c2", inst)
    assert task.reminded_at == clock.now() and task.state == "open"
    timeline = [(a["actor"], a["action"]) for a in f.wf.timeline(inst.id)]
    assert ("system", "approve") in timeline and ("system", "remind") in timeline


def test_deadlines_from_several_workers_at_once(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO}))
    insts = [f.start("auto") for _ in range(4)]
    clock.advance(hours=5)
    results, errors = [], []

    def worker():
        try:
            results.extend(Workflows(f.store).run_deadlines())
        except Exception as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r["instance"] for r in results) == sorted(i.id for i in insts)   # each handled once
    assert all(f.state(i) == ("running", "notice") for i in insts)


ANY = """\
name: race
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{users: [c1, c2, c3, c4]}]
    mode: any
    on_leave: [{number: {field: contract_no, pattern: "R{SEQ:3}"}}]
    transitions: [{to: next}]
  - name: next
    kind: approval
    assignees: [{users: [gm]}]
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


def test_concurrent_approvals_never_both_advance(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/race.yaml": ANY}))
    for _ in range(3):
        inst = f.start("race")
        tasks = {t.assignee: t.id for t in f.wf.tasks(inst.id)}
        barrier = threading.Barrier(4)
        ok, failed = [], []

        def approve(name):
            wf = Workflows(f.store)
            barrier.wait()
            try:
                wf.act(tasks[name], f.actor(name), "approve")
                ok.append(name)
            except DanbaoError as e:
                failed.append((name, e))
        threads = [threading.Thread(target=approve, args=(n,)) for n in ("c1", "c2", "c3", "c4")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(ok) == 1, (ok, failed)
        assert f.state(inst) == ("running", "next") and f.holders(inst) == ["gm"]
        with engine.connect() as c:
            moves = c.execute(select(func.count()).select_from(wf_actions).where(
                wf_actions.c.instance_id == inst.id, wf_actions.c.action == "move")).scalar_one()
        assert moves == 1


def test_instance_keeps_its_workflow_version(engine, clock):
    f = make_flow(engine, clock)
    old = f.start()
    f.act("li", "submit", old)
    # version 2: no first review; the draft goes straight to the risk review
    text = f.store.meta.kinds["workflows"]["guarantee"].source
    import yaml
    data = dict(text)
    data["steps"] = [s for s in data["steps"] if s["name"] != "first_review"]
    data["steps"][0] = {**data["steps"][0], "transitions": [{"to": "risk_review"}]}
    f.install(flow_pack({"workflows/guarantee.yaml": yaml.safe_dump(data, allow_unicode=True)}))
    new = f.start()
    f.act("li", "submit", new)
    assert f.state(new) == ("running", "risk_review")
    assert f.state(old) == ("running", "first_review")
    f.act("pma", "approve", old)
    f.act("pmb", "approve", old)
    assert f.state(old) == ("running", "risk_review")
    assert f.wf.instance(old.id).definition != f.wf.instance(new.id).definition
    assert [s.name for s in f.wf.definition(f.wf.instance(old.id)).steps][1] == "first_review"


@pytest.mark.parametrize("n", [1])
def test_todo_index_exists(engine, n):
    from sqlalchemy import inspect
    names = {i["name"] for i in inspect(engine).get_indexes("wf_tasks")}
    assert "ix_wf_tasks_todo" in names
