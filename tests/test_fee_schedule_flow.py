"""The fee ledger on the standard pack through the workflow engine (SQLite and PostgreSQL): the
schedule generated on approval from the project's product, once; receipts audited and voided
updating the amounts paid; the project's product choosing its workflow."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.products import workflow_for
from core.query import Filter, Query, find
from core.errors import DanbaoError

from .test_standard_flows import make_desk

D = Decimal


@pytest.fixture
def desk(engine, clock, standard):
    return make_desk(engine, clock, [standard])


def schedule_of(desk, inst) -> list[tuple]:
    project = desk.wf.instance(inst.id).record_id
    rows = find(desk.store.engine, desk.store.meta, Query("fee_schedule", [Filter("project", "eq", project)],
                                                          sort=["due_date", "id"], limit=100))
    return [(r.values["rule"], r.values["fee_kind"], r.values["seq"], r.values["due_date"], r.values["amount"],
             r.values["paid_amount"], r.values["status"]) for r in rows]


def items(desk, inst) -> dict[tuple[str, int], int]:
    project = desk.wf.instance(inst.id).record_id
    rows = find(desk.store.engine, desk.store.meta, Query("fee_schedule", [Filter("project", "eq", project)], limit=100))
    return {(r.values["rule"], r.values["seq"]): r.id for r in rows}


def green_to_fee(desk, **values):
    """A renewal within the green channel: 申请 → 初审 → 收费."""
    inst = desk.start(renewal=True, **values)
    desk.apply(inst)
    desk.first_review(inst)
    assert desk.at(inst) == "fee"
    return inst


def test_the_schedule_is_generated_on_approval_to_the_cent(desk):
    # 流动资金贷款担保: 1.5%/yr yearly, 评审费 0.2% once, 保证金 10% once; 3,000,000 for 18 months from 2026-03-15
    inst = desk.start(product="working_capital_loan", amount="3000000", term_months=18)
    assert workflow_for(desk.store.meta, desk.store.get("project", desk.wf.instance(inst.id).record_id)) == "guarantee"
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    assert schedule_of(desk, inst) == []                     # nothing before approval
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="approve")
    assert desk.at(inst) == "fee"
    # 3,000,000 × 1.5% × 18 / 12 = 67,500.00: 45,000.00 for the first year, 22,500.00 for the last six months
    assert schedule_of(desk, inst) == [
        ("guarantee_fee", "guarantee_fee", 1, date(2026, 3, 15), D("45000.00"), D("0.00"), "unpaid"),
        ("review_fee", "review_fee", 1, date(2026, 3, 15), D("6000.00"), D("0.00"), "unpaid"),
        ("deposit", "customer_deposit", 1, date(2026, 3, 15), D("300000.00"), D("0.00"), "unpaid"),
        ("guarantee_fee", "guarantee_fee", 2, date(2027, 3, 15), D("22500.00"), D("0.00"), "unpaid"),
    ]
    log = [a for a in desk.wf.timeline(inst.id) if a["action"] == "call"]
    assert [a["data"]["action"] for a in log] == ["regulatory_check", "generate_fee_schedule"]   # 复审, then 收费


def test_reentering_the_fee_step_does_not_duplicate_the_schedule(desk):
    inst = green_to_fee(desk, product="working_capital_loan", amount="2000000", term_months=12)
    first = schedule_of(desk, inst)
    assert [row[4] for row in first] == [D("30000.00"), D("4000.00"), D("200000.00")]
    desk.act("finance", "return", inst, to="first_review", opinion="请补充资料")
    assert desk.at(inst) == "first_review"
    desk.first_review(inst)
    assert desk.at(inst) == "fee"
    assert schedule_of(desk, inst) == first


def test_the_sequential_flow_generates_the_sme_products_quarterly_schedule(desk):
    # 小微企业贷款担保: 1%/yr collected quarterly; 2,000,000 for 10 months = 16,666.67:
    # 5,000.00 for each full quarter, 1,666.67 for the last month; 保证金 5% = 100,000.00
    inst = desk.start("guarantee_sequential", product="sme_loan", amount="2000000", term_months=10)
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.act("gm", "approve", inst)
    assert desk.at(inst) == "fee"
    assert [(r[0], r[2], r[3], r[4]) for r in schedule_of(desk, inst)] == [
        ("guarantee_fee", 1, date(2026, 3, 15), D("5000.00")), ("deposit", 1, date(2026, 3, 15), D("100000.00")),
        ("guarantee_fee", 2, date(2026, 6, 15), D("5000.00")), ("guarantee_fee", 3, date(2026, 9, 15), D("5000.00")),
        ("guarantee_fee", 4, date(2026, 12, 15), D("1666.67"))]


def test_a_project_without_a_product_gets_no_schedule(desk):
    inst = green_to_fee(desk, amount="2000000")
    assert schedule_of(desk, inst) == []


def receipt(desk, inst, *lines) -> int:
    project = desk.wf.instance(inst.id).record_id
    return desk.store.create("receipt", {"project": project, "lines": [{"item": i, "amount": a} for i, a in lines]},
                             actor=desk.actor("finance")).id


def audit(desk, rid, workflow="receipt_audit", **submit):
    run = desk.wf.start("receipt", rid, workflow, desk.actor("finance"))
    desk.act("finance", "submit", run, **submit)
    assert desk.holders(run) == ["gm"]          # not the one who entered it: the fallback audits
    desk.act("gm", "approve", run)
    return run


def test_audited_receipts_pay_the_items_and_voiding_undoes_it(desk):
    inst = green_to_fee(desk, product="working_capital_loan", amount="2000000", term_months=12)
    ids = items(desk, inst)
    rid = receipt(desk, inst, (ids["review_fee", 1], "4000"), (ids["guarantee_fee", 1], "10000"))
    assert desk.store.get("receipt", rid).values["status"] == "draft"
    assert {r[0]: r[5] for r in schedule_of(desk, inst)}["review_fee"] == 0     # a draft pays nothing
    audit(desk, rid)
    assert desk.store.get("receipt", rid).values["status"] == "audited"
    paid = {r[0]: (r[5], r[6]) for r in schedule_of(desk, inst)}
    assert paid == {"review_fee": (D("4000.00"), "paid"), "guarantee_fee": (D("10000.00"), "partial"),
                    "deposit": (D("0.00"), "unpaid")}
    # a second receipt for the rest of the guarantee fee
    second = receipt(desk, inst, (ids["guarantee_fee", 1], "20000"))
    audit(desk, second)
    assert {r[0]: (r[5], r[6]) for r in schedule_of(desk, inst)}["guarantee_fee"] == (D("30000.00"), "paid")
    outstanding = desk.store.get("fee_schedule", ids["guarantee_fee", 1]).values["outstanding"]
    assert outstanding == 0
    # voiding the first receipt recomputes without it
    audit(desk, rid, "receipt_void", values={"remarks": "金额录错，作废重开"})
    assert desk.store.get("receipt", rid).values["status"] == "void"
    assert {r[0]: (r[5], r[6]) for r in schedule_of(desk, inst)} == {
        "review_fee": (D("0.00"), "unpaid"), "guarantee_fee": (D("20000.00"), "partial"),
        "deposit": (D("0.00"), "unpaid")}


def test_paying_beyond_an_item_is_refused_and_nothing_changes(desk):
    inst = green_to_fee(desk, product="working_capital_loan", amount="2000000", term_months=12)
    ids = items(desk, inst)
    rid = receipt(desk, inst, (ids["review_fee", 1], "4000.01"))
    run = desk.wf.start("receipt", rid, "receipt_audit", desk.actor("finance"))
    desk.act("finance", "submit", run)
    with pytest.raises(DanbaoError) as e:
        desk.act("gm", "approve", run)
    assert "4000.01" in e.value.message["zh"] and "4000.00" in e.value.message["en"]
    assert desk.store.get("receipt", rid).values["status"] == "audit"       # the approval was rolled back
    assert desk.wf.instance(run.id).step == "audit"
    assert {r[0]: r[5] for r in schedule_of(desk, inst)}["review_fee"] == 0


def test_a_receipt_for_another_projects_item_is_refused(desk):
    one = green_to_fee(desk, product="working_capital_loan", amount="2000000", term_months=12)
    other = green_to_fee(desk, product="working_capital_loan", amount="1000000", term_months=12)
    rid = receipt(desk, other, (items(desk, one)["review_fee", 1], "100"))
    run = desk.wf.start("receipt", rid, "receipt_audit", desk.actor("finance"))
    desk.act("finance", "submit", run)
    with pytest.raises(DanbaoError) as e:
        desk.act("gm", "approve", run)
    assert "不属于本收款单的项目" in e.value.message["zh"]
