"""Proof that a product needs no code: the construction performance guarantee (工程履约保函) lives in
the overlay pack seed/construction — its own project fields, a shorter flow and other fee rules —
and runs over HTTP by the demo users from application to in force (and on to release). There is no
Python in that pack; every rule the test meets is its metadata."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.query import Filter, Query, find
from metadata.source import read_pack_dir

from .test_lifecycle_fixtures import Desk
from .test_workflow_screens_fixtures import task_ids, text

PACK = Path(__file__).resolve().parent.parent / "seed" / "construction"
PRODUCT = "construction_performance"


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Desk(engine, clock, tmp_path, standard, read_pack_dir(PACK))


def test_the_pack_holds_no_python():
    assert [p for p in PACK.rglob("*") if p.is_file() and p.suffix not in (".yaml", ".docx")] == []


def application(office, **values) -> dict:
    return {"customer_type": "enterprise", "enterprise": str(office.company), "business_type": "performance",
            "product": PRODUCT, "amount": "800,000", "term_months": "24", "works_name": "滨江区第三小学新建工程",
            "beneficiary": "杭州市滨江区教育局", "works_contract_amount": "10,000,000",
            "pm_a": office.uid("pm_a"), "pm_b": office.uid("pm_b"), "department": "business_1", **values}


def create(office, **values):
    return office.site.as_("pm_a").post("/e/project/new", application(office, **values), htmx=False)


def test_its_fields_are_required_for_it_and_hidden_for_other_products(office):
    resp = create(office, works_name="", beneficiary="")
    assert resp.status_code == 422
    html = text(resp)
    assert html.count("必填") >= 2 or html.count("required") >= 2, html[:3000]
    rid = office.store.create("project", {"customer_type": "enterprise", "enterprise": office.company,
                                          "business_type": "loan", "product": "working_capital_loan",
                                          "bank": office.bank, "amount": 1000000, "term_months": 12,
                                          "works_name": "不属于贷款担保"}).id
    assert office.store.get("project", rid).values.get("works_name") is None   # hidden: cleared on save
    page = text(office.site.as_("pm_a").get(f"/e/project/{rid}"))
    assert "工程名称" not in page


def test_its_limits_and_rules_are_enforced_on_the_server(office):
    resp = create(office, amount="30,000,000", works_contract_amount="200,000,000")
    assert resp.status_code == 422 and "不能大于 20,000,000" in text(resp)
    resp = create(office, amount="4,000,000")       # 40% of the construction contract
    assert resp.status_code == 422 and "30%" in text(resp)


def test_from_application_to_release_with_its_own_flow_and_fees(office, clock):
    resp = create(office)
    assert resp.status_code == 302, text(resp)[:3000]
    rid = int(re.search(r"/e/project/(\d+)$", resp.headers["Location"]).group(1))
    assert office.record(rid)["letter_ratio"] == Decimal("8.00")
    resp = office.site.as_("pm_a").post(f"/flow/start/project/{rid}", {"_wf_workflow": PRODUCT})
    assert resp.status_code == 200 and 'id="flow-step">申请<' in text(resp)
    assert office.instance(rid).workflow == PRODUCT
    office.supply("pm_a", rid, "business_license", "construction_contract")   # needed at 初审
    office.act("pm_a", rid, "submit", _wf_opinion="资料齐全")
    assert office.step(rid) == "first_review"
    office.supply("pm_b", rid, "letter_form")                                   # needed at 总经理审批
    office.act("pm_b", rid, "approve", _wf_opinion="同意", due_diligence="施工资质齐全，履约记录良好")
    assert office.step(rid) == "gm_approval"                      # no risk review, no committee
    office.act("gm", rid, "approve", _wf_opinion="同意出函")
    assert office.step(rid) == "fee"
    schedule = find(office.engine, office.store.meta, Query("fee_schedule", [Filter("project", "eq", rid)], limit=50))
    assert sorted((r.values["rule"], r.values["amount"]) for r in schedule) == [
        ("letter_fee", Decimal("6400.00")), ("review_fee", Decimal("2000.00"))]
    office.act("finance", rid, "submit", fee_receipt="SF-LY-001", fee_amount="8,400")
    assert office.step(rid) == "issue"
    assert re.fullmatch(r"LYBH2026\d{5}", office.record(rid)["letter_no"] or "")
    html = office.act("pm_a", rid, "submit", _wf_opinion="保函已开立", letter_issued_on="2026-03-18")
    assert 'id="flow-state">已通过' in html
    values = office.record(rid)
    assert values["status"] == "in_force" and values["balance"] == Decimal("800000.00")
    assert str(values["maturity_date"]) == "2028-03-18"
    assert task_ids(office.site.as_("pm_a").panel(rid)) == []

    # 解保: the standard release, with this pack's reason — the letter expired without a claim
    office.later(clock, 60)
    proof = office.upload("pm_a", "guarantee_release", "bank_proof", "保函到期证明.pdf")
    rel = office.new("pm_a", "guarantee_release", project=str(rid), reason="letter_expired",
                     released_on="2026-05-20", explanation="工程已竣工验收，保函到期受益人未索赔", bank_proof=proof)
    office.start("pm_a", "guarantee_release", rel, "guarantee_release")
    office.act_on("pm_a", "guarantee_release", rel, "submit", _wf_opinion="保函到期")
    office.act_on("risk", "guarantee_release", rel, "approve", _wf_opinion="同意解保")
    office.act_on("finance", "guarantee_release", rel, "approve", _wf_opinion="无保证金需退还")
    values = office.record(rid)
    assert values["status"] == "released" and values["balance"] == Decimal("0.00")
    assert str(values["closed_on"]) == "2026-05-20"
    assert "保函到期（受益人未索赔）" in office.page("pm_a", "guarantee_release", rel)


@pytest.mark.parametrize("frequency, installments", [
    # 777,777 × 1.3% a year for 7 months = 5,898.14 (5,898.14225, rounded first), split by the months
    # each period covers (5,898.14 × 1/7 = 842.591…, × 3/7 = 2,527.774…), each installment rounded to
    # the cent and the last taking what is left
    ("once", ["5898.14"]),
    ("monthly", ["842.59"] * 6 + ["842.60"]),
    ("quarterly", ["2527.77", "2527.77", "842.60"]),
    ("yearly", ["5898.14"]),
])
def test_every_collection_mode_over_http_to_the_cent(engine, clock, tmp_path, standard, frequency, installments):
    """A company overlay sets the letter fee's rate and frequency; the schedule generated on entering
    收费 is checked to the cent in each mode."""
    from .conftest import pack
    overlay = pack("company", {
        "pack.yaml": "name: company\nversion: 1.0.0\nrequires: [{name: construction, version: '>=1'}]\n"
                     "extends: [{name: construction, version: '>=1'}]\n",
        "products/construction_performance.yaml": "overlay: construction_performance\nchange_fees:\n"
                     f"  letter_fee: {{rate: '1.3%', rate_basis: annual, frequency: {frequency}}}\n"})
    office = Desk(engine, clock, tmp_path, standard, read_pack_dir(PACK), overlay)
    resp = create(office, amount="777,777", term_months="7", works_contract_amount="9,000,000")
    assert resp.status_code == 302, text(resp)[:3000]
    rid = int(re.search(r"/e/project/(\d+)$", resp.headers["Location"]).group(1))
    office.site.as_("pm_a").post(f"/flow/start/project/{rid}", {"_wf_workflow": PRODUCT})
    office.supply("pm_a", rid, "business_license", "construction_contract", "letter_form")
    office.act("pm_a", rid, "submit")
    office.act("pm_b", rid, "approve", due_diligence="资质齐全")
    office.act("gm", rid, "approve")
    assert office.step(rid) == "fee"
    rows = find(office.engine, office.store.meta, Query("fee_schedule", [Filter("project", "eq", rid),
                                                                         Filter("rule", "eq", "letter_fee")],
                                                        sort=["seq"], limit=50))
    assert [str(r.values["amount"]) for r in rows] == installments
    assert sum(r.values["amount"] for r in rows) == Decimal("5898.14")
    dues = [r.values["due_date"] for r in rows]
    assert dues == sorted(dues) and str(dues[0]) == "2026-03-15"
