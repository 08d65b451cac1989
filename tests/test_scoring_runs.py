"""Scoring runs through the Store on SQLite and PostgreSQL: a run keeps every input and score,
reproduces after the scorecard and the customer change, and refuses what it must."""
from __future__ import annotations

import json
import random
from decimal import Decimal as D

import pytest

from core import metastore, sampledata
from core.errors import PermissionDenied, ValidationError
from core.scoring_runs import reproduce, run
from core.store import SYSTEM, Actor, Store
from metadata.source import read_pack_dir

from .conftest import PACKS

PM = Actor("li", {"pm"})
ANSWERS = {"industry_outlook": "stable", "management": "good", "credit_record": "clean", "collateral": "real_estate"}
# the statements of the hand calculation in tests/test_scoring.py: total 83.35, grade AA
STATEMENTS = [
    {"period": "2024-12-31", "period_type": "year", "total_assets": "9000000", "total_liabilities": "5000000",
     "revenue": "8000000"},
    {"period": "2025-12-31", "period_type": "year", "total_assets": "10000000", "total_liabilities": "5500000",
     "current_assets": "4000000", "current_liabilities": "2500000", "inventory": "1000000",
     "net_assets": "4500000", "net_profit": "540000", "revenue": "9000000", "interest_expense": "200000"},
]


def install(engine, clock, *packs) -> Store:
    inst = metastore.install(engine, list(packs), clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


@pytest.fixture
def store(engine, clock, standard):
    return install(engine, clock, standard)


def company(store, clock):
    values = sampledata.enterprise(random.Random(11), clock.today())
    values.pop("legal_rep_id_number", None)
    return store.create("enterprise_customer", {**values, "established_on": "2018-03-15",
                                                "financial_statements": STATEMENTS})


def test_a_run_is_stored_with_every_input_and_score(store, clock):
    customer = company(store, clock)
    rec = run(store, "enterprise_standard", "enterprise_customer", customer.id, ANSWERS, PM)
    v = store.get("score_run", rec.id).values
    assert v["number"] == "PF202600001"
    assert (v["customer_type"], v["enterprise"], v["customer_name"]) == ("enterprise", customer.id, customer["name"])
    assert (v["scorecard"], v["scorecard_label"]) == ("enterprise_standard", "企业客户信用评分卡")
    assert v["card_digest"] == store.meta.kinds["scorecards"]["enterprise_standard"].digest
    assert v["metadata_version"] == store.meta_version
    assert (v["total"], v["points_grade"], v["grade"], v["caps_applied"], v["vetoes_applied"]) == \
        (D("83.35"), "AA", "AA", None, None)
    rows = {r["indicator"]: r for r in v["indicators"]}
    assert len(rows) == 11
    assert (rows["debt_ratio"]["value"], rows["debt_ratio"]["band"], rows["debt_ratio"]["points"],
            rows["debt_ratio"]["weight"], rows["debt_ratio"]["weighted"]) == ("55.00", "[50, 60)", 75, 15, D("11.25"))
    assert (rows["management"]["label"], rows["management"]["value"], rows["management"]["points"]) == \
        ("管理层素质", "good", 80)
    assert (v["scored_by"], v["scored_at"], rec.created_by) == ("li", clock.now(), "li")
    inputs = json.loads(v["inputs"])
    assert inputs["answers"] == ANSWERS and inputs["today"] == {"$date": "2026-03-15"}
    assert [s["period"] for s in inputs["statements"]] == [{"$date": "2024-12-31"}, {"$date": "2025-12-31"}]
    assert inputs["statements"][1]["total_liabilities"] == {"$decimal": "5500000.00"}
    assert json.loads(v["definition"])["name"] == "enterprise_standard"
    assert [h["action"] for h in store.history("score_run", rec.id)] == ["create"]


def test_an_old_run_reproduces_after_the_scorecard_and_the_customer_change(engine, clock, store, standard):
    customer = company(store, clock)
    old = run(store, "enterprise_standard", "enterprise_customer", customer.id, ANSWERS, PM)
    # the company changes its scorecard (other weights, bands and grades) …
    company_store = install(engine, clock, standard, read_pack_dir(PACKS / "scorecard_overlay"))
    # … and the customer's statements are corrected
    rows = [dict(r) for r in company_store.get("enterprise_customer", customer.id)["financial_statements"]]
    rows[1]["total_liabilities"] = D("6500000")
    customer = company_store.update("enterprise_customer", customer.id, {"financial_statements": rows},
                                    version=customer.version)
    new = run(company_store, "enterprise_standard", "enterprise_customer", customer.id, ANSWERS, PM)
    # debt ratio 65.00 → [50, 70) → 60 × 25 = 15 (was 75 × 15 = 11.25); revenue growth removed (−8.5):
    # 83.35 − 11.25 + 15 − 8.5 = 78.6 → A under the company's grades (AA needs 85)
    assert (new["total"], new["grade"]) == (D("78.6"), "A")
    assert new["card_digest"] != old["card_digest"]
    check = reproduce(company_store, old.id)
    assert check.matches and check.differences == ()
    assert (check.result.total, check.result.grade) == (D("83.35"), "AA")
    assert check.result.indicator("debt_ratio").value == D("55.00")          # the statements as they were
    assert check.result.indicator("revenue_growth").weighted == D("8.5")     # the indicator the overlay removed
    assert reproduce(company_store, new.id).matches


def test_reproduce_finds_a_stored_result_that_does_not_follow(store, clock):
    rec = run(store, "enterprise_standard", "enterprise_customer", company(store, clock).id, ANSWERS, PM)
    rows = [dict(r) for r in rec["indicators"]]
    rows[0]["points"] = D("100")
    store.update("score_run", rec.id, {"total": "90", "indicators": rows}, version=rec.version, actor=SYSTEM)
    check = reproduce(store, rec.id)
    assert not check.matches
    assert "total: stored Decimal('90.000000'), now Decimal('83.35')" in check.differences
    assert any(d.startswith("debt_ratio.points: stored") for d in check.differences)


def test_an_individual_vetoed_by_a_loss_in_the_credit_report(store, clock):
    person = sampledata.person(random.Random(5), clock.today())
    customer = store.create("individual_customer", {
        **person, "annual_income": "300000", "years_employed": 4, "residence_years": 5,
        "family_members": [{"name": "王芳", "relation": "spouse", "income": "100000"}],
        "assets": [{"kind": "house", "value": "1200000"}, {"kind": "vehicle", "value": "200000"}],
        "credit_records": [{"query_date": "2026-01-10", "total_debt": "600000", "worst_status": "loss"}]})
    rec = run(store, "individual_standard", "individual_customer", customer.id, {"character": "average"}, PM)
    # 15 + 15 + 12 + 0 (loss) + 5 + 9 = 56 → BB by points; the veto gives D
    assert (rec["total"], rec["points_grade"], rec["grade"]) == (D("56"), "BB", "D")
    assert rec["vetoes_applied"].startswith("doubtful_credit 征信有可疑、损失类记录，一票否决（→ D）")
    assert (rec["customer_type"], rec["individual"]) == ("individual", customer.id)
    assert reproduce(store, rec.id).matches


def test_blanks_and_division_by_zero_are_stored_with_their_flags(store, clock):
    values = sampledata.enterprise(random.Random(11), clock.today())
    values.pop("legal_rep_id_number", None)
    customer = store.create("enterprise_customer", {**values, "financial_statements": [
        {**STATEMENTS[1], "current_liabilities": "0"}]})
    rec = run(store, "enterprise_standard", "enterprise_customer", customer.id, {}, PM)
    rows = {r["indicator"]: r for r in rec["indicators"]}
    assert rows["current_ratio"]["flags"] == ["division_by_zero"] and rows["current_ratio"]["value"] is None
    assert "division by zero" in rows["current_ratio"]["note"]
    assert rows["revenue_growth"]["flags"] == ["blank"]                    # no previous annual statement
    assert rows["management"]["flags"] == ["blank"]                        # not answered
    assert reproduce(store, rec.id).matches


def test_run_refuses_what_it_must(store, clock):
    customer = company(store, clock)
    with pytest.raises(ValidationError) as e:
        run(store, "enterprise_standard", "enterprise_customer", customer.id, {"management": "superb"}, PM)
    assert "'superb' is not an option of 'management'" in e.value.errors["management"][0]["en"]
    with pytest.raises(ValidationError) as e:
        run(store, "enterprise_standard", "enterprise_customer", customer.id, {"debt_ratio": "10"}, PM)
    assert list(e.value.errors) == ["debt_ratio"]                          # computed, not answered
    with pytest.raises(ValidationError) as e:
        run(store, "individual_standard", "enterprise_customer", customer.id, {}, PM)
    assert list(e.value.errors) == ["scorecard"]
    with pytest.raises(ValidationError):
        run(store, "nosuch", "enterprise_customer", customer.id, {}, PM)
    with pytest.raises(PermissionDenied):
        run(store, "enterprise_standard", "enterprise_customer", customer.id, {}, Actor("fin", {"finance"}))
    rec = run(store, "enterprise_standard", "enterprise_customer", customer.id, {}, PM)
    with pytest.raises(PermissionDenied):                                  # runs are never edited by people
        store.update("score_run", rec.id, {"grade": "AAA"}, version=rec.version, actor=Actor("admin", {"admin"}))
