"""Blank-aware operators, installed as simpleeval's operator table.

Arithmetic with a blank operand gives blank; ordering comparisons with a blank are False;
``==``/``!=`` compare normally. Decimal arithmetic uses a fixed context, never the thread's.
"""

from __future__ import annotations

import ast
import datetime
from decimal import Decimal

from .errors import FormulaError, kind
from .values import DECIMAL_CONTEXT as CTX, NUMBER_TYPES as NUM, as_date, check_text_length, from_float

#: Largest exponent allowed in ``**`` and largest decimal exponent of any power's result.
MAX_EXPONENT = 100
#: Largest integer (in bits) a multiplication may produce (about 300 digits).
MAX_INT_BITS = 1000
_POWER_LIMIT = 10 ** MAX_EXPONENT

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%", "pow": "**"}
_ZH_VERB = {"add": "相加", "sub": "相减", "mul": "相乘", "div": "相除", "floordiv": "整除", "mod": "取余",
            "pow": "求幂"}


def _type_error(opname, a, b):
    ea, za = kind(a)
    eb, zb = kind(b)
    return FormulaError(f"cannot use '{_SYMBOL[opname]}' on {ea} and {eb}",
                        zh=f"{za}和{zb}不能{_ZH_VERB[opname]}（'{_SYMBOL[opname]}'）")


def _num(x):
    """int/Decimal as is; bool and float converted; anything else None."""
    t = type(x)
    if t in NUM:
        return x
    if t is float:
        return from_float(x)
    if t is bool:
        return int(x)
    return None


def _days(n):
    """A whole number of days for date arithmetic."""
    n = _num(n)
    if n is None or n != int(n):
        raise FormulaError("a date can only be moved by a whole number of days",
                           zh="日期只能加减整数天数")
    return datetime.timedelta(days=int(n))


def _big(r):
    if type(r) is int and r.bit_length() > MAX_INT_BITS:
        raise FormulaError("number too large", zh="数字太大")
    return r


def add(a, b):
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a + b
    if ta in NUM and tb in NUM:
        return CTX.add(a, b)
    if isinstance(a, datetime.date) and not isinstance(b, datetime.date):
        return a + _days(b)
    if isinstance(b, datetime.date) and not isinstance(a, datetime.date):
        return b + _days(a)
    if ta is str and tb is str:
        return check_text_length(a + b)
    na, nb = _num(a), _num(b)
    if na is None or nb is None:
        raise _type_error("add", a, b)
    return add(na, nb)


def sub(a, b):
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return a - b
    if ta in NUM and tb in NUM:
        return CTX.subtract(a, b)
    if isinstance(a, datetime.date):
        if isinstance(b, datetime.date):
            return (as_date(a) - as_date(b)).days
        return a - _days(b)
    na, nb = _num(a), _num(b)
    if na is None or nb is None:
        raise _type_error("sub", a, b)
    return sub(na, nb)


def _pair(opname, a, b):
    na, nb = _num(a), _num(b)
    if na is None or nb is None:
        raise _type_error(opname, a, b)
    return na, nb


def mul(a, b):
    if a is None or b is None:
        return None
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _big(a * b)
    if ta in NUM and tb in NUM:
        return CTX.multiply(a, b)
    return mul(*_pair("mul", a, b))


def _zero_check(b):
    if b == 0:
        raise FormulaError("division by zero", zh="除数为零")


def div(a, b):
    """Always decimal division: 1/3 -> Decimal('0.3333333333333333333333333333')."""
    if a is None or b is None:
        return None
    a, b = _pair("div", a, b)
    _zero_check(b)
    return CTX.divide(a, b)


def floordiv(a, b):
    """Floor division (rounds toward minus infinity, like Python), for ints and decimals alike."""
    if a is None or b is None:
        return None
    a, b = _pair("floordiv", a, b)
    _zero_check(b)
    if type(a) is int and type(b) is int:
        return a // b
    q = CTX.divide_int(a, b)
    if CTX.multiply(q, b) != a and (a < 0) != (b < 0):
        q = CTX.subtract(q, 1)
    return q


def mod(a, b):
    """Remainder with the sign of the divisor (like Python): a - b * (a // b)."""
    if a is None or b is None:
        return None
    a, b = _pair("mod", a, b)
    _zero_check(b)
    if type(a) is int and type(b) is int:
        return a % b
    return CTX.subtract(a, CTX.multiply(b, floordiv(a, b)))


def power(a, b):
    """``a ** b`` with the exponent capped at 100 and the result below 1e100."""
    if a is None or b is None:
        return None
    a, b = _pair("pow", a, b)
    if abs(b) > MAX_EXPONENT:
        raise FormulaError(f"power too large: the exponent may be at most {MAX_EXPONENT}",
                           zh=f"幂太大：指数最大为 {MAX_EXPONENT}")
    if a == 0 and b < 0:
        raise FormulaError("division by zero", zh="除数为零")
    if type(a) is int and type(b) is int and b >= 0 and a.bit_length() * b <= MAX_INT_BITS:
        r = a ** b
        too_big = abs(r) >= _POWER_LIMIT
    else:
        r = CTX.power(Decimal(a), Decimal(b))
        too_big = bool(r) and r.adjusted() >= MAX_EXPONENT
    if too_big:
        raise FormulaError("number too large: a power's result must stay below 1e100",
                           zh="数字太大：幂的结果必须小于 1e100")
    return r


def neg(a):
    if a is None:
        return None
    n = _num(a)
    if n is None:
        en, zh = kind(a)
        raise FormulaError(f"cannot negate {en}", zh=f"{zh}不能取负")
    return -n if type(n) is int else CTX.minus(n)


def pos(a):
    if a is None:
        return None
    n = _num(a)
    if n is None:
        en, zh = kind(a)
        raise FormulaError(f"cannot use unary '+' on {en}", zh=f"{zh}不能使用正号")
    return n


def not_(a):
    return not a


def _ordering(a, b, compare):
    """Ordering with blank -> False; dates compare with datetimes; mixed types are an error."""
    if a is None or b is None:
        return False
    try:
        return compare(a, b)
    except TypeError:
        pass
    if isinstance(a, datetime.date) and isinstance(b, datetime.date):
        return compare(as_date(a), as_date(b))
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return compare(na, nb)
    ea, za = kind(a)
    eb, zb = kind(b)
    raise FormulaError(f"cannot compare {ea} with {eb}", zh=f"{za}和{zb}不能比较大小")


def lt(a, b):
    if a is None or b is None:
        return False
    if type(a) in NUM and type(b) in NUM:
        return a < b
    return _ordering(a, b, lambda x, y: x < y)


def le(a, b):
    if a is None or b is None:
        return False
    if type(a) in NUM and type(b) in NUM:
        return a <= b
    return _ordering(a, b, lambda x, y: x <= y)


def gt(a, b):
    if a is None or b is None:
        return False
    if type(a) in NUM and type(b) in NUM:
        return a > b
    return _ordering(a, b, lambda x, y: x > y)


def ge(a, b):
    if a is None or b is None:
        return False
    if type(a) in NUM and type(b) in NUM:
        return a >= b
    return _ordering(a, b, lambda x, y: x >= y)


def eq(a, b):
    return a == b


def ne(a, b):
    return a != b


def contains(item, container):
    """``item in container``: membership in a list, substring in text; a blank container is empty."""
    if container is None:
        return False
    if isinstance(container, str):
        if item is None:
            return False
        if not isinstance(item, str):
            en, zh = kind(item)
            raise FormulaError(f"'in' with text on the right needs text on the left, got {en}",
                               zh=f"'in' 右边是文本时，左边也必须是文本，实际是{zh}")
        return item in container
    if isinstance(container, (list, tuple)):
        return item in container
    en, zh = kind(container)
    raise FormulaError(f"'in' needs a list or text on the right, got {en}",
                       zh=f"'in' 右边必须是列表或文本，实际是{zh}")


def not_contains(item, container):
    return not contains(item, container)


#: simpleeval's operator table: ast operator type -> function.
OPERATORS = {
    ast.Add: add, ast.Sub: sub, ast.Mult: mul, ast.Div: div, ast.FloorDiv: floordiv,
    ast.Mod: mod, ast.Pow: power,
    ast.USub: neg, ast.UAdd: pos, ast.Not: not_,
    ast.Eq: eq, ast.NotEq: ne, ast.Lt: lt, ast.LtE: le, ast.Gt: gt, ast.GtE: ge,
    ast.In: contains, ast.NotIn: not_contains,
}
