"""Rules run on save and on entering a workflow step: the functions the store's write path and the
workflow engine call (core/warnings/hooks.py), called here directly in a write transaction."""
from __future__ import annotations

from core.warnings.hooks import on_save, on_step

from .test_rules_fixtures import BIG, OVERDUE, OVERDUE_ON_SAVE, World

STEP_PACK_RULE = BIG.replace("name: big_loan", "name: big_at_step")


def _save(w, loan):
    with w.store.transaction() as conn:
        return on_save(w.store, conn, "loan", loan.id, loan.values, created_by=loan.created_by)


def test_a_save_through_the_store_raises_and_resolves_the_warning(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE_ON_SAVE, big_loan=BIG)     # big_loan runs daily only
    loan = w.loan()                                                  # the one write path runs the rule
    assert [(x.rule, x.state) for x in w.warnings()] == [("loan_overdue", "open")]
    assert "客户 " in w.warnings()[0].message["zh"]            # no customer: the link is blank
    assert _save(w, loan).counts.raised == 0                    # again: nothing new
    w.store.update("loan", loan.id, {"paid": True}, version=loan.version)
    assert [(x.rule, x.state) for x in w.warnings()] == [("loan_overdue", "resolved")]


def test_a_rule_that_does_not_run_on_save_waits_for_the_scan(engine, clock):
    w = World(engine, clock, big_loan=BIG)
    w.loan(amount="5000000")
    assert w.warnings() == []
    w.scan()
    assert [x.rule for x in w.warnings()] == ["big_loan"]


def test_a_broken_rule_is_reported_and_the_save_still_succeeds(engine, clock):
    broken = OVERDUE_ON_SAVE.replace("condition: not paid and", "condition: amount / 0 > 1 and")
    w = World(engine, clock, loan_overdue=broken)
    loan = w.loan()
    assert w.store.get("loan", loan.id).values["title"] == "L1"
    [report] = w.warnings()
    assert report.key == "!error" and "division by zero" in report.error
    assert _save(w, loan).counts.errors == 1


REVIEW_FLOW = """\
name: loan_review
entity: loan
start: review
steps:
  - {name: review, kind: approval, assignees: [{role: gm}], mode: any, transitions: [{to: done}]}
  - {name: done, kind: end, outcome: approved}
"""
AT_REVIEW = BIG.replace("name: big_loan", "name: big_at_review") + "runs: [{step: review}]\n"


def test_entering_a_workflow_step_runs_the_rules_naming_it(engine, clock):
    from core.store import Actor
    from core.workflow import Workflows
    w = World(engine, clock, {"workflows/loan_review.yaml": REVIEW_FLOW}, big_at_review=AT_REVIEW)
    small, big = w.loan("S", amount="100"), w.loan("B", amount="5000000")
    assert w.warnings() == []                                   # not on save
    wf = Workflows(w.store)
    for loan in (small, big):
        wf.start("loan", loan.id, "loan_review", Actor("li", ("pm",)))
    assert [(x.rule, x.record_id) for x in w.warnings()] == [("big_at_review", big.id)]


def test_on_step_runs_only_the_rules_naming_that_step(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE)
    loan = w.loan()
    with w.store.transaction() as conn:
        result = on_step(w.store, conn, "loan", loan.id, loan.values, "review")
    assert result.rules == [] and w.warnings() == []


def test_the_cli_scans_and_lists(engine, clock, tmp_path):
    from click.testing import CliRunner

    from ui.cli import cli
    w = World(engine, clock, loan_overdue=OVERDUE_ON_SAVE, big_loan=BIG)
    w.loan("A")
    w.loan("Z", rate="0")
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(cli, ["--database", url, "warnings", "scan", "--batch", "1"])
    assert out.exit_code == 1, out.output                  # big_loan failed on Z: reported, exit 1
    assert "rule failed: the warning rule" in out.output and "2 rule(s) over 2 record(s)" in out.output
    out = runner.invoke(cli, ["--database", url, "warnings", "scan", "--rule", "loan_overdue"])
    assert out.exit_code == 0 and "0 raised, 2 still open" in out.output
    out = runner.invoke(cli, ["--database", url, "warnings", "scan", "--rule", "nope"])
    assert out.exit_code == 1 and "no warning rule: nope" in out.output
    out = runner.invoke(cli, ["--database", url, "warnings", "list", "--user", "li", "--level", "red"])
    assert out.exit_code == 0 and "2 warning(s)." in out.output and "loan_overdue" in out.output
