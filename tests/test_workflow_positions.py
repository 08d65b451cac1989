"""Approvers by position (岗位): users hold positions, `{position: …}` resolves their holders,
optionally only in the initiator's (or a named) department; a `position` code list, when the
metadata has one, is checked at install time."""
from __future__ import annotations

import pytest

from core.demo import create_demo_users
from core.errors import ValidationError
from core.users import create_user, get_user, set_active, set_positions
from core.workflow import WorkflowError

from .test_workflow_fixtures import flow_pack, make_flow
from .test_workflow_metadata import problems

BY_POSITION = """\
name: by_position
entity: project
start: review
steps:
  - name: review
    kind: approval
    assignees: [{position: 风控经理}]
    transitions: [{to: head}]
  - name: head
    kind: approval
    assignees: [{position: [部门负责人], department: initiator}]
    transitions: [{to: risk_head}]
  - name: risk_head
    kind: approval
    assignees: [{position: 部门负责人, department: risk}]
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


@pytest.fixture
def positioned(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/by_position.yaml": BY_POSITION}))
    set_positions(engine, "risk1", ["风控经理"])
    set_positions(engine, "risk2", ["风控经理", "复核岗"])
    set_positions(engine, "dh", ["部门负责人"])           # credit
    set_positions(engine, "riskboss", ["部门负责人"])     # risk
    return f


def test_users_hold_positions(engine):
    u = create_user(engine, "zhou", name="周", positions=[" 风控经理 ", "总经理", "风控经理", ""])
    assert u.positions == ("风控经理", "总经理")
    assert get_user(engine, username="zhou").positions == ("风控经理", "总经理")
    set_positions(engine, "zhou", ["审保会委员"])
    assert get_user(engine, username="zhou").positions == ("审保会委员",)
    assert get_user(engine, username="zhou").roles == frozenset()     # positions are not roles
    with pytest.raises(ValidationError) as e:
        set_positions(engine, "zhou", ["x" * 64])
    assert set(e.value.errors) == {"positions"}
    assert create_user(engine, "wu", name="吴").positions == ()


def test_position_resolves_its_holders_and_scoped_to_a_department(positioned, engine):
    f = positioned
    inst = f.start("by_position")
    assert f.holders(inst) == ["risk1", "risk2"]
    f.act("risk1", "approve", inst)
    f.act("risk2", "approve", inst)
    assert f.holders(inst) == ["dh"]                     # 部门负责人 of li's department (credit) only
    f.act("dh", "approve", inst)
    assert f.holders(inst) == ["riskboss"]               # 部门负责人 of the named department
    f.act("riskboss", "approve", inst)
    assert f.state(inst) == ("approved", "done")


def test_inactive_holders_and_initiators_without_a_department_resolve_nobody(positioned, engine):
    f = positioned
    set_active(engine, "risk2", False)
    inst = f.start("by_position")
    assert f.holders(inst) == ["risk1"]
    f.act("risk1", "approve", inst)
    inst2 = f.start("by_position", initiator="c1")        # c1 has no department
    with pytest.raises(WorkflowError):
        f.act("risk1", "approve", inst2)                  # 'head' resolves nobody
    assert f.state(inst2) == ("running", "review")       # the approval rolled back
    assert f.holders(inst2) == ["risk1"]


def test_nobody_in_the_position_is_a_clear_error(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/by_position.yaml": BY_POSITION}))
    with pytest.raises(WorkflowError) as e:
        f.start("by_position")
    assert "nobody can act on step 'review'" in e.value.message["en"]


POSITION_LIST = """\
name: position
label: 岗位
items:
  - {code: 风控经理, label: 风控经理}
  - {code: 部门负责人, label: 部门负责人}
"""


def test_a_position_code_list_is_checked_at_install(engine):
    assert problems(BY_POSITION) == []                  # free text without the code list
    text = BY_POSITION.replace("[部门负责人]", "[部门经理]").replace("department: risk", "department: legal")
    found = [p for p in problems_with_list(text)]
    assert any("x.yaml:11 steps.head.assignees.0.position: '部门经理' is not a code of the code list 'position'"
               in p for p in found), found
    assert any("steps.risk_head.assignees.0.department: 'legal' is neither 'initiator' nor a code" in p
               for p in found), found
    assert problems_with_list(BY_POSITION) == []


def problems_with_list(text: str) -> list[str]:
    from metadata.errors import MetadataError
    from metadata.loader import load_packs
    try:
        load_packs([flow_pack({"workflows/x.yaml": text, "codelists/position.yaml": POSITION_LIST})])
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


def test_department_only_scopes_a_position():
    found = problems(BY_POSITION.replace("[{position: 风控经理}]", "[{role: risk, department: initiator}]"))
    assert any("steps.review.assignees.0" in p for p in found), found


def test_demo_users_have_positions(engine):
    create_demo_users(engine, password="demo-pass")
    assert get_user(engine, username="risk").positions == ("风控经理",)
    assert "总经理" in get_user(engine, username="gm").positions
