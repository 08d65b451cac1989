"""One guarantee from application to release (解保), over HTTP as the demo users: driven through the
standard flow to 在保, repayments entered and confirmed reduce the balance in force, a follow-up
survey moves the next survey due, a five-level classification needs a reason to differ from the
suggested class, and the release — reviewed by risk control and finance — leaves the project
released with a zero balance and its customer deposit returned. Refusals: a repayment above the
balance, confirmations that together exceed it, a release as "repaid" while principal is
outstanding. (seed/standard; docs/lifecycle.md)"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.query import Filter, Query, find

from .test_lifecycle_fixtures import desk  # noqa: F401 (fixture)


def repay(desk, rid: int, principal: str, interest: str = "0", by: str = "pm_a") -> int:
    """A repayment entered by `by` and confirmed by finance through the workflow repayment_confirm."""
    pay = desk.new(by, "repayment", project=str(rid), repaid_on="2026-06-20", principal=principal,
                   interest=interest, source="bank_notice", reported_by="工行西湖支行 陈经理")
    assert desk.get("repayment", pay)["status"] == "entered"
    desk.start(by, "repayment", pay, "repayment_confirm")
    desk.act_on(by, "repayment", pay, "submit", _wf_opinion="银行通知已还款")
    return pay


def confirm(desk, pay: int) -> str:
    return desk.act_on("finance", "repayment", pay, "approve", _wf_opinion="已核对银行回单")


def test_from_application_to_release(desk, clock):
    rid = desk.in_force()                                            # released 2,800,000 on 2026-03-20
    p = desk.record(rid)
    assert p["balance"] == Decimal("2800000.00") and p["outstanding"] == Decimal("2800000.00")
    assert p["next_followup_due"] == date(2026, 4, 19)               # the first survey: 30 days after release
    desk.new("finance", "customer_deposit", project=str(rid), direction="received", amount="280,000.00",
             moved_on="2026-03-18", method="transfer")
    assert desk.record(rid)["deposit_balance"] == Decimal("280000.00")

    # 保后检查: the first survey
    desk.later(clock, 30)                                            # 2026-04-14
    survey = desk.new("pm_a", "followup", project=str(rid), kind="first", visited_on="2026-04-14",
                      surveyor=desk.uid("pm_a"), second_surveyor=desk.uid("pm_b"), operating="normal",
                      findings="生产正常，订单饱满", risk_signals="")
    assert desk.get("followup", survey)["planned_on"] == date(2026, 4, 19)   # defaulted from the project
    p = desk.record(rid)
    assert p["last_followup"] == date(2026, 4, 14) and p["next_followup_due"] == date(2026, 7, 14)

    # 还款: only confirmed repayments count
    desk.later(clock, 70)                                            # 2026-06-23
    first = repay(desk, rid, "800,000.00", "35,000.00")
    assert desk.record(rid)["balance"] == Decimal("2800000.00")      # entered, not yet confirmed
    assert desk.flow_step("repayment", first) == "confirm"
    confirm(desk, first)
    assert desk.get("repayment", first)["status"] == "confirmed"
    p = desk.record(rid)
    assert p["repaid"] == Decimal("800000.00") and p["balance"] == Decimal("2000000.00")
    assert p["last_repaid_on"] == date(2026, 6, 20)
    assert "2,000,000.00" in desk.page("gm", "project", rid)

    # a repayment above the balance is refused at the form
    html = desk.refused("pm_a", "repayment", project=str(rid), repaid_on="2026-06-21", principal="2,000,000.01",
                        interest="0", source="bank_notice")
    assert "归还本金不能超过项目的在保余额" in html
    # two entries within the balance each, confirmed one after the other: the second is refused
    a = repay(desk, rid, "1,500,000.00")
    b = repay(desk, rid, "600,000.00")
    confirm(desk, a)
    assert desk.record(rid)["balance"] == Decimal("500000.00")
    (task,) = [i.task.id for i in desk.wf.todo("finance") if (i.instance.entity, i.instance.record_id) == ("repayment", b)]
    resp = desk.site.as_("finance").act(task, "approve", _wf_opinion="确认")
    assert "在保余额不能为负" in resp.get_data(as_text=True)
    assert desk.get("repayment", b)["status"] == "entered" and desk.record(rid)["balance"] == Decimal("500000.00")

    # 五级分类: the suggested class follows the days overdue; a different class needs a reason
    form = dict(project=str(rid), classified_on="2026-06-30", days_overdue="95", chosen_class="special_mention",
                default_level="level_1", reviewer=desk.uid("risk"), basis="借款人短期资金紧张")
    html = desk.refused("risk", "classification", **form)
    assert 'id="f-override_reason"' in html and "必填" in html
    cls = desk.new("risk", "classification", **form, override_reason="抵押物足值，银行同意展期")
    c = desk.get("classification", cls)
    assert c["suggested_class"] == "substandard" and c["suggested_label"] == "次级"
    p = desk.record(rid)
    assert (p["current_class"], p["days_overdue"], p["default_level"]) == ("special_mention", 95, "level_1")
    desk.new("risk", "classification", project=str(rid), classified_on="2026-07-15", days_overdue="0",
             chosen_class="normal", reviewer=desk.uid("risk"))
    assert desk.record(rid)["current_class"] == "normal"            # the latest classification counts
    assert "关注" in desk.page("risk", "classification", cls)

    # 解保: the bank releases the guarantee with principal still outstanding on our books
    desk.later(clock, 30)
    proof = desk.upload("pm_a", "guarantee_release", "bank_proof", "解保证明.pdf")
    html = desk.refused("pm_a", "guarantee_release", project=str(rid), reason="repaid", released_on="2026-07-20",
                        bank_proof=proof)
    assert "已确认的还款尚未结清本金" in html
    rel = desk.new("pm_a", "guarantee_release", project=str(rid), reason="bank_release", released_on="2026-07-20",
                   explanation="借款人以新贷归还旧贷，银行出具解除担保责任通知书", bank_proof=proof,
                   deposit_account="6222 0000 1111 2222")
    assert desk.get("guarantee_release", rel)["deposit_to_return"] == Decimal("280000.00")
    desk.start("pm_a", "guarantee_release", rel, "guarantee_release")
    desk.act_on("pm_a", "guarantee_release", rel, "submit", _wf_opinion="银行已解除担保责任")
    desk.act_on("risk", "guarantee_release", rel, "approve", _wf_opinion="同意解保")
    assert desk.record(rid)["status"] == "in_force"
    desk.act_on("finance", "guarantee_release", rel, "approve", _wf_opinion="同意，退还保证金")
    assert desk.get("guarantee_release", rel)["status"] == "released"
    p = desk.record(rid)
    assert p["status"] == "released" and p["balance"] == Decimal("0.00") and p["closed_on"] == date(2026, 7, 20)
    assert p["next_followup_due"] is None
    returned = find(desk.engine, desk.store.meta, Query("customer_deposit", [Filter("project", "eq", rid),
                                                                             Filter("direction", "eq", "returned")]))
    assert [(r.values["amount"], r.values["account_no"]) for r in returned] == [(Decimal("280000.00"),
                                                                                 "6222 0000 1111 2222")]
    assert p["deposit_returned"] == Decimal("280000.00") and p["deposit_balance"] == Decimal("0.00")
    assert "已解保" in desk.page("gm", "project", rid)
    # released: no more repayments
    html = desk.refused("pm_a", "repayment", project=str(rid), repaid_on="2026-07-21", principal="1",
                        source="bank_notice")
    assert "只能为在保项目登记还款" in html
