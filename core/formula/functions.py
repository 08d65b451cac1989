"""The built-in functions (upper-case names, spreadsheet style).

Each function carries a ``formula_spec`` attribute (``FunctionSpec``) giving its argument count
and calling mode; the evaluator checks the count before calling, so a function body can assume
it. Modes:

* ``eager``: called with the evaluated arguments (like any caller-supplied function);
* ``lazy``: called as ``fn(evaluate, argument_nodes)`` and evaluates only the arguments it needs
  (IF, AND, OR, COALESCE), so ``IF(x > 0, a / x, 0)`` never divides by zero;
* ``context``: called as ``fn(context, *arguments)``; ``context.today`` is the injected date.
"""

from __future__ import annotations

import calendar
import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Mapping, NamedTuple

from .errors import FormulaError, kind
from .values import (DECIMAL_CONTEXT as CTX, check_text_length, flatten, is_blank, number, to_text,
                     whole_number)


class FunctionSpec(NamedTuple):
    name: str
    min_args: int
    max_args: int | None  # None: any number
    mode: str = "eager"

    def arity_error(self, given: int) -> str | None:
        """An (english, chinese) message if ``given`` arguments are wrong, else None."""
        lo, hi = self.min_args, self.max_args
        if given >= lo and (hi is None or given <= hi):
            return None
        if hi is None:
            want, zwant = f"at least {lo} argument{'s' * (lo != 1)}", f"至少 {lo} 个参数"
        elif lo == hi:
            want, zwant = f"{lo} argument{'s' * (lo != 1)}", f"{lo} 个参数"
        else:
            want, zwant = f"{lo} to {hi} arguments", f"{lo} 到 {hi} 个参数"
        return (f"{self.name}() takes {want}, got {given}",
                f"{self.name}() 需要{zwant}，实际给了 {given} 个")


_BUILTINS: dict = {}


def builtin(name: str, min_args: int, max_args: int | None = -1, mode: str = "eager"):
    """Register a built-in function; ``max_args`` defaults to ``min_args``."""
    spec = FunctionSpec(name, min_args, min_args if max_args == -1 else max_args, mode)

    def register(fn):
        fn.formula_spec = spec
        _BUILTINS[name] = fn
        return fn
    return register


def _fail(fname, en, zh):
    raise FormulaError(f"{fname}: {en}", zh=f"{fname}：{zh}")


def _need_date(fname, value):
    if not isinstance(value, datetime.date):
        en, zh = kind(value)
        _fail(fname, f"expected a date, got {en} ({value!r})", f"需要日期，实际是{zh}（{value!r}）")
    return value


def _numbers(fname, args):
    """The non-blank items of the arguments (lists flattened) as numbers."""
    out = []
    for v in flatten(args):
        if v is not None:
            out.append(number(v, f"{fname}: ", f"{fname}："))
    return out


# --- logic -----------------------------------------------------------------------------------

@builtin("IF", 2, 3, mode="lazy")
def IF(evaluate, nodes):
    if evaluate(nodes[0]):
        return evaluate(nodes[1])
    return evaluate(nodes[2]) if len(nodes) > 2 else None


@builtin("AND", 1, None, mode="lazy")
def AND(evaluate, nodes):
    return all(evaluate(n) for n in nodes)


@builtin("OR", 1, None, mode="lazy")
def OR(evaluate, nodes):
    return any(evaluate(n) for n in nodes)


@builtin("NOT", 1)
def NOT(x):
    return not x


@builtin("ISBLANK", 1)
def ISBLANK(x):
    return is_blank(x)


@builtin("COALESCE", 1, None, mode="lazy")
def COALESCE(evaluate, nodes):
    for n in nodes:
        v = evaluate(n)
        if not is_blank(v):
            return v
    return None


# --- numbers ---------------------------------------------------------------------------------

def _round(fname, x, digits, rounding):
    if x is None:
        return None
    x = Decimal(number(x, f"{fname}: ", f"{fname}："))
    n = 0 if digits is None else whole_number(digits, fname, "digits")
    if not -28 <= n <= 28:
        _fail(fname, "digits must be between -28 and 28", "小数位数必须在 -28 到 28 之间")
    try:
        if n >= 0:
            return x.quantize(Decimal(1).scaleb(-n), rounding=rounding, context=CTX)
        scaled = x.scaleb(n, context=CTX).quantize(Decimal(1), rounding=rounding, context=CTX)
        return scaled.scaleb(-n, context=CTX).quantize(Decimal(1), context=CTX)
    except InvalidOperation:
        _fail(fname, f"cannot round {x} to {n} digits", f"无法把 {x} 舍入到 {n} 位")


@builtin("ROUND", 1, 2)
def ROUND(x, digits=None):
    """Half-up (四舍五入): ROUND(2.5) = 3, ROUND(-2.5) = -3."""
    return _round("ROUND", x, digits, ROUND_HALF_UP)


@builtin("ROUNDUP", 1, 2)
def ROUNDUP(x, digits=None):
    """Away from zero."""
    return _round("ROUNDUP", x, digits, ROUND_UP)


@builtin("ROUNDDOWN", 1, 2)
def ROUNDDOWN(x, digits=None):
    """Toward zero (truncate)."""
    return _round("ROUNDDOWN", x, digits, ROUND_DOWN)


@builtin("ABS", 1)
def ABS(x):
    if x is None:
        return None
    return abs(number(x, "ABS: ", "ABS："))


@builtin("SUM", 0, None)
def SUM(*args):
    total = 0
    for n in _numbers("SUM", args):
        total = total + n if type(total) is int and type(n) is int else CTX.add(total, n)
    return total


@builtin("AVG", 0, None)
def AVG(*args):
    nums = _numbers("AVG", args)
    if not nums:
        return None
    return CTX.divide(SUM(nums), len(nums))


@builtin("COUNT", 0, None)
def COUNT(*args):
    return sum(1 for v in flatten(args) if v is not None)


def _extreme(fname, args, pick):
    items = [v for v in flatten(args) if v is not None]
    if not items:
        return None
    if not all(isinstance(v, datetime.date) for v in items):
        items = [number(v, f"{fname}: ", f"{fname}：") for v in items]
    try:
        return pick(items)
    except TypeError:
        _fail(fname, "cannot compare dates with datetimes", "日期和日期时间不能比较")


@builtin("MIN", 0, None)
def MIN(*args):
    return _extreme("MIN", args, min)


@builtin("MAX", 0, None)
def MAX(*args):
    return _extreme("MAX", args, max)


@builtin("LATEST", 3, 4)
def LATEST(rows, order_by, column, n=1):
    """``column`` of the child row with the ``n``-th greatest ``order_by`` (1: the latest, 2: the one
    before): ``LATEST(financial_statements, "period", "debt_ratio", 2)``. Rows whose ``order_by`` is
    blank are skipped; among equal ``order_by`` values the later row counts as later."""
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        _fail("LATEST", "the first argument must be child rows (a table field)", "第一个参数必须是子表行（表格字段）")
    n = whole_number(n, "LATEST", "n")
    if n < 1:
        _fail("LATEST", "n must be 1 or more", "n 必须大于等于 1")
    kept = [r for r in rows if r.get(str(order_by)) is not None]
    try:
        kept.sort(key=lambda r: r[str(order_by)])       # stable: of equal keys the later row stays later
    except TypeError:
        _fail("LATEST", f"the values of '{order_by}' cannot be compared", f"「{order_by}」的值无法比较")
    return kept[-n].get(str(column)) if len(kept) >= n else None


# --- dates -----------------------------------------------------------------------------------

@builtin("TODAY", 0, mode="context")
def TODAY(context):
    today = context.today
    if today is None:
        raise FormulaError("TODAY() is not available here: the caller did not give today's date",
                           zh="此处无法使用 TODAY()：调用方没有提供今天的日期")
    return today.date() if isinstance(today, datetime.datetime) else today


@builtin("DATE", 3)
def DATE(year, month, day):
    if year is None or month is None or day is None:
        return None
    y = whole_number(year, "DATE", "year")
    m = whole_number(month, "DATE", "month")
    d = whole_number(day, "DATE", "day")
    try:
        return datetime.date(y, m, d)
    except ValueError as e:
        _fail("DATE", f"no such date {y}-{m}-{d} ({e})", f"日期 {y}-{m}-{d} 不存在")


@builtin("YEAR", 1)
def YEAR(d):
    return None if d is None else _need_date("YEAR", d).year


@builtin("MONTH", 1)
def MONTH(d):
    return None if d is None else _need_date("MONTH", d).month


@builtin("DAY", 1)
def DAY(d):
    return None if d is None else _need_date("DAY", d).day


@builtin("DAYS", 2)
def DAYS(end, start):
    """Calendar days from ``start`` to ``end`` (negative if end is earlier)."""
    if end is None or start is None:
        return None
    e, s = _need_date("DAYS", end), _need_date("DAYS", start)
    e = e.date() if isinstance(e, datetime.datetime) else e
    s = s.date() if isinstance(s, datetime.datetime) else s
    return (e - s).days


@builtin("EDATE", 2)
def EDATE(d, months):
    """``months`` later (earlier if negative), clamped to the month's end: Jan 31 + 1 -> Feb 28/29."""
    if d is None or months is None:
        return None
    d = _need_date("EDATE", d)
    total = d.year * 12 + (d.month - 1) + whole_number(months, "EDATE", "months")
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        _fail("EDATE", "the result is outside years 1-9999", "结果超出 1-9999 年")
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return d.replace(year=y, month=m + 1, day=day)


# --- text and lists --------------------------------------------------------------------------

@builtin("LEN", 1)
def LEN(s):
    if s is None:
        return 0
    if isinstance(s, (str, list, tuple)):
        return len(s)
    en, zh = kind(s)
    _fail("LEN", f"expected text or a list, got {en}", f"需要文本或列表，实际是{zh}")


@builtin("CONCAT", 0, None)
def CONCAT(*args):
    return check_text_length("".join(to_text(a) for a in args))


@builtin("CONTAINS", 2)
def CONTAINS(haystack, needle):
    """Substring for text, membership for a list; blank haystack or needle gives False."""
    if haystack is None or needle is None:
        return False
    if isinstance(haystack, str):
        return to_text(needle) in haystack
    if isinstance(haystack, (list, tuple)):
        return needle in haystack
    en, zh = kind(haystack)
    _fail("CONTAINS", f"expected text or a list to search in, got {en}", f"需要在文本或列表中查找，实际是{zh}")


#: Read-only name -> function mapping of every built-in.
BUILTIN_FUNCTIONS = MappingProxyType(_BUILTINS)
