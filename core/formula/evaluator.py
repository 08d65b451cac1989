"""Evaluate a parsed formula: a simpleeval evaluator with blank-aware operators.

simpleeval supplies the dispatch (node type -> handler), binary/unary/comparison evaluation
through its operator table (ours, from ``operators.py``) and its safety lists. We replace the
handlers whose meaning differs in the formula language: names and fields (missing -> blank),
function calls (arity checks, lazy IF/AND/OR/COALESCE, injected TODAY), and/or (True/False).

The per-node ``_check_disallowed_items`` scan of simpleeval is skipped: the parser admits no
attribute access except record fields (read with ``Mapping.get``, never ``getattr``) and only
functions from the built-in table or the caller's ``functions`` can be called, so no module or
Python object can be reached. One evaluator lives per thread; ``run`` saves and restores its
state so a function may itself evaluate a formula.
"""

from __future__ import annotations

import ast
import threading

from simpleeval import SimpleEval

from .errors import FormulaError
from .functions import BUILTIN_FUNCTIONS
from .operators import OPERATORS
from .values import from_float, get_field

_BUILTINS = dict(BUILTIN_FUNCTIONS)


class Evaluator(SimpleEval):
    def __init__(self):
        super().__init__(operators=dict(OPERATORS), functions={}, names={})
        self.extra = None   # caller's functions (Mapping) or None
        self.today = None   # injected date for TODAY()
        self.nodes = {
            ast.Constant: self._eval_constant,
            ast.Name: self._eval_name,
            ast.Attribute: self._eval_attribute,
            ast.BinOp: self._eval_binop,
            ast.UnaryOp: self._eval_unaryop,
            ast.Compare: self._eval_compare,
            ast.BoolOp: self._eval_boolop,
            ast.Call: self._eval_call,
            ast.List: self._eval_list,
            ast.Tuple: self._eval_list,
        }

    def run(self, body, text, values, functions, today):
        saved = self.names, self.extra, self.today, self.expr
        self.names = values if values is not None else {}
        self.extra = functions or None
        self.today = today
        self.expr = text
        try:
            return self._eval(body)
        finally:
            self.names, self.extra, self.today, self.expr = saved

    def _eval(self, node):
        return self.nodes[type(node)](node)

    @staticmethod
    def _eval_constant(node):
        return node.value

    def _eval_name(self, node):
        v = self.names.get(node.id)
        return from_float(v) if type(v) is float else v

    def _eval_attribute(self, node):
        return get_field(self._eval(node.value), node.attr, node)

    def _eval_boolop(self, node):
        if isinstance(node.op, ast.And):
            for v in node.values:
                if not self._eval(v):
                    return False
            return True
        for v in node.values:
            if self._eval(v):
                return True
        return False

    def _eval_list(self, node):
        return [self._eval(e) for e in node.elts]

    def _eval_call(self, node):
        name = node.func.id
        fn = None
        if self.extra is not None:
            fn = self.extra.get(name)
        if fn is None:
            fn = _BUILTINS.get(name)
            if fn is None:
                raise FormulaError(f"unknown function '{name}'", zh=f"未知函数 '{name}'")
        spec = getattr(fn, "formula_spec", None)
        if spec is not None:
            bad = spec.arity_error(len(node.args))
            if bad:
                raise FormulaError(bad[0], zh=bad[1])
            if spec.mode == "lazy":
                return fn(self._eval, node.args)
            args = [self._eval(a) for a in node.args]
            if spec.mode == "context":
                return fn(self, *args)
            return fn(*args)
        args = [self._eval(a) for a in node.args]
        try:
            result = fn(*args)
        except FormulaError:
            raise
        except Exception as e:  # a caller's function failed: name it, hide the traceback
            raise FormulaError(f"{name}: {e}", zh=f"函数 {name} 出错：{e}") from e
        return from_float(result) if type(result) is float else result


_local = threading.local()


def evaluator() -> Evaluator:
    """This thread's evaluator."""
    try:
        return _local.evaluator
    except AttributeError:
        ev = _local.evaluator = Evaluator()
        return ev
