"""Reminders are findable: `reminders(username)` lists the user's open tasks a `remind` deadline
reminded them of, until they act."""
from __future__ import annotations

from core.workflow import queries

from .test_workflow_fixtures import flow_pack, make_flow
from .test_workflow_runtime import AUTO


def test_a_reminded_task_is_listed_until_it_is_done(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO}))
    inst = f.start("auto")
    other = f.start("auto")
    clock.advance(hours=5)
    f.wf.run_deadlines()                                  # review auto-approved: notice opens for c2
    assert f.wf.reminders("c2") == []                     # open, not yet reminded
    clock.advance(hours=2)
    f.wf.run_deadlines()
    items = f.wf.reminders("c2")
    assert sorted(i.instance.id for i in items) == sorted([inst.id, other.id])
    assert all(i.task.reminded_at == clock.now() and i.task.assignee == "c2" for i in items)
    assert f.wf.reminders("c1") == [] and queries.reminders(engine, "c2", limit=1) == items[:1]
    f.act("c2", "approve", inst)
    assert [i.instance.id for i in f.wf.reminders("c2")] == [other.id]    # done: no longer a reminder
