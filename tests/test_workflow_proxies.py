"""Standing proxy authorisations (审批代理): a user authorises another for a period (optionally
only some workflows); the proxy sees and acts on the absent user's tasks on steps that allow a
proxy, recorded on_behalf_of; revoked and expired authorisations stop working."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import PermissionDenied
from core.store import SYSTEM
from core.users import set_active
from core.workflow import WorkflowError

from .test_workflow_fixtures import flow  # noqa: F401  (fixture)


def at_first_review(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    return inst


def todo_of(flow, username):
    return [(i.task.assignee, i.on_behalf_of) for i in flow.wf.todo(username)]


def test_the_proxy_sees_and_acts_on_the_absent_users_tasks(flow, clock):
    inst = at_first_review(flow)
    aid = flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=7), actor=flow.actor("pma"))
    assert todo_of(flow, "outsider") == [("pma", "pma")]                   # marked: on behalf of pma
    assert todo_of(flow, "pma") == [("pma", None)]                         # pma still has it too
    assert flow.wf.counts("outsider")["todo"] == 1
    [(task, actions)] = flow.wf.available(inst.id, "outsider")
    assert task.assignee == "pma" and "approve" in actions
    flow.wf.act(task.id, flow.actor("outsider"), "approve", opinion="代批")  # no password needed
    row = [a for a in flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert row["actor"] == "outsider" and row["on_behalf_of"] == "pma"
    done = [t for t in flow.wf.tasks(inst.id) if t.assignee == "pma"][0]
    assert done.state == "done" and done.on_behalf_of == "pma"
    assert todo_of(flow, "outsider") == [] and flow.holders(inst) == ["pmb"]
    [auth] = flow.wf.authorisations("outsider")
    assert (auth.id, auth.principal, auth.proxy, auth.workflows) == (aid, "pma", "outsider", None)


def test_only_on_steps_that_allow_a_proxy(flow, clock):
    inst = at_first_review(flow)
    flow.wf.authorise("risk1", "outsider", ends=clock.now() + timedelta(days=7), actor=flow.actor("risk1"))
    flow.act("pma", "approve", inst)
    flow.act("pmb", "approve", inst)                     # risk_review: no allow_proxy
    assert todo_of(flow, "outsider") == [] and flow.wf.available(inst.id, "outsider") == []
    with pytest.raises(PermissionDenied):
        flow.wf.act(flow.task("risk1", inst).id, flow.actor("outsider"), "approve")


def test_only_the_named_workflows(flow, clock):
    at_first_review(flow)
    flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=7), workflows=["guarantee"],
                      actor=flow.actor("pma"))
    assert todo_of(flow, "outsider") == [("pma", "pma")]
    with pytest.raises(WorkflowError):
        flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=7), workflows=["nosuch"],
                          actor=flow.actor("pma"))


def test_an_authorisation_for_another_workflow_does_not_cover_this_one(flow, clock, engine):
    from .test_workflow_runtime import AUTO
    from .test_workflow_fixtures import flow_pack
    flow.install(flow_pack({"workflows/auto.yaml": AUTO}))
    inst = at_first_review(flow)
    flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=7), workflows=["auto"],
                      actor=flow.actor("pma"))
    assert todo_of(flow, "outsider") == []
    with pytest.raises(PermissionDenied):
        flow.wf.act(flow.task("pma", inst).id, flow.actor("outsider"), "approve")


def test_revoked_and_expired_authorisations_stop_working(flow, clock):
    inst = at_first_review(flow)
    aid = flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=2), actor=flow.actor("pma"))
    flow.wf.revoke(aid, flow.actor("pma"))
    assert todo_of(flow, "outsider") == []
    task = flow.task("pma", inst)
    with pytest.raises(PermissionDenied):
        flow.wf.act(task.id, flow.actor("outsider"), "approve")
    flow.wf.authorise("pma", "outsider", ends=clock.now() + timedelta(days=2), actor=flow.actor("pma"))
    later = flow.wf.authorise("pma", "dh", starts=clock.now() + timedelta(days=1),
                              ends=clock.now() + timedelta(days=3), actor=SYSTEM)
    assert todo_of(flow, "dh") == []                                      # not yet in force
    clock.advance(days=1)
    assert todo_of(flow, "dh") == [("pma", "pma")] and todo_of(flow, "outsider") == [("pma", "pma")]
    clock.advance(days=1)                                                 # the first one has ended
    assert todo_of(flow, "outsider") == []
    with pytest.raises(PermissionDenied):
        flow.wf.act(task.id, flow.actor("outsider"), "approve")
    flow.wf.act(task.id, flow.actor("dh"), "approve")
    assert flow.holders(inst) == ["pmb"]
    assert {a.id for a in flow.wf.authorisations("pma")} >= {aid, later}


def test_who_may_authorise_and_what(flow, clock, engine):
    ends = clock.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        flow.wf.authorise("pma", "outsider", ends=ends, actor=flow.actor("outsider"))   # only pma herself
    with pytest.raises(WorkflowError):
        flow.wf.authorise("pma", "pma", ends=ends, actor=flow.actor("pma"))
    with pytest.raises(WorkflowError):
        flow.wf.authorise("pma", "outsider", ends=clock.now(), actor=flow.actor("pma"))
    with pytest.raises(WorkflowError):
        flow.wf.authorise("pma", "nobody", ends=ends, actor=flow.actor("pma"))
    set_active(engine, "outsider", False)
    with pytest.raises(WorkflowError):
        flow.wf.authorise("pma", "outsider", ends=ends, actor=flow.actor("pma"))
    aid = flow.wf.authorise("pma", "dh", ends=ends, actor=flow.actor("pma"))
    with pytest.raises(PermissionDenied):
        flow.wf.revoke(aid, flow.actor("dh"))                            # the proxy cannot revoke it
    assert flow.wf.authorisations("pma")[0].revoked_at is None
