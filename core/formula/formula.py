"""Compiled formulas and the compile cache."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from functools import lru_cache

from .errors import FormulaError
from .evaluator import evaluator
from .parser import parse

CACHE_SIZE = 4096


class Formula:
    """A parsed formula: parse once, evaluate many times (thread-safe, immutable)."""

    __slots__ = ("text", "names", "attributes", "functions", "calls", "ordered_names", "_body")

    def __init__(self, text: str):
        parsed = parse(text)
        self.text = text
        self._body = parsed.body
        self.ordered_names = parsed.names          # top-level names in order of first use
        self.names = frozenset(parsed.names)       # top-level names (not functions, not true/false)
        self.attributes = parsed.attributes        # {(name, field)} for name.field
        self.functions = parsed.functions          # function names called, as written
        self.calls = parsed.calls                  # ((function, argument count), ...)

    def evaluate(self, values: Mapping | None, *, functions: Mapping | None = None,
                 today: datetime.date | None = None):
        """The formula's value for ``values``; raises FormulaError (with ``.text`` set)."""
        try:
            return evaluator().run(self._body, self.text, values, functions, today)
        except FormulaError as e:
            if e.text is None:
                e.text = self.text
            raise
        except RecursionError:
            raise FormulaError("the formula is nested too deeply", zh="公式嵌套太深",
                               text=self.text) from None
        except (ZeroDivisionError, decimal.DivisionByZero):
            raise FormulaError("division by zero", zh="除数为零", text=self.text) from None
        except decimal.Overflow:
            raise FormulaError("number too large", zh="数字太大", text=self.text) from None
        except decimal.InvalidOperation:
            raise FormulaError("invalid calculation (for example a root of a negative number)",
                               zh="无效的计算（例如负数开方）", text=self.text) from None
        except (ArithmeticError, TypeError, ValueError) as e:
            raise FormulaError(f"cannot evaluate: {e}", zh=f"无法计算：{e}", text=self.text) from None

    def __repr__(self):
        return f"Formula({self.text!r})"


@lru_cache(maxsize=CACHE_SIZE)
def _compile(text: str) -> Formula:
    return Formula(text)


def compile_formula(text: str) -> Formula:
    """The compiled formula for ``text`` (cached by text); raises FormulaSyntaxError."""
    if type(text) is not str:
        parse(text)  # raises the readable "must be text" error
    return _compile(text)
