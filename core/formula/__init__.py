"""The formula engine: one safe expression language for computed fields, conditions, scores and
rules (see docs/formulas.md).

A leaf package: it imports nothing else of this project.

    f = compile_formula("amount * rate / 100")      # parsed once, cached by text
    f.evaluate({"amount": Decimal("1000"), "rate": 2})   # Decimal('20')
    check_formula("amout > 0", names={"amount"})    # ["unknown field 'amout' (did you mean 'amount'?)"]

Modules: ``parser`` (text -> checked tree), ``evaluator`` (tree -> value, via simpleeval),
``operators`` (blank-aware arithmetic and comparison), ``functions`` (built-ins),
``values`` (decimals, blanks, fields), ``formula`` (compiled formulas, cache), ``check`` (static
checks), ``errors``.
"""

from .check import check_formula
from .errors import FormulaError, FormulaSyntaxError
from .formula import Formula, compile_formula
from .functions import BUILTIN_FUNCTIONS, FunctionSpec

__all__ = ["BUILTIN_FUNCTIONS", "Formula", "FormulaError", "FormulaSyntaxError", "FunctionSpec",
           "check_formula", "compile_formula"]
