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
from typing import Any, Callable, Mapping

from .formula import compile_formula
from .formula.functions import BUILTIN_FUNCTIONS
from .formula.operators import OPERATORS
from .formula.values import from_float, get_field

Compiled = Callable[[Mapping, Any], Any]


def compile_fast(text: str, functions: Mapping[str, Any], links: frozenset = frozenset()) -> Compiled:
    """The closure for formula `text` with the caller's `functions` (bound now: compile again for
    other functions, e.g. another metadata's LOOKUP); `links` are the names whose attributes read a
    linked record (``ctx.linked``)."""
    return _Compiler(functions, links).node(compile_formula(text)._body)


class _Ctx:
    """What a lazy function's evaluate callback needs: the env and the caller's context."""
    __slots__ = ("today",)

    def __init__(self, today):
        self.today = today


class _Compiler:
    def __init__(self, functions: Mapping[str, Any], links: frozenset):
        self.functions, self.links = functions, links

    def node(self, n) -> Compiled:
        t = type(n)
        if t is ast.Constant:
            value = n.value
            return lambda env, ctx: value
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
            return lambda env, ctx: op(left(env, ctx), right(env, ctx))
        if t is ast.UnaryOp:
            op, operand = OPERATORS[type(n.op)], self.node(n.operand)
            return lambda env, ctx: op(operand(env, ctx))
        if t is ast.Compare:
            return self.compare(n)
        if t is ast.BoolOp:
            parts = [self.node(v) for v in n.values]
            if isinstance(n.op, ast.And):
                return lambda env, ctx: all(p(env, ctx) for p in parts)
            return lambda env, ctx: any(p(env, ctx) for p in parts)
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

    def compare(self, n) -> Compiled:
        first = self.node(n.left)
        rest = [(OPERATORS[type(op)], self.node(c)) for op, c in zip(n.ops, n.comparators)]
        if len(rest) == 1:
            (op, right), = rest
            return lambda env, ctx: op(first(env, ctx), right(env, ctx))

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
        if spec is not None and spec.mode == "context":
            return lambda env, ctx: fn(_Ctx(ctx.today), *[a(env, ctx) for a in args])
        if spec is not None:
            return lambda env, ctx: fn(*[a(env, ctx) for a in args])

        def plugin(env, ctx):
            result = fn(*[a(env, ctx) for a in args])
            return from_float(result) if type(result) is float else result
        return plugin
