"""The scoring engine: a scorecard applied to one customer's values, statements and the
reviewer's answers (see docs/scorecards.md). Pure: no database, no clock (today is passed in).

    result = score(card, customer_values, statements, answers, today=date(2026, 3, 15))
    result.total, result.grade, result.indicators[0].points

Exact Decimal arithmetic. Bad data never raises: an indicator whose value is blank, not a number,
outside every band, an unknown option or a failed formula (division by zero included) scores 0
and carries flags saying why; a cap or veto whose formula fails is skipped and reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from metadata.scorecard import HUNDRED, Indicator, Rule, Scorecard

from .compute import is_blank
from .formula import FormulaError, compile_formula

ZERO = Decimal(0)

# flags of an indicator (code list `score_flag` in the standard pack gives their labels)
BLANK = "blank"                       # the formula gave blank, or the reviewer did not answer
NO_STATEMENT = "no_statement"         # the formula reads statements and the customer has none that qualify
DIVISION_BY_ZERO = "division_by_zero"
FORMULA_ERROR = "formula_error"       # any other failure of the formula (see `note`)
NOT_A_NUMBER = "not_a_number"         # banded indicators need a number
NO_BAND = "no_band"                   # the value lies outside the first or last band
UNKNOWN_OPTION = "unknown_option"     # not one of the indicator's options


@dataclass(frozen=True)
class IndicatorResult:
    name: str
    group: str
    label: Mapping[str, str]
    weight: Decimal
    value: Any                        # a number (bands) or an option's value; None when blank
    band: str | None                  # the band in interval notation, or the option's value
    points: Decimal                   # 0–100 on the indicator's own scale
    weighted: Decimal                 # points × weight / 100
    flags: tuple[str, ...] = ()
    note: str | None = None           # a failed formula's message


@dataclass(frozen=True)
class Result:
    card: str
    digest: str
    inputs: Mapping[str, Any]         # customer (the fields the formulas read), statements, answers, today
    indicators: tuple[IndicatorResult, ...]
    total: Decimal
    points_grade: str                 # the grade the total alone gives
    caps: tuple[str, ...]             # names of the caps that held
    vetoes: tuple[str, ...]           # names of the vetoes that held
    grade: str                        # after caps and vetoes
    problems: tuple[str, ...] = ()    # caps, vetoes or statement filters whose formula failed

    def indicator(self, name: str) -> IndicatorResult:
        return next(i for i in self.indicators if i.name == name)


def score(card: Scorecard, customer_values: Mapping[str, Any], statements: Sequence[Mapping] | None,
          answers: Mapping[str, Any] | None, *, today: date, functions: Mapping | None = None) -> Result:
    """Score one customer. `statements` are the rows of the card's statements table (the latest
    and previous qualifying rows are chosen here); `answers` map indicator names to the reviewer's
    option value (or number)."""
    answers = dict(answers or {})
    problems: list[str] = []
    latest, previous = statement_rows(card, statements or (), today, functions, problems)
    env = {**customer_values, "latest": latest, "previous": previous}
    results = tuple(_indicator(ind, env, answers, today, functions, card.statements is not None and latest is None)
                    for ind in card.indicators)
    total = sum((r.weighted for r in results), ZERO)
    points_grade = card.grade_for(total)
    rule_env = {**{r.name: r.value for r in results}, "points": {r.name: r.points for r in results},
                "total": total}
    caps = _holding(card.caps, rule_env, today, functions, problems)
    vetoes = _holding(card.vetoes, rule_env, today, functions, problems)
    grade = max([points_grade, *(r.grade for r in caps)], key=card.rank)
    if vetoes:
        grade = max((r.grade for r in vetoes), key=card.rank)
    used = _customer_names(card)
    inputs = {"customer": {k: v for k, v in customer_values.items() if k in used},
              "statements": [row for row in (previous, latest) if row is not None],
              "answers": {k: v for k, v in answers.items() if not is_blank(v)}, "today": today}
    return Result(card.name, card.digest, inputs, results, total, points_grade, tuple(r.name for r in caps),
                  tuple(r.name for r in vetoes), grade, tuple(problems))


def statement_rows(card: Scorecard, rows, today, functions, problems) -> tuple[Mapping | None, Mapping | None]:
    """The qualifying rows with the greatest and second greatest `order_by` (ties: the later row)."""
    st = card.statements
    if st is None:
        return None, None
    kept = []
    for i, row in enumerate(rows):
        if is_blank(row.get(st.order_by)):
            continue
        if st.where:
            try:
                if not compile_formula(st.where).evaluate(row, functions=functions, today=today):
                    continue
            except FormulaError as e:
                problems.append(f"statements.where, row {i + 1}: {e}")
                continue
        kept.append(row)
    try:
        kept.sort(key=lambda r: r[st.order_by])          # stable: among equal periods the later row wins
    except TypeError:
        problems.append(f"statements.order_by: '{st.order_by}' values cannot be compared")
        return None, None
    return (kept[-1] if kept else None), (kept[-2] if len(kept) > 1 else None)


def _indicator(ind: Indicator, env, answers, today, functions, no_statement: bool) -> IndicatorResult:
    flags: list[str] = []
    note = None
    if ind.formula:
        if no_statement and _names(ind.formula) & {"latest", "previous"}:
            flags.append(NO_STATEMENT)
        try:
            value = compile_formula(ind.formula).evaluate(env, functions=functions, today=today)
        except FormulaError as e:
            value, note = None, str(e)
            flags.append(DIVISION_BY_ZERO if "division by zero" in str(e) else FORMULA_ERROR)
    else:
        value = answers.get(ind.name)
    band, points = None, ZERO
    if is_blank(value):
        value = None
        if not flags:
            flags.append(BLANK)
    elif ind.bands:
        number = _number(value)
        if number is None:
            flags.append(NOT_A_NUMBER)
        else:
            value = number
            hit = next((b for b in ind.bands if b.contains(number)), None)
            if hit is None:
                flags.append(NO_BAND)
            else:
                band, points = hit.text, hit.points
    else:
        value = str(value)
        option = ind.option(value)
        if option is None:
            flags.append(UNKNOWN_OPTION)
        else:
            band, points = option.value, option.points
    return IndicatorResult(ind.name, ind.group, ind.label, ind.weight, value, band, points,
                           points * ind.weight / HUNDRED, tuple(flags), note)


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())      # a reviewer's numeric answer given as text
    except InvalidOperation:
        return None


def _holding(rules: tuple[Rule, ...], env, today, functions, problems) -> list[Rule]:
    out = []
    for r in rules:
        try:
            if compile_formula(r.when).evaluate(env, functions=functions, today=today):
                out.append(r)
        except FormulaError as e:               # reported and skipped; the other rules still apply
            problems.append(f"{r.name}: {r.when}: {e}")
    return out


def _customer_names(card: Scorecard) -> set[str]:
    """The customer fields the indicators' formulas read: the inputs a run keeps."""
    names: set[str] = set()
    for ind in card.indicators:
        if ind.formula:
            names |= _names(ind.formula)
    return names - {"latest", "previous"}


def _names(text: str) -> frozenset[str]:
    try:
        return compile_formula(text).names
    except FormulaError:
        return frozenset()

