"""One guarantee from default to write-off, over HTTP as the demo users: in force through the green
channel, part repaid, classified substandard, compensated (pm → risk → gm → finance pays), recovered
by legal (stages, costs, amounts recovered, asset preservation) and the rest written off (legal →
risk → gm), with every amount checked to the cent. Refusals: a compensation above the balance, a
stage missing from the history, a write-off above compensated − recovered.
(seed/standard; docs/lifecycle.md)"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from .test_lifecycle_fixtures import desk  # noqa: F401 (fixture)
from .test_lifecycle_release import confirm, repay


def rows(table: str, *items: dict) -> dict:
    """A child table as the record form posts it: markers and `table.<i>.<field>` inputs."""
    form = {table: ""}
    for i, item in enumerate(items):
        form[f"{table}.{i}"] = ""
        form.update({f"{table}.{i}.{k}": v for k, v in item.items()})
    return form


def test_from_default_to_compensation_recovery_and_write_off(desk, clock):
    rid = desk.in_force(released="1,800,000", renewal="true", overdue_history="false", amount="2,000,000")
    assert [a["to_step"] for a in desk.wf.timeline(desk.instance(rid).id) if a["action"] == "move"][:2] == \
        ["first_review", "fee"]                                     # the green channel
    desk.later(clock, 100)                                          # 2026-06-23
    confirm(desk, repay(desk, rid, "600,000.00", "20,000.00"))
    assert desk.record(rid)["balance"] == Decimal("1200000.00")
    desk.later(clock, 120)                                          # 2026-10-21
    desk.new("risk", "classification", project=str(rid), classified_on="2026-10-21", days_overdue="120",
             chosen_class="substandard", default_level="level_2", reviewer=desk.uid("risk"))
    assert desk.record(rid)["current_class"] == "substandard"

    # 代偿: the bank demands payment; a principal above the balance in force is refused
    claim = dict(project=str(rid), default_on="2026-06-20", reason="借款人逾期120天，银行要求履行保证责任",
                 principal="1,200,000.00", interest="12,345.67", penalty="1,234.56")
    html = desk.refused("pm_a", "compensation", **{**claim, "principal": "1,200,000.01"})
    assert "代偿本金不能超过项目的在保余额" in html
    comp = desk.new("pm_a", "compensation", **claim)
    c = desk.get("compensation", comp)
    assert c["bank"] == desk.bank and c["total"] == Decimal("1213580.23")
    desk.start("pm_a", "compensation", comp, "compensation")
    desk.act_on("pm_a", "compensation", comp, "submit", _wf_opinion="请审批代偿")
    desk.act_on("risk", "compensation", comp, "approve", _wf_opinion="反担保措施已启动，同意代偿")
    desk.act_on("gm", "compensation", comp, "approve", _wf_opinion="同意")
    assert desk.get("compensation", comp)["status"] == "payment" and desk.record(rid)["status"] == "in_force"
    desk.act_on("finance", "compensation", comp, "submit", _wf_opinion="已付款", paid_on="2026-10-28",
                voucher_no="FK-2026-0101")
    c, p = desk.get("compensation", comp), desk.record(rid)
    assert c["status"] == "paid"
    assert p["status"] == "compensated" and p["balance"] == Decimal("0.00")
    assert p["compensated"] == Decimal("1213580.23") and p["compensated_on"] == date(2026, 10, 28)
    assert p["compensation_balance"] == Decimal("1213580.23")

    # 追偿: legal records the stages, costs, preservation and the amounts recovered
    stage_rows = [{"stage": "pre_litigation", "entered_on": "2026-11-01", "note": "发出催收函"}]
    html = desk.refused("legal", "recovery", project=str(rid), handler=desk.uid("legal"), stage="first_instance",
                        **rows("stages", *stage_rows))
    assert "当前阶段须在阶段记录中登记" in html
    rec = desk.new("legal", "recovery", project=str(rid), handler=desk.uid("legal"), stage="pre_litigation",
                   **rows("stages", *stage_rows))
    stage_rows += [{"stage": "first_instance", "entered_on": "2026-11-20", "case_no": "(2026)浙0106民初1234号"},
                   {"stage": "enforcement", "entered_on": "2027-03-02", "case_no": "(2027)浙0106执567号"}]
    desk.edit("legal", "recovery", rec, project=str(rid), handler=desk.uid("legal"), stage="enforcement",
              court="杭州市西湖区人民法院", case_no="(2027)浙0106执567号",
              **rows("stages", *stage_rows),
              **rows("costs", {"kind": "court_fee", "paid_on": "2026-11-20", "amount": "12,000.00", "payee": "西湖区法院"},
                     {"kind": "preservation_fee", "paid_on": "2026-11-22", "amount": "3,456.78"}),
              **rows("recoveries", {"received_on": "2027-03-10", "amount": "300,000.00", "source": "collateral"},
                     {"received_on": "2027-04-02", "amount": "45,678.90", "source": "enforcement"}),
              **rows("preservations", {"asset": "浙A12345 货车", "measure": "seizure", "court": "西湖区法院",
                                       "started_on": "2026-11-22", "expires_on": "2028-11-21"}))
    r = desk.get("recovery", rec)
    assert (r["recovered_total"], r["costs_total"], r["net_recovered"], r["outstanding"]) == \
        (Decimal("345678.90"), Decimal("15456.78"), Decimal("330222.12"), Decimal("867901.33"))
    assert r["compensated"] == Decimal("1213580.23") and r["next_expiry"] == date(2028, 11, 21)
    p = desk.record(rid)
    assert p["recovered"] == Decimal("345678.90") and p["recovery_costs"] == Decimal("15456.78")
    assert p["compensation_balance"] == Decimal("867901.33")
    assert "执行" in desk.page("gm", "recovery", rec)

    # 核销: the amount defaults to compensated − recovered and may not exceed it
    desk.later(clock, 200)
    docs = desk.upload("legal", "write_off", "documents", "终结执行裁定书.pdf")
    basis = dict(project=str(rid), basis="enforcement_terminated", documents=docs,
                 basis_description="被执行人无可供执行财产，法院裁定终结本次执行程序")
    html = desk.refused("legal", "write_off", amount="867,901.34", **basis)
    assert "核销金额不能超过代偿金额减已回收金额" in html
    wo = desk.new("legal", "write_off", **basis)
    assert desk.get("write_off", wo)["amount"] == Decimal("867901.33")
    desk.start("legal", "write_off", wo, "write_off")
    desk.act_on("legal", "write_off", wo, "submit", _wf_opinion="申请核销")
    desk.act_on("risk", "write_off", wo, "approve", _wf_opinion="符合核销条件")
    desk.act_on("gm", "write_off", wo, "approve", _wf_opinion="同意核销")
    w, p = desk.get("write_off", wo), desk.record(rid)
    assert w["status"] == "approved" and w["approved_on"] == clock.today()
    assert p["status"] == "written_off" and p["written_off"] == Decimal("867901.33")
    assert p["compensation_balance"] == Decimal("0.00") and p["balance"] == Decimal("0.00")
    assert "已核销" in desk.page("gm", "project", rid)


def test_only_a_project_in_force_is_compensated_and_only_a_compensated_one_recovered(desk):
    rid = desk.apply()                                              # still an application
    html = desk.refused("pm_a", "compensation", project=str(rid), reason="测试", principal="1,000.00")
    assert "只能对在保项目代偿" in html
    html = desk.refused("legal", "recovery", project=str(rid), handler=desk.uid("legal"), stage="pre_litigation",
                        **rows("stages", {"stage": "pre_litigation", "entered_on": "2026-03-15"}))
    assert "只能对已代偿的项目追偿" in html
