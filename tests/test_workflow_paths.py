"""End-to-end paths through the guarantee flow on a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.errors import PermissionDenied, ValidationError
from core.workflow import WorkflowError

from .test_workflow_fixtures import flow  # noqa: F401  (fixture)


def to_committee(flow, inst):
    flow.act("li", "submit", inst)
    flow.act("pma", "approve", inst, opinion="同意")
    flow.act("pmb", "approve", inst)
    flow.act("risk1", "approve", inst)
    assert flow.state(inst) == ("running", "committee")


def test_approve_all_the_way(flow):
    inst = flow.start()
    assert flow.state(inst) == ("running", "draft") and flow.holders(inst) == ["li"]
    flow.act("li", "submit", inst, opinion="请审批")
    assert flow.state(inst) == ("running", "first_review") and flow.holders(inst) == ["pma", "pmb"]
    flow.act("pma", "approve", inst, opinion="同意")
    assert flow.state(inst) == ("running", "first_review") and flow.holders(inst) == ["pmb"]   # mode all
    flow.act("pmb", "approve", inst)
    assert flow.holders(inst) == ["risk1", "risk2"]
    flow.act("risk2", "approve", inst)                                  # mode any: one is enough
    assert flow.state(inst) == ("running", "committee")
    assert flow.holders(inst) == ["c1", "c2", "c3", "c4", "chair"]
    for m in ("c1", "c2", "c3"):
        flow.act(m, "vote", inst, choice="approve")
    # 3 of 5 approve: 3 >= 2/3 * 5 is false, not decided yet
    assert flow.state(inst) == ("running", "committee")
    flow.act("chair", "approve", inst)
    assert flow.state(inst) == ("running", "fee")                      # amount <= 5m: no GM
    with pytest.raises(ValidationError) as e:
        flow.act("fin", "submit", inst)                                 # receipt required
    assert set(e.value.errors) == {"receipt"}
    flow.act("fin", "submit", inst, values={"receipt": "R-001"})
    assert flow.state(inst) == ("approved", "approved")
    rec = flow.record(inst)
    assert rec["fee_paid"] is True and rec["approved_on"] == date(2026, 3, 15)
    assert rec["contract_no"] == "HT2026-001" and rec["receipt"] == "R-001"
    actions = [(a["actor"], a["action"], a["from_step"], a["to_step"]) for a in flow.wf.timeline(inst.id)]
    assert actions[0] == ("li", "start", None, "draft")
    assert ("li", "submit", "draft", "first_review") in actions
    assert ("pma", "approve", "first_review", "first_review") in actions
    assert ("fin", "submit", "fee", "approved") in actions
    assert flow.wf.todo("fin") == [] and [i.task.action for i in flow.wf.done_by("fin")] == ["submit"]
    assert [i.id for i in flow.wf.started_by("li")] == [inst.id]


def test_large_amount_goes_to_the_general_manager(flow):
    inst = flow.start(amount="8000000")
    to_committee(flow, inst)
    for m in ("c1", "c2", "c3", "c4"):
        flow.act(m, "vote", inst, choice="approve")
    assert flow.state(inst) == ("running", "committee")                # the chair could still veto
    flow.act("chair", "vote", inst, choice="approve")
    assert flow.state(inst) == ("running", "gm")
    flow.act("gm", "approve", inst)
    assert flow.state(inst) == ("running", "fee")


def test_green_channel_skips_the_reviews(flow):
    inst = flow.start(green=True, amount="500000")
    flow.act("li", "submit", inst)
    assert flow.state(inst) == ("running", "fee")
    inst2 = flow.start(green=True, amount="2000000")                  # too large for the green channel
    flow.act("li", "submit", inst2)
    assert flow.state(inst2) == ("running", "first_review")


def test_reject_ends_the_instance(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "reject", inst, opinion="资料不全")
    assert flow.state(inst) == ("rejected", "rejected")
    assert flow.wf.todo("pmb") == []                                    # the other task is cancelled
    with pytest.raises(WorkflowError):
        stale = next(t for t in flow.wf.tasks(inst.id, current=False) if t.assignee == "pmb")
        flow.wf.act(stale.id, flow.actor("pmb"), "approve")


def test_permission_denied_for_a_non_assignee(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    task = flow.task("pma", inst)
    for who in ("outsider", "li", "risk1"):
        with pytest.raises(PermissionDenied):
            flow.wf.act(task.id, flow.actor(who), "approve")
    with pytest.raises(PermissionDenied):                               # wrong password: no proxy
        flow.wf.act(task.id, flow.actor("outsider"), "approve", proxy_password="wrong-pw")
    assert flow.holders(inst) == ["pma", "pmb"]


def test_proxy_acts_with_the_absent_approvers_consent(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    task = flow.task("pma", inst)
    flow.wf.act(task.id, flow.actor("dh"), "approve", opinion="代批", proxy_password="secret-pw")
    row = [a for a in flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert row["actor"] == "dh" and row["on_behalf_of"] == "pma"
    # risk_review does not allow proxies
    flow.act("pmb", "approve", inst)
    with pytest.raises(PermissionDenied):
        flow.wf.act(flow.task("risk1", inst).id, flow.actor("dh"), "approve", proxy_password="secret-pw")


def test_editable_fields_only(flow):
    inst = flow.start()
    with pytest.raises(ValidationError) as e:
        flow.act("li", "submit", inst, values={"receipt": "x"})
    assert set(e.value.errors) == {"receipt"}
    flow.act("li", "submit", inst, values={"amount": "2000000"})
    assert flow.record(inst)["amount"] == Decimal("2000000.00")


def test_one_running_instance_per_record(flow):
    inst = flow.start()
    with pytest.raises(WorkflowError):
        flow.wf.start("project", flow.wf.instance(inst.id).record_id, "guarantee", flow.actor("li"))
