"""Formulas compiled to Python closures, for the demo-data generator's bulk mode (core.demo_bulk).

The formula language is evaluated by ``core.formula`` (a simpleeval evaluator walking the parsed
tree on every call). Bulk generation evaluates the same few dozen formulas millions of times, so
here each parsed tree is turned once into nested closures that call the very same operator table
(``core.formula.operators.OPERATORS``), built-in functions (``BUILTIN_FUNCTIONS``, lazy ones fed
an ``evaluate(node)`` callback), ``get_field`` and ``from_float``: the same semantics without the
per-node dispatch.

A compiled formula is ``fn(env, ctx)``: ``env`` the record's values, ``ctx`` an object with
``today`` (for TODAY()) and ``linked(name, value)`` (a link field's value -> the linked record, as
``core.compute.Evaluator`` swaps it in for ``customer.name``). Anything unexpected raises; the
caller then falls back to ``core.compute.Evaluator`` for that record, which reports errors as the
store does. Bulk mode also re-checks a sample of records against ``core.validate.evaluate``.
"""
from __future__ import annotations

import ast
import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

from .formula import compile_formula
from .formula.functions import BUILTIN_FUNCTIONS
from .formula.operators import OPERATORS
from .formula.values import from_float, get_field

Compiled = Callable[[Mapping, Any], Any]


# functions of the caller's that give the same answer for the same arguments while the closures
# live (they are bound to one metadata): calls of them with constant arguments are folded
PURE = frozenset({"LOOKUP"})
# values a folded constant may hold (never a list: the engine builds a new one each time)
IMMUTABLE = (type(None), bool, int, str, Decimal, datetime.date)


def compile_fast(text: str, functions: Mapping[str, Any], links: frozenset = frozenset()) -> Compiled:
    """The closure for formula `text` with the caller's `functions` (bound now: compile again for
    other functions, e.g. another metadata's LOOKUP); `links` are the names whose attributes read a
    linked record (``ctx.linked``). Parts whose inputs are all constants (`LOOKUP("warning_threshold",
    "overdue", "days")`, `100 * 0.7`) are computed once, here; one that raises stays a closure, so
    the error still comes when the formula runs."""
    return _Compiler(functions, links).node(compile_formula(text)._body)


def _constant(value) -> Compiled:
    def constant(env, ctx):
        return value
    constant.constant = value
    return constant


def _folded(fn: Compiled, *parts: Compiled) -> Compiled:
    """`fn` computed now when every part is a constant and the value is one too."""
    if not all(hasattr(p, "constant") for p in parts):
        return fn
    try:
        value = fn({}, None)
    except Exception:  # noqa: BLE001 - it raises when run, as the engine does
        return fn
    return _constant(value) if isinstance(value, IMMUTABLE) else fn


class _Compiler:
    def __init__(self, functions: Mapping[str, Any], links: frozenset):
        self.functions, self.links = functions, links

    def node(self, n) -> Compiled:
        t = type(n)
        if t is ast.Constant:
            return _constant(n.value)
        if t is ast.Name:
            name = n.id

            def name_(env, ctx):
                v = env.get(name)
                return from_float(v) if type(v) is float else v
            return name_
        if t is ast.Attribute:
            return self.attribute(n)
        if t is ast.BinOp:
            op, left, right = OPERATORS[type(n.op)], self.node(n.left), self.node(n.right)
            return _folded(lambda env, ctx: op(left(env, ctx), right(env, ctx)), left, right)
        if t is ast.UnaryOp:
            operand = self.node(n.operand)
            if isinstance(n.op, ast.Not):
                return _folded(lambda env, ctx: not operand(env, ctx), operand)
            op = OPERATORS[type(n.op)]
            return _folded(lambda env, ctx: op(operand(env, ctx)), operand)
        if t is ast.Compare:
            return self.compare(n)
        if t is ast.BoolOp:
            return self.bool_op(n)
        if t is ast.Call:
            return self.call(n)
        if t in (ast.List, ast.Tuple):
            items = [self.node(e) for e in n.elts]
            return lambda env, ctx: [i(env, ctx) for i in items]
        raise TypeError(f"no fast form for {t.__name__}")

    def attribute(self, n) -> Compiled:
        attr, where = n.attr, ast.unparse(n)
        if type(n.value) is ast.Name and n.value.id in self.links:
            name = n.value.id

            def linked(env, ctx):
                v = env.get(name)
                if isinstance(v, int):
                    v = ctx.linked(name, v)
                elif type(v) is float:
                    v = from_float(v)
                return get_field(v, attr, where)
            return linked
        base = self.node(n.value)
        return lambda env, ctx: get_field(base(env, ctx), attr, where)

    def bool_op(self, n) -> Compiled:
        """`and` / `or` with the engine's result (True or False), stopping at the first part that decides."""
        parts = [self.node(v) for v in n.values]
        both = isinstance(n.op, ast.And)
        if len(parts) == 2:
            a, b = parts
            fn = (lambda env, ctx: bool(a(env, ctx)) and bool(b(env, ctx))) if both else \
                (lambda env, ctx: bool(a(env, ctx)) or bool(b(env, ctx)))
        elif both:
            def fn(env, ctx):
                for p in parts:
                    if not p(env, ctx):
                        return False
                return True
        else:
            def fn(env, ctx):
                for p in parts:
                    if p(env, ctx):
                        return True
                return False
        return _folded(fn, *parts)

    def compare(self, n) -> Compiled:
        first = self.node(n.left)
        rest = [(OPERATORS[type(op)], self.node(c)) for op, c in zip(n.ops, n.comparators)]
        if len(rest) == 1:
            (op, right), = rest
            return _folded(lambda env, ctx: op(first(env, ctx), right(env, ctx)), first, right)

        def chain(env, ctx):
            right, result = first(env, ctx), True
            for op, comp in rest:
                if not result:
                    break
                left, right = right, comp(env, ctx)
                result = op(left, right)
            return result
        return chain

    def call(self, n) -> Compiled:
        name = n.func.id
        fn = self.functions.get(name) if self.functions else None
        if fn is None:
            fn = BUILTIN_FUNCTIONS.get(name)
        if fn is None:
            raise TypeError(f"unknown function {name}")
        spec = getattr(fn, "formula_spec", None)
        if spec is not None and spec.arity_error(len(n.args)):
            raise TypeError(f"arity of {name}")
        args = [self.node(a) for a in n.args]
        if spec is not None and spec.mode == "lazy":
            closures = {id(a): c for a, c in zip(n.args, args)}
            nodes = n.args

            def lazy(env, ctx):
                return fn(lambda node: closures[id(node)](env, ctx), nodes)
            return lazy
        if spec is not None and spec.mode == "context":      # the caller's ctx has `today`
            if not args:
                return lambda env, ctx: fn(ctx)
            return lambda env, ctx: fn(ctx, *[a(env, ctx) for a in args])
        if spec is not None:
            return _folded(_call(fn, args), *args)

        def plugin(env, ctx):
            result = fn(*[a(env, ctx) for a in args])
            return from_float(result) if type(result) is float else result
        return _folded(plugin, *args) if name in PURE else plugin


def _call(fn, args: list) -> Compiled:
    """fn(*args) without building a list for the common arities."""
    if len(args) == 1:
        a, = args
        return lambda env, ctx: fn(a(env, ctx))
    if len(args) == 2:
        a, b = args
        return lambda env, ctx: fn(a(env, ctx), b(env, ctx))
    return lambda env, ctx: fn(*[a(env, ctx) for a in args])
