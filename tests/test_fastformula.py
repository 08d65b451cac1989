"""core.fastformula (formulas compiled to closures, for bulk generation and the warning scan) must
never give a value the formula engine would not: for every formula of a corpus covering each kind
of node and every built-in, over generated values of every kind (blank, numbers, text, dates,
booleans, lists, records), the closure either gives exactly the engine's value or raises (its
callers then ask the engine, which gives the value or the error)."""
from __future__ import annotations

import datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from core.fastformula import compile_fast
from core.formula import BUILTIN_FUNCTIONS, compile_formula

TODAY = datetime.date(2026, 3, 15)
LINKED = {7: {"name": "华星", "limit": Decimal("5000000"), "since": datetime.date(2020, 1, 1)}}

CORPUS = [
    "a", "a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** 2", "-a", "+a", "not a",
    "a == b", "a != b", "a < b", "a <= b", "a > b", "a >= b", "0 < a <= 10", "a < b < c",
    "a and b", "a or b", "a and b or c", "not (a or b)", "a in [1, 2, 3]", "a not in ['x', 'y']",
    "a in rows.n", "'甲' in t", "1.5 + a", "a * 0.1", "a + 1_000", "d + 3", "d - e", "d - 2",
    "true and a", "None == a", "rows.n", "SUM(rows.n)", "COUNT(rows)", "parent.name", "cust.name",
    "cust.limit - a", "cust.since < d", "IF(a, b, c)", "IF(a > b, 1)", "AND(a, b, c)", "OR(a, b)",
    "NOT(a)", "ISBLANK(a)", "COALESCE(a, b, c)", "ROUND(a, 2)", "ROUND(a)", "ROUNDUP(a, 1)",
    "ROUNDDOWN(a, -1)", "ABS(a)", "SUM(a, b, c)", "AVG(a, b)", "COUNT(a, b, c)", "MIN(a, b)",
    "MAX(a, b, c)", "TODAY()", "TODAY() - d", "DATE(2024, 2, a)", "YEAR(d)", "MONTH(d)", "DAY(d)",
    "DAYS(d, e)", "EDATE(d, a)", "LEN(t)", "CONCAT(t, a, d, b)", "CONTAINS(t, '星')",
    "CONTAINS(rows.n, a)", "LATEST(rows, 'n', 'v')", "LATEST(rows, 'n', 'v', 2)",
    "IF(ISBLANK(a), 0, a / b)", "ROUND(a / b * 100, 2)", "COALESCE(cust.limit, 0) >= a",
    # constant parts, computed when compiled
    "1 + 2 * 3", "not true", "a > 100 * 0.7", "ISBLANK(None) and a", "DAYS(DATE(2026, 3, 1), DATE(2025, 3, 1))",
    "a or 1 < 2 < 3", "1 / 0", "a + ROUND(10 / 3, 2)", "a and b and c", "a or b or c", "-(2 - 5)",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 40),
    st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False),
    st.sampled_from(["", "华星", "甲乙", "x"]),
    st.dates(min_value=datetime.date(2019, 1, 1), max_value=datetime.date(2030, 12, 31)),
)
rows = st.lists(st.fixed_dictionaries({"n": st.one_of(st.none(), st.integers(0, 9)),
                                       "v": st.one_of(st.none(), st.decimals(0, 1000, places=2))}), max_size=4)
envs = st.fixed_dictionaries({
    "a": scalars, "b": scalars, "c": scalars, "t": scalars, "d": scalars, "e": scalars, "rows": rows,
    "parent": st.one_of(st.none(), st.fixed_dictionaries({"name": scalars})),
    "cust": st.one_of(st.none(), st.just(7)),
})


class Ctx:
    today = TODAY

    @staticmethod
    def linked(name, value):
        return LINKED.get(value)


def engine(text: str, env: dict):
    values = {**env, "cust": LINKED.get(env["cust"]) if isinstance(env["cust"], int) else env["cust"]}
    try:
        return "value", compile_formula(text).evaluate(values, today=TODAY)
    except Exception as e:  # noqa: BLE001 - any refusal of the engine counts as one
        return "error", type(e).__name__


def fast(text: str, env: dict):
    try:
        return "value", compile_fast(text, {}, frozenset({"cust"}))(env, Ctx)
    except Exception:  # noqa: BLE001 - the callers fall back to the engine
        return "raised", None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(env=envs)
def test_the_closures_never_disagree_with_the_engine(env):
    for text in CORPUS:
        got = fast(text, env)
        if got[0] == "raised":
            continue
        expected = engine(text, env)
        assert expected[0] == "value", (text, env, got, expected)
        assert got[1] == expected[1] and type(got[1]) is type(expected[1]), (text, env, got, expected)


def test_the_corpus_uses_every_builtin():
    used = {name for text in CORPUS for name in compile_formula(text).functions}
    assert set(BUILTIN_FUNCTIONS) <= used, set(BUILTIN_FUNCTIONS) - used


def test_most_of_the_corpus_takes_the_fast_path():
    """Not a test that passes by raising everywhere: on plain numbers nearly every formula is fast."""
    env = {"a": Decimal("3"), "b": Decimal("2"), "c": 1, "t": "华星", "d": datetime.date(2026, 1, 31),
           "e": datetime.date(2025, 12, 1), "rows": [{"n": 1, "v": Decimal("5")}, {"n": 2, "v": None}],
           "parent": {"name": "p"}, "cust": 7}
    fast_ones = [t for t in CORPUS if fast(t, env)[0] == "value"]
    assert len(fast_ones) >= len(CORPUS) - 5, sorted(set(CORPUS) - set(fast_ones))
    for text in fast_ones:
        assert fast(text, env)[1] == engine(text, env)[1], text


def test_constant_parts_are_computed_once_when_compiled():
    calls = []

    def lookup(*args):
        calls.append(args)
        return Decimal("70")
    fn = compile_fast('a > LOOKUP("warning_threshold", "debt_ratio", "percent") * 1', {"LOOKUP": lookup})
    assert calls == [("warning_threshold", "debt_ratio", "percent")]
    assert [fn({"a": v}, Ctx) for v in (Decimal("71"), Decimal("70"), None)] == [True, False, False]
    assert len(calls) == 1
    assert compile_fast("100 * 0.7", {}).constant == Decimal("70.0")
    # a constant part that fails is left to fail when the formula runs, as in the engine
    broken = compile_fast("a + 1 / 0", {})
    assert not hasattr(broken, "constant")
    try:
        broken({"a": 1}, Ctx)
    except Exception as e:  # noqa: BLE001
        assert engine("a + 1 / 0", {"a": 1, "cust": None})[0] == "error", e
    else:
        raise AssertionError("1 / 0 did not fail")
    # TODAY() is never computed ahead: the closures outlive a day
    assert not hasattr(compile_fast("TODAY()", {}), "constant")
