"""How formula values are represented: decimals, blanks, dates, records and child rows.

Values are used as they are given (no up-front wrapping): a formula touches only the names it
mentions, so conversion happens lazily at the point of use.
"""

from __future__ import annotations

import ast

import datetime
from collections.abc import Mapping
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, ROUND_HALF_EVEN

from .errors import FormulaError, kind

#: Decimal arithmetic never depends on the caller's thread context.
DECIMAL_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999,
                          traps=[InvalidOperation, DivisionByZero, Overflow])

#: Longest text a formula may build (CONCAT, +).
MAX_TEXT_LENGTH = 100_000

NUMBER_TYPES = frozenset({int, Decimal})


def from_float(x: float) -> Decimal:
    """A float enters the engine as the decimal it prints as: 0.1 -> Decimal('0.1')."""
    return Decimal(repr(x))


def number(value, what: str = "", zh_what: str = ""):
    """``value`` as an int or Decimal, or a FormulaError naming ``what``."""
    t = type(value)
    if t is int or t is Decimal:
        return value
    if t is float:
        return from_float(value)
    if t is bool:
        return int(value)
    if isinstance(value, (int, Decimal)):  # subclasses
        return value
    en, zh = kind(value)
    raise FormulaError(f"{what}expected a number, got {en} ({value!r})",
                       zh=f"{zh_what}需要数字，实际是{zh}（{value!r}）")


def whole_number(value, fname: str, what: str) -> int:
    """An integer argument (months, digits, year...): ``3`` or ``Decimal('3')``, never ``3.5``."""
    n = number(value, f"{fname}: {what}: ", f"{fname}：{what}")
    if type(n) is int:
        return n
    if n == n.to_integral_value():
        return int(n)
    raise FormulaError(f"{fname}: {what} must be a whole number, got {n}",
                       zh=f"{fname}：{what}必须是整数，实际是 {n}")


def is_blank(value) -> bool:
    """Blank for ISBLANK and COALESCE: None, empty text or an empty list."""
    return value is None or value == "" or (isinstance(value, (list, tuple)) and not value)


def to_text(value) -> str:
    """Text for CONCAT: blank is "", numbers without exponent, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(from_float(value), "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(to_text(v) for v in value)
    return str(value)


def check_text_length(s: str) -> str:
    if len(s) > MAX_TEXT_LENGTH:
        raise FormulaError(f"text longer than {MAX_TEXT_LENGTH} characters",
                           zh=f"文本超过 {MAX_TEXT_LENGTH} 个字符")
    return s


def as_date(value) -> datetime.date:
    """The calendar day of a date or datetime (for day differences)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def get_field(base, attr: str, where):
    """``base.attr``: a record's field, or the column of child rows; blank stays blank.

    A missing key is blank. On a list of rows the result is the list of that column (one item
    per row); on a list of lists it maps further down (grandchild rows). `where` names the
    expression in an error: its text, or its ast node (written out only when there is an error).
    """
    if base is None:
        return None
    if type(base) is dict or isinstance(base, Mapping):
        v = base.get(attr)
        return from_float(v) if type(v) is float else v
    if isinstance(base, (list, tuple)):
        return [get_field(row, attr, where) for row in base]
    en, zh = kind(base)
    if not isinstance(where, str):
        where = ast.unparse(where)
    raise FormulaError(f"'{where}': {en} has no field '{attr}'",
                       zh=f"'{where}'：{zh}没有字段 '{attr}'")


def flatten(args):
    """Yield the items of arguments, descending into lists (child-row columns)."""
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from flatten(a)
        else:
            yield a
