"""Fee schedules (core/fees.py): hand-worked examples for every frequency and rate basis, checked to
the cent, and properties over generated rules (sums exact, counts, dates monotonic, month ends)."""
from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from core.fees import Installment, schedule, total
from metadata.product import FeeRule, rate_of

D = Decimal


def rule(frequency="once", rate=None, rate_basis=None, amount=None) -> FeeRule:
    return FeeRule(name="fee", kind="guarantee_fee", label={"zh": "费"}, frequency=frequency,
                   rate=rate_of(rate) if rate is not None else None, rate_basis=rate_basis,
                   amount=D(amount) if amount is not None else None)


def amounts(items):
    return [i.amount for i in items]


def test_rates_are_fractions():
    assert rate_of("1.5%") == D("0.015") and rate_of(" 10 % ") == D("0.1") and rate_of(0.002) == D("0.002")


# -- once ---------------------------------------------------------------------------------------

def test_once_flat_rate_is_a_share_of_the_base():
    # 评审费 0.2% of 3,000,000 = 6,000.00, due on the start date whatever the term
    assert schedule(rule("once", "0.2%", "flat"), D("3000000"), date(2026, 3, 15), 12) == [
        Installment(1, date(2026, 3, 15), D("6000.00"))]


def test_once_annual_rate_is_pro_rated_by_the_term():
    # 1.5% a year of 1,000,000 for 18 months = 1,000,000 × 0.015 × 18 / 12 = 22,500.00
    assert schedule(rule("once", "1.5%", "annual"), D("1000000"), date(2026, 3, 15), 18) == [
        Installment(1, date(2026, 3, 15), D("22500.00"))]


def test_once_fixed_sum_ignores_the_base():
    assert schedule(rule("once", amount="5000"), D("123456.78"), date(2026, 1, 1), 7) == [
        Installment(1, date(2026, 1, 1), D("5000.00"))]


def test_total_rounds_half_up_to_the_cent():
    # 0.2% of 1,234.25 = 2.4685 -> 2.47 (half up); 1.5%/yr of 333.33 for 1 month = 0.4166625 -> 0.42
    assert total(rule("once", "0.2%", "flat"), D("1234.25"), 1) == D("2.47")
    assert total(rule("once", "1.5%", "annual"), D("333.33"), 1) == D("0.42")
    assert total(rule("once", "10%", "flat"), D("0.05"), 1) == D("0.01")      # 0.005 -> 0.01


# -- monthly -----------------------------------------------------------------------------------

def test_monthly_equal_installments():
    # 1.2%/yr of 1,000,000 for 12 months = 12,000.00: twelve of 1,000.00
    items = schedule(rule("monthly", "1.2%", "annual"), D("1000000"), date(2026, 3, 15), 12)
    assert amounts(items) == [D("1000.00")] * 12
    assert [i.due for i in items[:3]] == [date(2026, 3, 15), date(2026, 4, 15), date(2026, 5, 15)]
    assert items[-1] == Installment(12, date(2027, 2, 15), D("1000.00"))


def test_monthly_the_last_installment_absorbs_rounding():
    # 1,000.00 flat over 3 months: 333.333… -> 333.33, 333.33, and 333.34 to make 1,000.00
    items = schedule(rule("monthly", amount="1000"), D(0), date(2026, 1, 10), 3)
    assert amounts(items) == [D("333.33"), D("333.33"), D("333.34")]
    # 2%/yr of 100,000 for 7 months = 1,166.666… -> 1,166.67; 1,166.67 / 7 = 166.667… -> 166.67 × 6 = 1,000.02,
    # the last is 1,166.67 − 1,000.02 = 166.65
    items = schedule(rule("monthly", "2%", "annual"), D("100000"), date(2026, 1, 10), 7)
    assert amounts(items) == [D("166.67")] * 6 + [D("166.65")]
    assert sum(amounts(items)) == D("1166.67")


def test_monthly_due_dates_are_end_of_month_safe():
    items = schedule(rule("monthly", amount="120"), D(0), date(2024, 1, 31), 4)
    # from Jan 31 each time, not chained: Feb 29 (leap year), then Mar 31 again, Apr 30
    assert [i.due for i in items] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]
    assert schedule(rule("monthly", amount="2"), D(0), date(2025, 1, 31), 2)[1].due == date(2025, 2, 28)


# -- quarterly ---------------------------------------------------------------------------------

def test_quarterly_with_a_short_last_quarter():
    # 1%/yr of 2,000,000 for 10 months = 16,666.666… -> 16,666.67; quarters cover 3, 3, 3 and 1 months:
    # 16,666.67 × 3/10 = 5,000.001 -> 5,000.00 (three times), the last 16,666.67 − 15,000.00 = 1,666.67
    items = schedule(rule("quarterly", "1%", "annual"), D("2000000"), date(2026, 3, 15), 10)
    assert items == [Installment(1, date(2026, 3, 15), D("5000.00")), Installment(2, date(2026, 6, 15), D("5000.00")),
                     Installment(3, date(2026, 9, 15), D("5000.00")), Installment(4, date(2026, 12, 15), D("1666.67"))]


def test_quarterly_flat_rate_spread_over_the_term():
    # 3% flat of 500,000 = 15,000.00 over 12 months: four quarters of 3,750.00, due from Nov 30 (Feb 28 next)
    items = schedule(rule("quarterly", "3%", "flat"), D("500000"), date(2025, 11, 30), 12)
    assert amounts(items) == [D("3750.00")] * 4
    assert [i.due for i in items] == [date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 30), date(2026, 8, 30)]


# -- yearly ------------------------------------------------------------------------------------

def test_yearly_pro_rates_a_short_last_year():
    # 1.5%/yr of 1,000,000 for 18 months = 22,500.00: the first year 15,000.00, the last six months 7,500.00
    items = schedule(rule("yearly", "1.5%", "annual"), D("1000000"), date(2026, 3, 15), 18)
    assert items == [Installment(1, date(2026, 3, 15), D("15000.00")), Installment(2, date(2027, 3, 15), D("7500.00"))]


def test_yearly_rounding_and_leap_day():
    # 1.3%/yr of 777,777.77 for 25 months = 10,111.11101 × 25 / 12 = 21,064.8146… -> 21,064.81;
    # years cover 12, 12, 1 months: 21,064.81 × 12/25 = 10,111.1088 -> 10,111.11 twice, the last
    # 21,064.81 − 20,222.22 = 842.59
    items = schedule(rule("yearly", "1.3%", "annual"), D("777777.77"), date(2024, 2, 29), 25)
    assert amounts(items) == [D("10111.11"), D("10111.11"), D("842.59")]
    assert [i.due for i in items] == [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28)]


def test_a_customer_deposit_is_a_percentage_of_the_amount():
    assert amounts(schedule(rule("once", "10%", "flat"), D("3000000"), date(2026, 3, 15), 12)) == [D("300000.00")]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        schedule(rule("monthly", amount="100"), D(0), date(2026, 1, 1), 0)
    with pytest.raises(ValueError):
        schedule(rule("once", "1%", "flat"), D("-1"), date(2026, 1, 1), 1)


# -- properties ----------------------------------------------------------------------------------

STEP = {"once": None, "monthly": 1, "quarterly": 3, "yearly": 12}
rates = st.decimals(min_value=D("0.0001"), max_value=D("0.2"), places=4)
rules = st.one_of(
    st.builds(lambda f, r, b: rule(f, r, b), st.sampled_from(list(STEP)), rates, st.sampled_from(["annual", "flat"])),
    st.builds(lambda f, a: rule(f, amount=a), st.sampled_from(list(STEP)),
              st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)))


@settings(max_examples=300, deadline=None)
@given(rules, st.decimals(min_value=D(0), max_value=D("100000000"), places=2),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=1, max_value=120))
def test_installments_add_up_to_the_total_exactly(fee, base, start, months):
    items = schedule(fee, base, start, months)
    assert sum(amounts(items)) == total(fee, base, months)
    assert all(i.amount == i.amount.quantize(D("0.01")) for i in items)
    step = STEP[fee.frequency]
    assert len(items) == (1 if step is None else -(-months // step))
    assert [i.seq for i in items] == list(range(1, len(items) + 1))
    assert items[0].due == start
    assert all(a.due < b.due for a, b in zip(items, items[1:]))
    for i in items:      # by calendar month from the start, clamped to the month's end
        months_after = (i.due.year - start.year) * 12 + i.due.month - start.month
        assert months_after == (i.seq - 1) * (step or 0)
        month_end = calendar.monthrange(i.due.year, i.due.month)[1]
        assert i.due.day == min(start.day, month_end)
    # no installment is off by more than a cent per installment from its exact share (the last absorbs)
    exact = total(fee, base, months)
    for i in items[:-1]:
        covered = months if step is None else min(step, months - (i.seq - 1) * step)
        assert abs(i.amount - exact * covered / months) <= D("0.005")
