"""The workflow effect `update`: write the record a link field of the workflow's record points to —
through the store at its current version, as a trusted write of the acting user, inside the
transition's transaction (a failure rolls the whole transition back), logged, checked at install."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.workflow import WorkflowError
from metadata.errors import MetadataError
from metadata.loader import load_packs

from .test_workflow_fixtures import flow_pack, make_flow

CLAIM = """\
name: claim
label: {zh: 代偿申请, en: Compensation}
fields:
  - {name: project, type: link, entity: project, label: {zh: 项目, en: Project}}
  - {name: paid, type: money, label: {zh: 代偿金额, en: Paid}}
  - {name: title, type: text}
permissions: {create: [pm], update: [pm]}
"""

FLOW = """\
name: compensate
entity: claim
start: review
steps:
  - name: review
    kind: approval
    assignees: [{users: [risk1]}]
    on_leave:
      - update:
          record: project
          values:
            approved_on: TODAY()
            contract_no: 'CONCAT("DC-", title)'
            amount: paid
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


def setup(engine, clock, text=FLOW):
    f = make_flow(engine, clock, flow_pack({"entities/claim.yaml": CLAIM, "workflows/compensate.yaml": text}))
    project = f.project(name="甲项目")
    claim = f.store.create("claim", {"project": project.id, "paid": "800000", "title": "甲"}, actor=f.actor("li"))
    inst = f.wf.start("claim", claim.id, "compensate", f.actor("li"))
    return f, project, claim, inst


def test_update_writes_the_linked_record_with_history_and_a_log_row(engine, clock):
    f, project, claim, inst = setup(engine, clock)
    f.act("risk1", "approve", inst)
    assert f.state(inst) == ("approved", "done")
    p = f.store.get("project", project.id)
    assert p.values["approved_on"] == date(2026, 3, 15)                 # readonly fields: a trusted write
    assert p.values["contract_no"] == "DC-甲" and p.values["amount"] == Decimal("800000.00")
    assert p.version == project.version + 1 and p.updated_by == "risk1"
    h = f.store.history("project", project.id)[-1]
    assert h["actor"] == "risk1" and set(h["changes"]) == {"approved_on", "contract_no", "amount"}
    log = [(a["action"], a["data"]) for a in f.wf.timeline(inst.id) if a["action"] == "update"]
    assert log == [("update", {"entity": "project", "record_id": project.id,
                               "set": ["amount", "approved_on", "contract_no"]})]


def test_a_refused_update_rolls_the_transition_back(engine, clock):
    f, project, claim, inst = setup(engine, clock, FLOW.replace("amount: paid", "amount: -paid"))   # min: 0
    with pytest.raises(WorkflowError) as e:
        f.act("risk1", "approve", inst, opinion="同意")
    assert f"step 'review' could not update the record project {project.id}: amount" in e.value.message["en"]
    assert f"步骤「review」无法修改记录「project {project.id}」" in e.value.message["zh"]
    assert f.state(inst) == ("running", "review") and f.holders(inst) == ["risk1"]
    p = f.store.get("project", project.id)
    assert p.version == project.version and p.values["approved_on"] is None
    assert [a["action"] for a in f.wf.timeline(inst.id)] == ["start"]


def test_an_empty_link_is_a_clear_error(engine, clock):
    f = make_flow(engine, clock, flow_pack({"entities/claim.yaml": CLAIM, "workflows/compensate.yaml": FLOW}))
    claim = f.store.create("claim", {"paid": "1", "title": "乙"}, actor=f.actor("li"))
    inst = f.wf.start("claim", claim.id, "compensate", f.actor("li"))
    with pytest.raises(WorkflowError) as e:
        f.act("risk1", "approve", inst)
    assert "updates the record 'project' points to, but it is empty" in e.value.message["en"]
    assert f.state(inst) == ("running", "review")


def problems(text: str) -> list[str]:
    try:
        load_packs([flow_pack({"entities/claim.yaml": CLAIM, "workflows/x.yaml": text})])
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


@pytest.mark.parametrize("replace, expected", [
    (("record: project", "record: projet"), "x.yaml:10 steps.review.on_leave.0.update.record: entity 'claim' "
                                            "has no field 'projet'"),
    (("record: project", "record: title"), "steps.review.on_leave.0.update.record: 'title' is a text field; "
                                           "update needs a link field of the workflow's entity"),
    (("amount: paid", "amout: paid"), "x.yaml:14 steps.review.on_leave.0.update.values.amout: entity 'project' "
                                      "has no field 'amout'"),
    (("amount: paid", "amount: pade"), "steps.review.on_leave.0.update.values.amount: unknown field 'pade'"),
    (("          record: project\n", ""), "steps.review.on_leave.0.update: 'record' is a required property"),
])
def test_install_time_checks(replace, expected):
    old, new = replace
    assert old in FLOW
    found = problems(FLOW.replace(old, new))
    assert any(expected in p for p in found), found


def test_a_well_formed_update_loads():
    assert problems(FLOW) == []
