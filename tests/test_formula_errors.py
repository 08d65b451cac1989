"""Formula errors read by people: syntax advice, safety limits, static checks, docs coverage."""

import pathlib
import re

import pytest

from core.formula import (BUILTIN_FUNCTIONS, FormulaError, FormulaSyntaxError, check_formula,
                          compile_formula)

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "formulas.md"


def syntax_error(text) -> FormulaSyntaxError:
    with pytest.raises(FormulaSyntaxError) as e:
        compile_formula(text)
    assert e.value.text == text
    assert e.value.zh and e.value.zh != str(e.value)
    return e.value


@pytest.mark.parametrize("text,advice", [
    ("amount = 100", "'=' assigns; to compare use '=='"),
    ("kind <> 'loan'", "use '!='"),
    ("a & b", "CONCAT"),
    ("'No.' & n", "CONCAT"),
    ("a | b", "use 'or'"),
    ("a && b", "'and'"),
    ("2 ^ 3", "'**'"),
    ("（amount + 1）", "use '('"),
    ("if(a, 1, 2)", "write IF(...)"),
    ("a if b else c", "IF(condition"),
    ("x.upper()", "methods"),
    ("ROUND(x, digits=2)", "named arguments"),
    ("x is None", "ISBLANK"),
    ("(a := 1)", "to compare use '=='"),
    ("SUM(1, 2", "never closed"),
    ("1 +", "ends too early"),
    ("", "empty"),
])
def test_syntax_advice(text, advice):
    assert advice in str(syntax_error(text))


@pytest.mark.parametrize("text", [
    "x.__class__", "x._secret", "__import__('os')", "__builtins__", "x.format", "_f(1)",
])
def test_private_and_dunder_access_rejected(text):
    assert "not allowed" in str(syntax_error(text))


@pytest.mark.parametrize("text,word", [
    ("lambda: 1", "lambda"),
    ("[x for x in rows]", "comprehensions"),
    ("SUM(x for x in rows)", "comprehensions"),
    ("import os", "single expression"),
    ("x = 1; y = 2", "single expression"),
    ("f'{x}'", "f-strings"),
    ("rows[0]", "indexing"),
    ("{1: 2}", "not supported"),
    ("1j", "imaginary"),
    ("b'x'", "not allowed"),
])
def test_python_features_rejected(text, word):
    assert word in str(syntax_error(text))


def test_huge_powers_rejected():
    assert "at most 100" in str(syntax_error("2 ** 1000"))
    with pytest.raises(FormulaError, match="at most 100"):
        compile_formula("x ** n").evaluate({"x": 2, "n": 101})
    with pytest.raises(FormulaError, match="too large"):
        compile_formula("x ** 100").evaluate({"x": 10 ** 9})
    with pytest.raises(FormulaError, match="too large"):
        compile_formula("(9 ** 99) ** 99").evaluate({})
    assert compile_formula("2 ** 100").evaluate({}) == 2 ** 100


def test_length_and_depth_limits():
    assert "longer than" in str(syntax_error("'" + "x" * 20000 + "'"))
    assert "nested too deeply" in str(syntax_error("ABS(" * 150 + "1" + ")" * 150))
    assert "number too long" in str(syntax_error("1" * 50))
    with pytest.raises(FormulaError, match="text longer than"):
        compile_formula("CONCAT(s, s, s)").evaluate({"s": "x" * 40000})


def test_all_problems_are_listed_on_the_exception():
    e = syntax_error("a.__class__ + (lambda: 1)")
    assert len(e.problems) == 2


def test_non_text_formula():
    with pytest.raises(FormulaSyntaxError, match="must be text"):
        compile_formula(None)


def test_runtime_type_errors_are_readable():
    with pytest.raises(FormulaError, match="cannot use '\\+' on text and a number") as e:
        compile_formula("kind + 1").evaluate({"kind": "loan"})
    assert e.value.zh == "文本和数字不能相加（'+'）"
    with pytest.raises(FormulaError, match="cannot compare text with a number"):
        compile_formula("kind > 1").evaluate({"kind": "loan"})


# --- check_formula ---------------------------------------------------------------------------

FIELDS = {"amount", "rate", "kind", "shareholders", "parent"}


def test_check_ok():
    assert check_formula("amount * rate / 100", names=FIELDS) == []
    assert check_formula("SUM(shareholders.share) == 100 and parent.name != ''", names=FIELDS) == []
    assert check_formula("anything > 1") == []  # names=None: names not checked


def test_check_unknown_field_with_suggestion():
    assert check_formula("amout > 0", names=FIELDS) == ["unknown field 'amout' (did you mean 'amount'?)"]
    assert check_formula("zzz > 0", names=FIELDS) == ["unknown field 'zzz'"]
    assert check_formula("amout > 0", names=FIELDS, lang="zh") == ["未知字段 'amout'（是不是 'amount'？）"]


def test_check_accepts_a_mapping_of_names():
    assert check_formula("amount > 0", names={"amount": {"type": "money"}}) == []


def test_check_lists_multiple_problems():
    problems = check_formula("amout > 0 and SUMM(shareholders.share) > 1 and ROUND(1, 2, 3) and kindd",
                             names=FIELDS)
    assert problems == [
        "unknown function 'SUMM' (did you mean 'SUM'?)",
        "ROUND() takes 1 to 2 arguments, got 3",
        "unknown field 'amout' (did you mean 'amount'?)",
        "unknown field 'kindd' (did you mean 'kind'?)",
    ]


def test_check_functions_lookup_only_when_given():
    assert check_formula("LOOKUP('industry', kind)", names=FIELDS) == ["unknown function 'LOOKUP'"]
    assert check_formula("LOOKUP('industry', kind)", names=FIELDS, functions={"LOOKUP"}) == []
    assert check_formula("LOOKUP('industry', kind)", names=FIELDS, functions={"LOOKUP": print}) == []


def test_check_lowercase_function_and_function_as_name():
    assert check_formula("sum(1)") == ["unknown function 'sum' (did you mean 'SUM'?)"]
    assert check_formula("TODAY > 1") == ["'TODAY' is a function: call it like TODAY(...)"]


def test_check_reports_syntax_errors_and_never_raises():
    assert check_formula("a = 1") == ["'=' assigns; to compare use '=='"]
    assert check_formula(None) == ["a formula must be text, not NoneType"]
    assert check_formula(42, names=FIELDS)


# --- documentation ---------------------------------------------------------------------------

def test_every_builtin_function_is_documented():
    section = DOCS.read_text(encoding="utf-8").split("\n## Functions\n")[1].split("\n## ")[0]
    table = {m.group(1) for m in re.finditer(r"^\| `([A-Z]+)\(", section, re.M)}
    assert table == set(BUILTIN_FUNCTIONS)
