import random
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import sampledata
from core.checksums import (
    id_number_birth_date, id_number_gender, id_number_problem, phone_problem, uscc_problem,
)
from core.fieldtypes import BUILTIN_TYPES

TODAY = date(2024, 6, 1)

PERSON_TYPES = {
    "name": "text", "gender": "choice", "birth_date": "date", "id_number": "id_number",
    "mobile": "phone", "education": "choice", "marital_status": "choice", "region": "region",
    "address": "text",
}
ENTERPRISE_TYPES = {
    "name": "text", "uscc": "uscc", "company_type": "choice", "legal_rep": "text",
    "legal_rep_id_number": "id_number", "registered_capital": "money", "established_on": "date",
    "industry": "industry", "region": "region", "address": "text", "phone": "phone",
    "employees": "integer", "annual_revenue": "money",
}
BANK_TYPES = {
    "name": "text", "bank": "choice", "region": "region", "uscc": "uscc", "contact": "text",
    "contact_mobile": "phone", "credit_line": "money", "risk_share": "percent",
    "deposit_ratio": "percent", "account_number": "text",
}


def assert_parses_to_itself(record, types):
    assert set(record) == set(types)
    for key, type_name in types.items():
        value = record[key]
        assert value is not None, key
        assert BUILTIN_TYPES[type_name].parse(value, None) == value, key


def test_same_seed_same_data():
    def batch(seed):
        rng = random.Random(seed)
        return ([sampledata.person(rng, TODAY) for _ in range(20)]
                + [sampledata.enterprise(rng, TODAY) for _ in range(20)]
                + [sampledata.bank(rng) for _ in range(5)])
    assert batch(7) == batch(7)
    assert batch(7) != batch(8)


@pytest.mark.parametrize("seed", range(5))
def test_people_are_consistent(seed):
    rng = random.Random(seed)
    for _ in range(200):
        p = sampledata.person(rng, TODAY)
        assert_parses_to_itself(p, PERSON_TYPES)
        assert id_number_problem(p["id_number"], today=TODAY) is None
        assert p["id_number"][:6] == p["region"]
        assert id_number_birth_date(p["id_number"]) == p["birth_date"]
        assert id_number_gender(p["id_number"]) == p["gender"]
        assert 20 <= (TODAY - p["birth_date"]).days / 365.25 <= 65.1
        assert re.fullmatch(r"1[3-9]\d{9}", p["mobile"])
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p["name"])
        assert p["education"] in sampledata.EDUCATION
        assert p["marital_status"] in sampledata.MARITAL_STATUS
        province, city, district = sampledata.REGIONS[p["region"]][:3]
        assert p["address"].startswith(province + city + district)


def test_person_options():
    rng = random.Random(1)
    p = sampledata.person(rng, TODAY, region="330106", gender="female")
    assert p["region"] == "330106" and p["id_number"].startswith("330106")
    assert p["gender"] == "female" and int(p["id_number"][16]) % 2 == 0
    with pytest.raises(ValueError):
        sampledata.person(rng, TODAY, region="999999")


@pytest.mark.parametrize("seed", range(5))
def test_enterprises_are_consistent(seed):
    rng = random.Random(seed)
    for _ in range(200):
        e = sampledata.enterprise(rng, TODAY)
        assert_parses_to_itself(e, ENTERPRISE_TYPES)
        assert uscc_problem(e["uscc"]) is None
        assert e["uscc"][:2] == "91" and e["uscc"][2:8] == e["region"]
        assert id_number_problem(e["legal_rep_id_number"], today=TODAY) is None
        assert e["industry"] in sampledata.INDUSTRIES
        assert e["region"] in sampledata.REGIONS
        city = sampledata.REGIONS[e["region"]][3]
        assert e["name"].startswith(city)
        assert e["name"].endswith("公司")
        assert any(word in e["name"] for word in sampledata.INDUSTRIES[e["industry"]][1])
        assert e["registered_capital"] % 10_000 == 0 and e["registered_capital"] > 0
        assert e["annual_revenue"].as_tuple().exponent == -2 and e["annual_revenue"] > 0
        assert date(1993, 1, 1) <= e["established_on"] < TODAY
        assert 5 <= e["employees"] <= 3000
        assert phone_problem(e["phone"]) is None
        assert e["phone"].startswith(sampledata.REGIONS[e["region"]][4] + "-")


def test_enterprise_example_shape():
    rng = random.Random(3)
    e = sampledata.enterprise(rng, TODAY, region="330106", industry="C34")
    assert e["name"].startswith("杭州")
    assert re.fullmatch(r"杭州[\u4e00-\u9fff]{2}(机械制造|机械|泵阀)(有限公司|有限责任公司|股份有限公司)",
                        e["name"])
    assert e["industry"] == "C34" and e["region"] == "330106"
    assert isinstance(e["registered_capital"], Decimal)


def test_code_lists_look_like_the_standards():
    for code, (province, city, district, short, area) in sampledata.REGIONS.items():
        assert re.fullmatch(r"[1-6]\d{5}", code) and code[4:] != "00"
        assert province.endswith(("省", "市")) and district.endswith("区")
        assert re.fullmatch(r"0\d{2,3}", area)
    for code in sampledata.INDUSTRIES:
        assert re.fullmatch(r"[A-T]\d{2}", code)


@pytest.mark.parametrize("seed", range(3))
def test_banks(seed):
    rng = random.Random(seed)
    for _ in range(50):
        b = sampledata.bank(rng)
        assert_parses_to_itself(b, BANK_TYPES)
        assert b["name"].startswith(sampledata.BANKS[b["bank"]][1]) and b["name"].endswith("支行")
        assert uscc_problem(b["uscc"]) is None
        assert Decimal(0) <= b["risk_share"] <= 30 and Decimal(0) <= b["deposit_ratio"] <= 20
        assert re.fullmatch(r"[1-9]\d{18}", b["account_number"])


def test_generated_values_are_varied():
    rng = random.Random(0)
    people = [sampledata.person(rng, TODAY) for _ in range(300)]
    assert len({p["id_number"] for p in people}) == 300
    assert len({p["name"][0] for p in people}) > 20
    assert {p["gender"] for p in people} == {"male", "female"}
    firms = [sampledata.enterprise(rng, TODAY) for _ in range(300)]
    assert len({f["uscc"] for f in firms}) == 300
    assert len({f["industry"] for f in firms}) > 10


# -- financial statements -------------------------------------------------------------------------

from collections import Counter  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

STATEMENT_TYPES = {
    "period": "date", "period_type": "choice", "audited": "boolean", "auditor": "text",
    "total_assets": "money", "current_assets": "money", "inventory": "money", "accounts_receivable": "money",
    "total_liabilities": "money", "current_liabilities": "money", "net_assets": "money", "revenue": "money",
    "net_profit": "money", "interest_expense": "money", "operating_cash_flow": "money",
}


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 32), today=st.dates(date(2015, 1, 1), date(2035, 12, 31)),
       revenue=st.decimals(Decimal("100000"), Decimal("2000000000"), places=2),
       health=st.sampled_from([None, *sampledata.HEALTH]))
def test_statements_are_consistent(seed, today, revenue, health):
    rows = sampledata.financial_statements(random.Random(seed), today, revenue=revenue, health=health)
    assert [r["period_type"] for r in rows[:3]] == ["year"] * 3 and rows[3]["period_type"] != "year"
    latest = rows[3]["period"]
    assert latest < today and (latest + timedelta(days=1)).day == 1 and (latest.month, latest.day) != (12, 31)
    assert [r["period"] for r in rows[:3]] == [date(latest.year - 3 + i, 12, 31) for i in range(3)]
    assert rows[2]["revenue"] == revenue                      # the last full year is the company's revenue
    for r in rows:
        assert_parses_to_itself({k: v for k, v in r.items() if k != "auditor"},
                                {k: t for k, t in STATEMENT_TYPES.items() if k != "auditor"})
        assert ("auditor" in r) == r["audited"]
        for key in STATEMENT_TYPES:
            if STATEMENT_TYPES[key] == "money" and key in r:
                assert r[key].as_tuple().exponent == -2, key
        assert r["total_assets"] == r["total_liabilities"] + r["net_assets"]
        assert 0 < r["current_assets"] <= r["total_assets"]
        assert 0 <= r["inventory"] + r["accounts_receivable"] <= r["current_assets"]
        assert 0 < r["current_liabilities"] <= r["total_liabilities"] < r["total_assets"]
        assert r["net_assets"] > 0 and r["revenue"] > 0 and r["interest_expense"] >= 0
        if health == "sound":
            assert r["net_profit"] > 0 and r["total_liabilities"] / r["total_assets"] < Decimal("0.65")
        if health == "distressed":                             # losses; debt rising to over 70 %
            assert r["net_profit"] < 0
    if health == "distressed":
        ratios = [r["total_liabilities"] / r["total_assets"] for r in rows]
        assert min(ratios[2:]) > Decimal("0.70") and ratios[0] < ratios[2] + Decimal("0.05")


def test_statements_pass_the_enterprise_table_field_types(standard):
    from metadata.loader import load_packs
    table = load_packs([standard]).entity("enterprise_customer").field("financial_statements")
    columns = {c.name: c.type for c in table.fields}
    rows = sampledata.financial_statements(random.Random(3), TODAY, revenue=Decimal("5000000.00"))
    for r in rows:
        for key, value in r.items():
            assert BUILTIN_TYPES[columns[key]].parse(value, None) == value, key


def test_statements_deterministic_and_a_share_distressed():
    def draw(seed):
        rng = random.Random(seed)
        return [sampledata.financial_statements(rng, TODAY, revenue=Decimal("8000000.00")) for _ in range(400)]
    assert draw(5) == draw(5) and draw(5) != draw(6)
    latest = [rows[2] for rows in draw(5)]
    high_debt = sum(r["total_liabilities"] / r["total_assets"] > Decimal("0.7") for r in latest)
    losses = sum(r["net_profit"] < 0 for r in latest)
    assert 0.08 * 400 < high_debt < 0.3 * 400 and 0.05 * 400 < losses < 0.2 * 400
    growth = Counter((r[2]["revenue"] > r[1]["revenue"]) for r in draw(5))
    assert growth[True] > growth[False]                       # most companies grow
    with pytest.raises(ValueError):
        sampledata.financial_statements(random.Random(1), TODAY, revenue=Decimal(1), health="rich")


CAPS = {"residential": 70, "commercial": 60, "industrial": 50, "land": 60, "equipment": 40, "vehicle": 50,
        "deposit_receipt": 90, "equity": 40, "receivable": 60, "listed_shares": 50, "warehouse_receipt": 50}
KINDS = ("mortgage", "pledge", "surety", "credit")


def _secured(items) -> Decimal:
    total = Decimal(0)
    for c in items:
        if c["kind"] in ("mortgage", "pledge"):
            sub = c.get("collateral_type") or c.get("pledge_type")
            total += (c["appraised_value"] - c["pledged_elsewhere"]) * CAPS[sub] / 100
    return total


@pytest.mark.parametrize("coverage", [0.6, 1.0, 1.5])
def test_counter_guarantees_reach_the_coverage(coverage):
    for seed in range(30):
        items = sampledata.counter_guarantees(random.Random(seed), TODAY, Decimal(2_000_000), provider="某公司",
                                              kinds=KINDS, caps=CAPS, coverage=coverage)
        assert 1 <= len(items) <= 3 and {c["kind"] for c in items} <= set(KINDS)
        assert abs(_secured(items) / 2_000_000 - Decimal(str(coverage))) < Decimal("0.01")
        for c in items:
            if c["kind"] == "surety":
                assert (id_number_problem(c["guarantor_id_number"]) if c["guarantor_type"] == "person"
                        else uscc_problem(c["guarantor_uscc"])) is None
            if c["kind"] == "mortgage":
                assert c["pledged_elsewhere"] < c["appraised_value"] and c["property_cert_no"]


def test_counter_guarantee_coverage_spreads_around_one():
    drawn = [_secured(sampledata.counter_guarantees(random.Random(s), TODAY, Decimal(1_000_000), provider="甲",
                                                    kinds=KINDS, caps=CAPS)) / 1_000_000 for s in range(300)]
    below = sum(c < 1 for c in drawn)
    assert 30 < below < 150 and max(drawn) > Decimal("1.5")
    only_surety = sampledata.counter_guarantees(random.Random(1), TODAY, Decimal(1_000_000), provider="甲",
                                                kinds=("surety",), caps=CAPS)
    assert {c["kind"] for c in only_surety} == {"surety"}
