"""The formula engine: numbers, blanks, dates, records and child rows, caching, the API."""

import datetime
import threading
from decimal import Decimal

import pytest

from core.formula import BUILTIN_FUNCTIONS, FormulaError, compile_formula


def ev(text, values=None, **kw):
    return compile_formula(text).evaluate(values or {}, **kw)


D = Decimal


# --- numbers ---------------------------------------------------------------------------------

def test_decimal_literals_are_exact():
    assert ev("0.1 + 0.2") == D("0.3")
    assert type(ev("0.1")) is Decimal
    assert ev("1.10") == D("1.10") and str(ev("1.10")) == "1.10"
    assert ev("1_000.5") == D("1000.5")
    assert ev("1e3") == D("1000")


def test_division_is_decimal_never_float():
    assert ev("1 / 3") == D(1) / D(3)
    assert type(ev("1 / 3")) is Decimal
    assert ev("6 / 3") == 2
    assert ev("amount * rate / 100", {"amount": D("1000"), "rate": 2}) == D("20")


def test_floats_in_values_become_the_decimal_they_print_as():
    assert ev("x + 0.2", {"x": 0.1}) == D("0.3")
    assert ev("x == 0.1", {"x": 0.1}) is True
    assert ev("p.x + 0.2", {"p": {"x": 0.1}}) == D("0.3")


def test_integer_arithmetic_stays_exact():
    assert ev("2 ** 10") == 1024
    assert ev("7 // 2") == 3
    assert ev("7 // -2") == -4 and ev("D // -2", {"D": D(7)}) == -4  # floor, ints and decimals alike
    assert ev("-7 % 3") == 2 and ev("x % 3", {"x": D(-7)}) == 2


def test_division_by_zero():
    for text in ("1 / 0", "1 // 0", "1 % 0", "x / 0.0", "0 ** -1"):
        with pytest.raises(FormulaError, match="division by zero") as e:
            ev(text, {"x": D(1)})
        assert e.value.text == text
        assert e.value.zh == "除数为零"


def test_decimal_context_of_caller_does_not_matter():
    import decimal
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        assert ev("1 / 3") == D("0.3333333333333333333333333333")


def test_booleans_and_true_false_names():
    assert ev("True and true") is True
    assert ev("false or FALSE") is False
    assert compile_formula("true").names == frozenset()


def test_strings_in_single_or_double_quotes():
    assert ev("'loan' == \"loan\"") is True
    assert ev("kind == '贷款'", {"kind": "贷款"}) is True


def test_in_with_list_literal_and_not_in():
    assert ev('kind in ["loan", "bond"]', {"kind": "loan"}) is True
    assert ev('kind not in ("loan", "bond")', {"kind": "lease"}) is True
    assert ev('"a" in tags', {"tags": ["a", "b"]}) is True
    assert ev('"a" in tags', {"tags": None}) is False
    assert ev('"台" in city', {"city": "台州"}) is True


def test_chained_comparison():
    assert ev("0 < x <= 10", {"x": 10}) is True
    assert ev("0 < x <= 10", {"x": 11}) is False


def test_chinese_field_names():
    f = compile_formula("担保金额 > 100")
    assert f.names == {"担保金额"}
    assert f.evaluate({"担保金额": D(101)}) is True


# --- blanks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["x + 1", "1 + x", "x - 1", "x * 2", "x / 2", "x // 2", "x % 2",
                                  "x ** 2", "2 ** x", "-x", "+x"])
def test_arithmetic_with_blank_is_blank(text):
    assert ev(text, {"x": None}) is None


def test_missing_name_is_blank():
    assert ev("x + 1", {}) is None
    assert ev("x", None) is None


@pytest.mark.parametrize("text", ["x < 1", "x <= 1", "x > 1", "x >= 1", "1 < x", "x >= x"])
def test_ordering_with_blank_is_false(text):
    assert ev(text, {"x": None}) is False


def test_equality_with_blank_is_normal():
    assert ev("x == y", {"x": None, "y": None}) is True
    assert ev("x == 0", {"x": None}) is False
    assert ev("x != 0", {"x": None}) is True
    assert ev("x == None", {}) is True


def test_logic_treats_blank_as_false():
    assert ev("x and True", {}) is False
    assert ev("x or True", {}) is True
    assert ev("not x", {}) is True
    assert ev("AND(x, True)", {}) is False
    assert ev("OR(x, False)", {}) is False
    assert ev("NOT(x)", {}) is True
    assert ev("IF(x, 'a', 'b')", {}) == "b"


def test_and_or_give_booleans():
    assert ev("1 and 'x'") is True
    assert ev("0 or ''") is False


# --- dates -----------------------------------------------------------------------------------

def test_date_arithmetic():
    d1, d2 = datetime.date(2024, 3, 1), datetime.date(2024, 2, 1)
    assert ev("a - b", {"a": d1, "b": d2}) == 29
    assert ev("b - a", {"a": d1, "b": d2}) == -29
    assert ev("a + 30", {"a": d2}) == datetime.date(2024, 3, 2)
    assert ev("30 + a", {"a": d2}) == datetime.date(2024, 3, 2)
    assert ev("a - 1", {"a": d1}) == datetime.date(2024, 2, 29)
    assert ev("a + n", {"a": d1, "n": D("2")}) == datetime.date(2024, 3, 3)
    assert ev("a - b", {"a": datetime.datetime(2024, 3, 1, 1), "b": datetime.datetime(2024, 2, 29, 23)}) == 1


def test_date_plus_fraction_is_an_error():
    with pytest.raises(FormulaError, match="whole number of days"):
        ev("a + 1.5", {"a": datetime.date(2024, 1, 1)})


def test_dates_compare_with_datetimes():
    assert ev("a < b", {"a": datetime.date(2024, 1, 1), "b": datetime.datetime(2024, 1, 2, 8)}) is True


def test_today_uses_injected_date_only():
    day = datetime.date(2025, 6, 30)
    assert ev("TODAY()", today=day) == day
    assert ev("DAYS(TODAY(), signed)", {"signed": datetime.date(2025, 6, 1)}, today=day) == 29
    assert ev("TODAY()", today=datetime.datetime(2025, 6, 30, 9)) == day
    with pytest.raises(FormulaError, match="TODAY"):
        ev("TODAY()")


# --- records and child rows ------------------------------------------------------------------

SHAREHOLDERS = [{"name": "甲", "share": D("60")}, {"name": "乙", "share": D("30.5")},
                {"name": "丙", "share": None}]


def test_child_rows():
    values = {"shareholders": SHAREHOLDERS}
    assert ev("SUM(shareholders.share)", values) == D("90.5")
    assert ev("COUNT(shareholders)", values) == 3
    assert ev("COUNT(shareholders.share)", values) == 2
    assert ev("shareholders.name", values) == ["甲", "乙", "丙"]
    assert ev("MAX(shareholders.share)", values) == D("60")
    assert ev("CONTAINS(shareholders.name, '乙')", values) is True
    assert ev("SUM(shareholders.share)", {"shareholders": []}) == 0
    assert ev("COUNT(shareholders)", {"shareholders": None}) == 0


def test_grandchild_rows_flatten_in_aggregates():
    values = {"loans": [{"repayments": [{"amt": D(1)}, {"amt": D(2)}]}, {"repayments": [{"amt": D(3)}]}]}
    assert ev("SUM(loans.repayments.amt)", values) == 6


def test_parent_and_linked_record_fields():
    values = {"parent": {"name": "台州担保", "customer": {"city": "台州"}}}
    assert ev("parent.name", values) == "台州担保"
    assert ev("parent.customer.city == '台州'", values) is True
    assert ev("parent.missing", values) is None
    assert ev("parent.name", {"parent": None}) is None


def test_field_of_a_non_record_is_an_error():
    with pytest.raises(FormulaError, match="has no field 'x'"):
        ev("amount.x", {"amount": D(1)})


def test_names_attributes_functions():
    f = compile_formula("IF(parent.kind == 'x', SUM(shareholders.share), amount) + ROUND(rate, 2)")
    assert f.names == {"parent", "shareholders", "amount", "rate"}
    assert f.attributes == {("parent", "kind"), ("shareholders", "share")}
    assert f.functions == {"IF", "SUM", "ROUND"}
    assert f.text == "IF(parent.kind == 'x', SUM(shareholders.share), amount) + ROUND(rate, 2)"


# --- caching, functions, threads -------------------------------------------------------------

def test_compile_is_cached_by_text():
    a = compile_formula("amount * rate / 100")
    assert compile_formula("amount * rate / 100") is a
    assert compile_formula("amount * rate / 101") is not a


def test_caller_functions_are_merged_over_builtins():
    table = {"loan": "贷款担保"}
    lookup = {"LOOKUP": lambda key: table.get(key)}
    assert ev("LOOKUP(kind)", {"kind": "loan"}, functions=lookup) == "贷款担保"
    assert ev("ROUND(x)", {"x": D("2.5")}, functions={"ROUND": lambda x: "mine"}) == "mine"
    assert "LOOKUP" not in BUILTIN_FUNCTIONS
    with pytest.raises(FormulaError, match="unknown function 'LOOKUP'"):
        ev("LOOKUP(kind)", {"kind": "loan"})


def test_caller_function_failure_names_the_function():
    def boom(x):
        raise KeyError(x)
    with pytest.raises(FormulaError, match="^LOOKUP: ") as e:
        ev("LOOKUP('k')", functions={"LOOKUP": boom})
    assert "LOOKUP" in e.value.zh


def test_caller_function_float_result_becomes_decimal():
    assert ev("F() + 0.2", functions={"F": lambda: 0.1}) == D("0.3")


def test_function_may_evaluate_another_formula():
    inner = compile_formula("y * 2")
    nested = {"INNER": lambda: inner.evaluate({"y": 21})}
    assert ev("x + INNER()", {"x": 1}, functions=nested) == 43


def test_threads_do_not_share_values():
    f = compile_formula("x * 2")
    errors = []

    def work(n):
        for _ in range(2000):
            if f.evaluate({"x": n}) != n * 2:
                errors.append(n)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_builtin_functions_is_read_only():
    with pytest.raises(TypeError):
        BUILTIN_FUNCTIONS["X"] = len
