"""`danbao flow deadlines`, `danbao flow list` and `danbao user add --position`, through click's
CliRunner against a real database."""
from __future__ import annotations

from core.users import get_user

from .test_cli import run
from .test_workflow_fixtures import flow_pack, make_flow
from .test_workflow_runtime import AUTO

STUCK = AUTO.replace("assignees: [{users: [c2]}]", "assignees: [{users: [ghost]}]").replace("name: auto", "name: stuck")


def test_flow_deadlines_handles_what_is_overdue_once(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO}))
    inst = f.start("auto")
    early = run(engine, "flow", "deadlines", "--now", "2026-03-15 10:00")
    assert early.exit_code == 0 and "0 overdue task(s) handled." in early.output
    result = run(engine, "flow", "deadlines", "--now", "2026-03-15 15:00")
    assert result.exit_code == 0, result.output
    assert f"instance {inst.id} task" in result.output and "(c1): auto_approve" in result.output
    assert "1 overdue task(s) handled." in result.output
    assert f.state(inst) == ("running", "notice")
    again = run(engine, "flow", "deadlines", "--now", "2026-03-15 15:00")
    assert "0 overdue task(s) handled." in again.output                  # idempotent


def test_flow_deadlines_reports_an_instance_it_cannot_handle_and_goes_on(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/auto.yaml": AUTO, "workflows/stuck.yaml": STUCK}))
    stuck = f.start("stuck")
    fine = f.start("auto")
    result = run(engine, "flow", "deadlines", "--now", "2026-03-15 15:00")
    assert result.exit_code == 1
    assert f"instance {stuck.id}: not handled: nobody can act on step 'notice'" in result.output
    assert f"instance {fine.id} task" in result.output
    assert f.state(stuck) == ("running", "review") and f.state(fine) == ("running", "notice")


def test_flow_list_counts_running_instances_by_step(engine, clock):
    f = make_flow(engine, clock)
    a, b, c = f.start(), f.start(), f.start()
    f.act("li", "submit", a)
    f.wf.withdraw(c.id, f.actor("li"))
    result = run(engine, "flow", "list")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["guarantee", "draft", "申请", "1"] in lines and ["guarantee", "first_review", "初审", "1"] in lines
    assert "2 running instance(s)." in result.output


def test_flow_commands_without_metadata_fail_cleanly(engine):
    for args in (("flow", "list"), ("flow", "deadlines")):
        result = run(engine, *args)
        assert result.exit_code == 1 and "no metadata installed" in result.output


def test_user_add_with_positions(engine):
    result = run(engine, "user", "add", "zhou", "--name", "周", "--position", "风控经理", "--position", "总经理",
                 "--password", "secret-pw")
    assert result.exit_code == 0, result.output
    assert "position(s): 风控经理, 总经理" in result.output
    assert get_user(engine, username="zhou").positions == ("风控经理", "总经理")
    assert "风控经理,总经理" in run(engine, "user", "list").output
