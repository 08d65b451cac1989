"""Every built-in function of the formula engine, including blanks and argument errors."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, strategies as st

from core.formula import BUILTIN_FUNCTIONS, FormulaError, compile_formula

D = Decimal
day = datetime.date


def ev(text, values=None, **kw):
    return compile_formula(text).evaluate(values or {}, **kw)


def test_if_is_lazy_and_else_is_optional():
    assert ev("IF(x > 0, 10 / x, 0)", {"x": 0}) == 0
    assert ev("IF(x > 0, 10 / x, 0)", {"x": 4}) == D("2.5")
    assert ev("IF(False, 1)") is None


def test_and_or_not_short_circuit():
    assert ev("AND(x > 0, 10 / x > 1)", {"x": 0}) is False
    assert ev("OR(x == 0, 10 / x > 1)", {"x": 0}) is True
    assert ev("NOT(1 > 2)") is True


@pytest.mark.parametrize("text,expected", [
    ("ROUND(2.5)", D("3")), ("ROUND(-2.5)", D("-3")), ("ROUND(2.45, 1)", D("2.5")),
    ("ROUND(1234.5, -2)", D("1200")), ("ROUND(1250, -2)", D("1300")),
    ("ROUNDDOWN(2.59, 1)", D("2.5")), ("ROUNDDOWN(-2.59, 1)", D("-2.5")),
    ("ROUNDUP(2.51, 1)", D("2.6")), ("ROUNDUP(-2.51, 1)", D("-2.6")), ("ROUNDUP(2.0)", D("2")),
    ("ROUND(1/3, 2)", D("0.33")),
])
def test_rounding(text, expected):
    result = ev(text)
    assert result == expected and type(result) is Decimal
    assert str(result) == str(expected)


def test_round_half_up_differs_from_bankers_rounding():
    assert ev("ROUND(0.125, 2)") == D("0.13")  # round() in Python would give 0.12
    assert ev("ROUNDDOWN(0.125, 2)") == D("0.12")


@given(st.decimals(min_value=-10**12, max_value=10**12, places=6, allow_nan=False),
       st.integers(min_value=0, max_value=6))
def test_round_agrees_with_quantize_half_up(x, n):
    expected = x.quantize(D(1).scaleb(-n), rounding=ROUND_HALF_UP)
    assert compile_formula("ROUND(x, n)").evaluate({"x": x, "n": n}) == expected


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False),
       st.integers(min_value=0, max_value=3))
def test_rounddown_never_grows_and_roundup_never_shrinks(x, n):
    down = compile_formula("ROUNDDOWN(x, n)").evaluate({"x": x, "n": n})
    up = compile_formula("ROUNDUP(x, n)").evaluate({"x": x, "n": n})
    assert abs(down) <= abs(x) <= abs(up)
    assert abs(up - down) <= D(1).scaleb(-n)


def test_round_blank_and_bad_digits():
    assert ev("ROUND(x, 2)") is None
    with pytest.raises(FormulaError, match="ROUND: digits must be a whole number"):
        ev("ROUND(1, 1.5)")
    with pytest.raises(FormulaError, match="ROUND: expected a number"):
        ev("ROUND('abc')")


def test_abs():
    assert ev("ABS(-1.5)") == D("1.5")
    assert ev("ABS(x)") is None


def test_sum_avg_count_min_max():
    assert ev("SUM(1, 2.5, x, [3, None])") == D("6.5")
    assert ev("SUM()") == 0 and ev("SUM(x)") == 0
    assert ev("AVG(1, 2)") == D("1.5")
    assert ev("AVG(x, 3)") == 3
    assert ev("AVG(x)") is None
    assert ev("COUNT(1, x, 'a', [1, None, 2])") == 4
    assert ev("MIN(3, x, 1.5)") == D("1.5")
    assert ev("MAX([3, 7], 5)") == 7
    assert ev("MIN(x)") is None and ev("MAX()") is None
    assert ev("MAX(a, b)", {"a": day(2024, 1, 1), "b": day(2025, 1, 1)}) == day(2025, 1, 1)


def test_sum_of_text_is_an_error_naming_the_function():
    with pytest.raises(FormulaError, match="^SUM: expected a number, got text"):
        ev("SUM(1, 'a')")


def test_isblank_and_coalesce():
    assert ev("ISBLANK(x)") is True
    assert ev("ISBLANK('')") is True
    assert ev("ISBLANK(tags)", {"tags": []}) is True
    assert ev("ISBLANK(0)") is False
    assert ev("COALESCE(x, '', y, 'z')", {"y": D(0)}) == D(0)
    assert ev("COALESCE(x, y)") is None
    assert ev("COALESCE(1, 1 / 0)") == 1  # lazy


def test_date_functions():
    d = day(2024, 2, 29)
    assert ev("DATE(2024, 2, 29)") == d
    assert (ev("YEAR(d)", {"d": d}), ev("MONTH(d)", {"d": d}), ev("DAY(d)", {"d": d})) == (2024, 2, 29)
    assert ev("DAYS(DATE(2024, 3, 1), DATE(2024, 2, 1))") == 29
    for fn in ("YEAR(x)", "MONTH(x)", "DAY(x)", "DAYS(x, DATE(2024,1,1))", "EDATE(x, 1)", "DATE(x, 1, 1)"):
        assert ev(fn) is None, fn
    with pytest.raises(FormulaError, match="DATE: no such date"):
        ev("DATE(2023, 2, 29)")
    with pytest.raises(FormulaError, match="YEAR: expected a date"):
        ev("YEAR('2024-01-01')")


@pytest.mark.parametrize("start,months,expected", [
    (day(2024, 1, 31), 1, day(2024, 2, 29)),
    (day(2023, 1, 31), 1, day(2023, 2, 28)),
    (day(2024, 3, 31), -1, day(2024, 2, 29)),
    (day(2024, 8, 31), 1, day(2024, 9, 30)),
    (day(2024, 1, 15), 12, day(2025, 1, 15)),
    (day(2024, 11, 30), 3, day(2025, 2, 28)),
    (day(2024, 1, 15), -13, day(2022, 12, 15)),
])
def test_edate_clamps_to_month_end(start, months, expected):
    assert ev("EDATE(d, m)", {"d": start, "m": months}) == expected


def test_edate_keeps_time_of_datetime():
    assert ev("EDATE(d, 1)", {"d": datetime.datetime(2024, 1, 31, 9, 30)}) == datetime.datetime(2024, 2, 29, 9, 30)


def test_len_concat_contains():
    assert ev("LEN('担保公司')") == 4
    assert ev("LEN(x)") == 0
    assert ev("LEN(tags)", {"tags": ["a", "b"]}) == 2
    assert ev("CONCAT('No.', n, '-', x, '-', 1.50)", {"n": 7}) == "No.7--1.50"
    assert ev("CONCAT(d)", {"d": day(2024, 1, 2)}) == "2024-01-02"
    assert ev("CONTAINS('台州担保', '担保')") is True
    assert ev("CONTAINS(tags, 'b')", {"tags": ["a", "b"]}) is True
    assert ev("CONTAINS(x, 'b')") is False
    with pytest.raises(FormulaError, match="^LEN: expected text or a list"):
        ev("LEN(5)")


@pytest.mark.parametrize("text,fname", [
    ("IF(1)", "IF"), ("ROUND(1, 2, 3)", "ROUND"), ("DATE(2024, 1)", "DATE"), ("NOT()", "NOT"),
    ("TODAY(1)", "TODAY"), ("EDATE(x)", "EDATE"), ("AND()", "AND"),
])
def test_wrong_argument_count_names_the_function(text, fname):
    with pytest.raises(FormulaError, match=rf"^{fname}\(\) takes") as e:
        ev(text)
    assert fname in e.value.zh


def test_every_builtin_has_a_spec():
    for name, fn in BUILTIN_FUNCTIONS.items():
        assert fn.formula_spec.name == name
        assert name == name.upper()
