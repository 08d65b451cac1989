"""Approval modes and the actions: return, withdraw, transfer, delegate and hand back, add a
signer before/after, CC; side effects in the same transaction as the transition."""
from __future__ import annotations

import pytest

from core.errors import PermissionDenied, ValidationError
from core.workflow import WorkflowError, queries

from .test_workflow_fixtures import flow, flow_pack, make_flow  # noqa: F401  (fixture)


def one_step(mode: str, extra: str = "") -> str:
    return f"""\
name: one
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{{users: [c1, c2, c3]}}]
    mode: {mode}
{extra}    transitions: [{{to: done}}]
  - {{name: done, kind: end, outcome: approved}}
"""


@pytest.fixture
def modes(engine, clock):
    return make_flow(engine, clock, flow_pack({
        f"workflows/{m}.yaml": one_step(m, "    ratio: \"2/3\"\n" if m == "ratio" else "").replace("name: one", f"name: {m}")
        for m in ("all", "any", "ratio", "sequential")}))


def test_mode_all_needs_everyone(modes):
    inst = modes.start("all")
    modes.act("c1", "approve", inst)
    modes.act("c2", "approve", inst)
    assert modes.state(inst) == ("running", "review") and modes.holders(inst) == ["c3"]
    modes.act("c3", "approve", inst)
    assert modes.state(inst) == ("approved", "done")


def test_mode_all_one_reject_rejects(modes):
    inst = modes.start("all")
    modes.act("c1", "approve", inst)
    modes.act("c2", "reject", inst)
    assert modes.state(inst)[0] == "rejected"


def test_mode_any_first_decides(modes):
    inst = modes.start("any")
    modes.act("c2", "approve", inst)
    assert modes.state(inst) == ("approved", "done") and modes.holders(inst) == []
    inst = modes.start("any")
    modes.act("c3", "reject", inst)
    assert modes.state(inst)[0] == "rejected"


def test_mode_ratio(modes):
    inst = modes.start("ratio")
    modes.act("c1", "approve", inst)
    assert modes.state(inst) == ("running", "review")
    modes.act("c2", "approve", inst)                       # 2 of 3 >= 2/3
    assert modes.state(inst) == ("approved", "done")
    inst = modes.start("ratio")
    modes.act("c1", "reject", inst)
    assert modes.state(inst) == ("running", "review")      # 2 of 3 can still approve
    modes.act("c2", "reject", inst)                        # now at most 1 of 3
    assert modes.state(inst)[0] == "rejected"


def test_mode_sequential_one_after_another(modes):
    inst = modes.start("sequential")
    assert modes.holders(inst) == ["c1"]
    assert modes.wf.todo("c2") == []
    modes.act("c1", "approve", inst)
    assert modes.holders(inst) == ["c2"]
    modes.act("c2", "approve", inst)
    modes.act("c3", "approve", inst)
    assert modes.state(inst) == ("approved", "done")


def test_return_to_an_earlier_step_and_resubmit(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "approve", inst)
    flow.act("pmb", "approve", inst)
    with pytest.raises(WorkflowError):
        flow.act("risk1", "return", inst, to="committee")           # not an earlier step
    flow.act("risk1", "return", inst, to="first_review", opinion="请补充")
    assert flow.state(inst) == ("running", "first_review") and flow.holders(inst) == ["pma", "pmb"]
    flow.act("pma", "return", inst, to="initiator", opinion="退回申请人")
    assert flow.state(inst) == ("running", "draft") and flow.holders(inst) == ["li"]
    flow.act("li", "submit", inst, values={"amount": "900000"})
    assert flow.state(inst) == ("running", "first_review")
    returns = [a for a in flow.wf.timeline(inst.id) if a["action"] == "return"]
    assert [(a["actor"], a["from_step"], a["to_step"], a["opinion"]) for a in returns] == [
        ("risk1", "risk_review", "first_review", "请补充"), ("pma", "first_review", "draft", "退回申请人")]


def test_withdraw_before_the_next_step_acts(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    with pytest.raises(PermissionDenied):
        flow.wf.withdraw(inst.id, flow.actor("pma"))
    flow.wf.withdraw(inst.id, flow.actor("li"), "不办了")
    assert flow.state(inst) == ("withdrawn", "withdrawn") and flow.wf.todo("pma") == []
    assert queries.path(flow.wf.engine, inst.id) == ["draft", "first_review", "withdrawn"]   # the diagram's marks
    inst2 = flow.start()
    flow.act("li", "submit", inst2)
    flow.act("pma", "approve", inst2)
    with pytest.raises(WorkflowError):
        flow.wf.withdraw(inst2.id, flow.actor("li"))                    # pma has acted
    assert flow.state(inst2) == ("running", "first_review")


def test_transfer(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "transfer", inst, user="dh", opinion="出差,转办")
    assert flow.holders(inst) == ["dh", "pmb"]
    with pytest.raises(PermissionDenied):
        flow.wf.act(next(t.id for t in flow.wf.tasks(inst.id) if t.assignee == "dh"), flow.actor("pma"), "approve")
    flow.act("dh", "approve", inst)
    flow.act("pmb", "approve", inst)
    assert flow.state(inst) == ("running", "risk_review")


def test_delegate_and_hand_back(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "delegate", inst, user="dh")
    assert flow.holders(inst) == ["dh", "pmb"]                          # pma waits
    with pytest.raises(WorkflowError):
        flow.act("dh", "approve", inst)                                 # a delegate only hands back
    flow.act("dh", "hand_back", inst, opinion="核查无误")
    assert flow.holders(inst) == ["pma", "pmb"]
    flow.act("pma", "approve", inst)
    flow.act("pmb", "approve", inst)
    assert flow.state(inst) == ("running", "risk_review")


def test_add_signer_before(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pmb", "approve", inst)
    flow.act("pma", "add_signer", inst, user="dh", position="before")
    assert flow.holders(inst) == ["dh"]
    flow.act("dh", "approve", inst)
    assert flow.holders(inst) == ["pma"] and flow.state(inst)[1] == "first_review"
    flow.act("pma", "approve", inst)
    assert flow.state(inst) == ("running", "risk_review")


def test_add_signer_after(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pmb", "approve", inst)
    flow.act("pma", "add_signer", inst, user="dh", position="after")
    assert flow.holders(inst) == ["pma"]
    flow.act("pma", "approve", inst)
    assert flow.holders(inst) == ["dh"] and flow.state(inst)[1] == "first_review"
    flow.act("dh", "approve", inst)
    assert flow.state(inst) == ("running", "risk_review")


def test_added_signer_can_reject(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "add_signer", inst, user="dh", position="before")
    flow.act("dh", "reject", inst)
    assert flow.state(inst)[0] == "rejected"


def test_cc(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    flow.act("pma", "cc", inst, users=["gm", "fin"])
    assert [i.instance.id for i in flow.wf.cc_to("gm")] == [inst.id]
    assert flow.wf.counts("gm") == {"todo": 0, "cc": 1, "started": 0}
    assert flow.holders(inst) == ["pma", "pmb"]                         # CC does not decide
    cc = flow.wf.cc_to("gm")[0].task
    with pytest.raises(PermissionDenied):
        flow.wf.act(cc.id, flow.actor("gm"), "approve")
    flow.wf.act(cc.id, flow.actor("gm"), "read")
    assert flow.wf.counts("gm")["cc"] == 0 and len(flow.wf.cc_to("gm")) == 1


def test_available_actions_for_the_screens(flow):
    inst = flow.start()
    flow.act("li", "submit", inst)
    [(task, actions)] = flow.wf.available(inst.id, "pma")
    assert "approve" in actions and "add_signer" in actions
    assert flow.wf.available(inst.id, "outsider") == []


def test_nobody_resolves_uses_the_fallback_or_fails(flow):
    inst = flow.start(pm_a=None, pm_b=flow.uid("li"))     # li is the initiator: forbid_self removes li
    flow.act("li", "submit", inst)
    assert flow.holders(inst) == ["dh"]                    # fallback: head of li's department
    # riskboss heads their own department and forbid_self removes them: nobody can act
    rec = flow.project(pm_a=None, pm_b=None)
    inst2 = flow.wf.start("project", rec.id, "guarantee", flow.actor("riskboss"))
    with pytest.raises(WorkflowError) as e:
        flow.act("riskboss", "submit", inst2)
    assert "nobody can act on step 'first_review'" in str(e.value)
    assert flow.state(inst2) == ("running", "draft")


def test_side_effects_roll_back_with_a_failing_transition(engine, clock):
    text = """\
name: fx
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{users: [c1]}]
    on_leave: [{set: {receipt: '"set on leave"'}}]
    transitions: [{to: nobody}]
  - name: nobody
    kind: approval
    assignees: [{role: no_such_role}]
    on_enter: [{set: {contract_no: '"X"'}}]
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""
    f = make_flow(engine, clock, flow_pack({"workflows/fx.yaml": text}))
    inst = f.start("fx")
    with pytest.raises(WorkflowError) as e:
        f.act("c1", "approve", inst)
    assert "nobody" in str(e.value)
    assert f.state(inst) == ("running", "review") and f.holders(inst) == ["c1"]
    rec = f.record(inst)
    assert rec["receipt"] is None and rec["contract_no"] is None     # rolled back with the transition
    assert [a["action"] for a in f.wf.timeline(inst.id)] == ["start"]


def test_required_fields_block_leaving(flow):
    inst = flow.start(green=True, amount="100")
    flow.act("li", "submit", inst)
    with pytest.raises(ValidationError):
        flow.act("fin", "submit", inst)
    assert flow.state(inst) == ("running", "fee")


RESOLVERS = """\
name: auto
entity: project
start: stamp
steps:
  - name: stamp
    kind: automatic
    on_enter: [{set: {receipt: '"auto"'}}]
    transitions: [{to: boss, when: amount > 100}, {to: named}]
  - name: boss
    kind: approval
    assignees: [{initiator_manager: true}, {formula: 'IF(amount > 1000, "gm", "fin")'}]
    transitions: [{to: done}]
  - name: named
    kind: approval
    assignees: [{formula: reviewers}]
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


def test_automatic_step_and_resolvers(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": RESOLVERS}))
    inst = f.start("auto", amount="5000")
    assert f.state(inst) == ("running", "boss") and f.holders(inst) == ["dh", "gm"]   # li's manager; formula
    assert f.record(inst)["receipt"] == "auto"
    inst = f.start("auto", amount="50", reviewers="c3")
    assert f.holders(inst) == ["c3"]
    moves = [(a["actor"], a["from_step"], a["to_step"]) for a in f.wf.timeline(inst.id) if a["action"] == "move"]
    assert moves == [("system", "stamp", "named")]
