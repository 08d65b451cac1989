"""The scoring engine on the standard scorecards, checked against results worked out by hand
(including a cap and a veto), band edges, blanks, division by zero and failing rules."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
import yaml

from core.compute import functions_for
from core.scoring import score
from metadata.loader import load_packs
from metadata.scorecard import build

TODAY = date(2026, 3, 15)


@pytest.fixture(scope="module")
def meta(standard):
    return load_packs([standard])


@pytest.fixture(scope="module")
def cards(meta):
    return meta.kinds["scorecards"]


def statement(period, period_type="year", **money):
    return {"period": date.fromisoformat(period), "period_type": period_type,
            **{k: None if v is None else D(v) for k, v in money.items()}}


# The enterprise of the hand calculation: FY2025 against FY2024, plus a later monthly statement
# that is not annual and must be ignored.
FY2025 = dict(total_assets="10000000", total_liabilities="5500000", current_assets="4000000",
              current_liabilities="2500000", inventory="1000000", net_assets="4500000", net_profit="540000",
              revenue="9000000", interest_expense="200000")
STATEMENTS = [statement("2024-12-31", revenue="8000000", total_assets="9000000", total_liabilities="5000000"),
              statement("2025-12-31", **FY2025),
              statement("2026-02-28", "month", total_assets="1", total_liabilities="100", revenue="1")]
COMPANY = {"name": "杭州云杉机械有限公司", "established_on": date(2018, 3, 15), "financial_statements": STATEMENTS}
ANSWERS = {"industry_outlook": "stable", "management": "good", "credit_record": "clean", "collateral": "real_estate"}


def enterprise(cards, statements=STATEMENTS, answers=ANSWERS, **customer):
    return score(cards["enterprise_standard"], {**COMPANY, **customer}, statements, answers, today=TODAY)


def test_enterprise_by_hand(cards):
    r = enterprise(cards)
    expected = {
        # indicator: (value, band, points, weighted = points × weight / 100)
        "debt_ratio": (D("55.00"), "[50, 60)", 75, D("11.25")),      # 5.5m / 10m × 100; weight 15
        "current_ratio": (D("1.60"), "[1.5, 2)", 80, D("8")),          # 4m / 2.5m; weight 10
        "quick_ratio": (D("1.20"), "[1, +∞)", 100, D("5")),            # (4m − 1m) / 2.5m; weight 5
        "roe": (D("12.00"), "[10, 15)", 85, D("8.5")),                 # 0.54m / 4.5m × 100; weight 10
        "revenue_growth": (D("12.50"), "[10, 20)", 85, D("8.5")),      # (9m − 8m) / 8m × 100; weight 10
        "interest_cover": (D("3.70"), "[2, 4)", 70, D("7")),           # (0.54m + 0.2m) / 0.2m; weight 10
        "industry_outlook": ("stable", "stable", 70, D("5.6")),        # weight 8
        "operating_years": (D("8.0"), "[5, 10)", 85, D("5.1")),        # 2922 days / 365 = 8.005 → 8.0; weight 6
        "management": ("good", "good", 80, D("6.4")),                  # weight 8
        "credit_record": ("clean", "clean", 100, D("10")),             # weight 10
        "collateral": ("real_estate", "real_estate", 100, D("8")),     # weight 8
    }
    got = {i.name: (i.value, i.band, i.points, i.weighted) for i in r.indicators}
    assert got == expected
    assert all(not i.flags for i in r.indicators)
    # financial 11.25 + 8 + 5 + 8.5 + 8.5 + 7 = 48.25; non-financial 5.6 + 5.1 + 6.4 + 10 + 8 = 35.1
    assert r.total == D("83.35")
    assert (r.points_grade, r.grade, r.caps, r.vetoes) == ("AA", "AA", (), ())      # AA: 80 ≤ 83.35 < 90
    # the inputs: the fields the formulas read, the two annual statements used (previous, latest), answers, date
    assert r.inputs["customer"] == {"established_on": date(2018, 3, 15)}
    assert r.inputs["statements"] == STATEMENTS[:2]
    assert r.inputs["answers"] == ANSWERS and r.inputs["today"] == TODAY


def test_enterprise_cap_by_hand(cards):
    # liabilities 9.2m of 10m assets: debt ratio 92.00 → band (90, +∞) → 0 points instead of 75 × 15%
    rows = [STATEMENTS[0], statement("2025-12-31", **{**FY2025, "total_liabilities": "9200000"})]
    r = enterprise(cards, rows)
    assert r.indicator("debt_ratio").band == "(90, +∞)" and r.indicator("debt_ratio").points == 0
    assert r.total == D("72.10")                    # 83.35 − 11.25
    assert r.points_grade == "A"                    # 70 ≤ 72.10 < 80
    assert r.caps == ("high_debt",) and r.grade == "B"       # debt ratio above 90: at most B


def test_a_cap_never_raises_a_grade(cards):
    rows = [STATEMENTS[0], statement("2025-12-31", **{**FY2025, "total_liabilities": "9200000"})]
    r = enterprise(cards, rows, {**ANSWERS, "management": "poor", "collateral": "credit_only",
                                 "industry_outlook": "eliminated"})
    # 72.10 − 6.4 + 1.6 (poor: 20 × 8%) − 8 + 2.4 (unsecured: 30 × 8%) − 5.6 (eliminated: 0) = 56.10 → BB
    assert r.total == D("56.10") and r.points_grade == "BB"
    assert r.caps == ("high_debt",) and r.grade == "B"
    r = enterprise(cards, answers={**ANSWERS, "credit_record": "settled_overdue", "management": "poor",
                                   "collateral": "credit_only", "industry_outlook": "eliminated"})
    # 83.35 − 4 (60 instead of 100, × 10%) − 4.8 − 5.6 − 5.6 = 63.35 → BBB; no cap holds
    assert (r.total, r.grade, r.caps) == (D("63.35"), "BBB", ())


def test_enterprise_veto_by_hand(cards):
    r = enterprise(cards, answers={**ANSWERS, "credit_record": "bad"})
    assert r.indicator("credit_record").points == 0
    assert r.total == D("73.35") and r.points_grade == "A"        # 83.35 − 10
    assert r.vetoes == ("bad_credit",) and r.grade == "D"         # regardless of the points


def test_individual_by_hand(cards):
    person = {"household_income": D("400000"), "total_asset_value": D("1400000"), "years_employed": 4,
              "residence_years": 5, "credit_records": [
                  {"query_date": date(2026, 1, 10), "total_debt": D("600000"), "worst_status": "special_mention"},
                  {"query_date": date(2025, 6, 1), "total_debt": D("1000000"), "worst_status": "normal"}]}
    card = cards["individual_standard"]

    def run(status="special_mention", character="average"):
        rows = [{**person["credit_records"][0], "worst_status": status}, person["credit_records"][1]]
        return score(card, person, rows, {"character": character}, today=TODAY)

    r = run()
    expected = {
        "debt_to_income": (D("150.00"), "[100, 200)", 60, D("15")),   # latest report (2026-01-10): 0.6m / 0.4m × 100; 25
        "assets": (D("1400000"), "[1000000, 3000000)", 75, D("15")),  # weight 20
        "job_stability": (D("4"), "[3, 5)", 80, D("12")),              # weight 15
        "credit": ("special_mention", "special_mention", 50, D("10")),  # the latest report's worst status; 20
        "residence": (D("5"), "[5, +∞)", 100, D("5")),                  # 5 is in [5, +∞), not [2, 5); weight 5
        "character": ("average", "average", 60, D("9")),                # weight 15
    }
    assert {i.name: (i.value, i.band, i.points, i.weighted) for i in r.indicators} == expected
    assert (r.total, r.grade) == (D("66"), "BBB")                       # 15 + 15 + 12 + 10 + 5 + 9
    capped = run("substandard")                                          # credit 10 × 20% = 2: 66 − 8 = 58 → BB
    assert (capped.total, capped.points_grade, capped.caps, capped.grade) == (D("58"), "BB", ("substandard_credit",), "B")
    vetoed = run("loss")                                                 # 0 points: 56 → BB, vetoed to D
    assert (vetoed.total, vetoed.points_grade, vetoed.vetoes, vetoed.grade) == (D("56"), "BB", ("doubtful_credit",), "D")


@pytest.mark.parametrize("liabilities, band, points", [
    ("3990000", "(-∞, 40)", 100),      # 39.90
    ("3999999", "[40, 50)", 90),       # 39.99999 rounds to 40.00 in the formula: the rounded value is banded
    ("4000000", "[40, 50)", 90),       # 40 is in [40, 50): min is inclusive
    ("8000000", "[80, 90]", 20),       # max is inclusive: 80 and 90 are both in [80, 90]
    ("9000000", "[80, 90]", 20),
    ("9001000", "(90, +∞)", 0),        # 90.01: above is exclusive
])
def test_band_edges(cards, liabilities, band, points):
    rows = [statement("2025-12-31", **{**FY2025, "total_liabilities": liabilities})]
    ind = enterprise(cards, rows).indicator("debt_ratio")
    assert (ind.band, ind.points) == (band, points)


def test_blank_inputs_score_zero_and_are_flagged(cards):
    r = enterprise(cards, statements=[], answers={"management": "good"})
    # no annual statement: every financial indicator is blank, scores 0 and says why
    for name in ("debt_ratio", "current_ratio", "quick_ratio", "roe", "revenue_growth", "interest_cover"):
        ind = r.indicator(name)
        assert (ind.value, ind.points, ind.flags) == (None, 0, ("no_statement",))
    assert r.indicator("collateral").flags == ("blank",)                   # the reviewer did not answer
    assert r.total == D("11.5")                                            # 5.1 operating years + 6.4 management
    assert r.inputs["statements"] == [] and r.inputs["answers"] == {"management": "good"}
    # only one annual statement: growth has no previous year → blank, the others score
    one = enterprise(cards, statements=[STATEMENTS[1]])
    assert one.indicator("revenue_growth").flags == ("blank",) and one.indicator("roe").points == 85
    # a blank field of the latest statement
    no_inventory = enterprise(cards, statements=[statement("2025-12-31", **{**FY2025, "current_assets": None})])
    assert no_inventory.indicator("current_ratio").flags == ("blank",)


def test_division_by_zero_is_blank_with_a_flag(cards):
    r = enterprise(cards, statements=[statement("2025-12-31", **{**FY2025, "current_liabilities": "0"})])
    for name in ("current_ratio", "quick_ratio"):
        ind = r.indicator(name)
        assert (ind.value, ind.points, ind.flags) == (None, 0, ("division_by_zero",))
        assert "division by zero" in ind.note
    assert r.indicator("debt_ratio").points == 75                          # the others still score
    # points 0 for the current ratio: the weak-liquidity cap (points below 40 → at most BBB) holds
    assert r.caps == ("weak_liquidity",)
    person = score(cards["individual_standard"], {"household_income": D(0)},
                   [{"query_date": date(2026, 1, 1), "total_debt": D(1)}], {}, today=TODAY)
    assert person.indicator("debt_to_income").flags == ("division_by_zero",)


CARD = """
name: t
applies_to: {entity: individual_customer}
groups:
  - name: g
    indicators:
      - {name: years, weight: 40, bands: [{below: 2, points: 10}, {min: 2, max: 5, points: 50}, {above: 5, below: 10, points: 90}]}
      - {name: computed, weight: 30, formula: 'COALESCE(kind, 1 / 0)', options: [{value: a, points: 100}]}
      - {name: choice, weight: 30, options: [{value: x, points: 100}, {value: y, points: 50}]}
grades: [{grade: A, min: 50}, {grade: B, min: 0}, {grade: D}]
caps: [{name: broken, when: 'total / 0 > 1', grade: B}, {name: low, when: 'points.years < 50', grade: B}]
vetoes: [{name: vetoed, when: 'choice == "y"', grade: D}]
"""


def test_bad_data_never_raises():
    card = build(yaml.safe_load(CARD))
    r = score(card, {"kind": "zzz"}, None, {"years": "abc", "choice": "nope"}, today=TODAY)
    assert r.indicator("years").flags == ("not_a_number",)
    assert r.indicator("computed").flags == ("unknown_option",) and r.indicator("computed").value == "zzz"
    assert r.indicator("choice").flags == ("unknown_option",)
    assert r.total == 0 and r.grade == "B"
    assert r.caps == ("low",) and r.problems == ("broken: total / 0 > 1: division by zero",)   # skipped, reported
    r = score(card, {}, None, {"years": 12, "choice": "x"}, today=TODAY)
    assert r.indicator("years").flags == ("no_band",)                      # above the last band
    assert r.indicator("computed").flags == ("division_by_zero",)
    r = score(card, {"kind": "a"}, None, {"years": "5", "choice": "y"}, today=TODAY)
    # 50 × 40% + 100 × 30% + 50 × 30% = 65 → A, but the veto gives D
    assert (r.total, r.points_grade, r.vetoes, r.grade) == (D("65"), "A", ("vetoed",), "D")


def test_statements_where_and_ties(cards, meta):
    card = cards["enterprise_standard"]
    functions = functions_for(meta)
    same_period = [statement("2025-12-31", **FY2025), statement("2025-12-31", **{**FY2025, "net_profit": "0"}),
                   {"period": None, "period_type": "year", "total_assets": D(1)}]
    r = score(card, COMPANY, same_period, ANSWERS, today=TODAY, functions=functions)
    assert r.indicator("roe").value == D("0.00")        # equal periods: the later row is the latest; blank periods skipped
    assert r.inputs["statements"] == same_period[:2]
