"""Parse formula text into a checked, evaluation-ready syntax tree.

The language is a safe subset of Python expressions. Parsing rejects everything outside it with a
message that says what to write instead, collects the names, attributes and functions used, and
turns number literals into ``Decimal`` from their source text (``0.1`` is exactly ``Decimal('0.1')``).
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from simpleeval import DISALLOW_METHODS

from .errors import FormulaSyntaxError

MAX_FORMULA_LENGTH = 10_000
MAX_DEPTH = 100
MAX_NUMBER_LENGTH = 40

#: Names that are constants, not fields.
CONSTANTS = {"true": True, "false": False, "TRUE": True, "FALSE": False}

_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_ALLOWED_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)

_BINOP_ADVICE = {
    ast.BitAnd: ("'&' is not supported: to join text use CONCAT(a, b); for logic use 'and'",
                 "不支持 '&'：连接文本请用 CONCAT(a, b)，逻辑与请用 and"),
    ast.BitOr: ("'|' is not supported: for logic use 'or'", "不支持 '|'：逻辑或请用 or"),
    ast.BitXor: ("'^' is not a power: for powers use '**' (a ** b)", "'^' 不是乘方：乘方请用 '**'（a ** b）"),
    ast.LShift: ("'<<' is not supported", "不支持 '<<'"),
    ast.RShift: ("'>>' is not supported", "不支持 '>>'"),
    ast.MatMult: ("'@' is not supported", "不支持 '@'"),
}

_NODE_ADVICE = {
    ast.Lambda: ("lambda is not allowed in formulas", "公式中不允许使用 lambda"),
    ast.ListComp: ("comprehensions are not allowed: use SUM(rows.column), COUNT(rows) and similar",
                   "不允许使用推导式：请用 SUM(明细.列)、COUNT(明细) 等函数"),
    ast.NamedExpr: ("':=' assigns; to compare use '=='", "':=' 是赋值；比较请用 '=='"),
    ast.JoinedStr: ("f-strings are not allowed: use CONCAT(...)", "不允许使用 f 字符串：请用 CONCAT(...)"),
    ast.Subscript: ("indexing with [...] is not supported", "不支持用 [...] 取下标"),
    ast.IfExp: ("use IF(condition, value_if_true, value_if_false)", "请用 IF(条件, 真值, 假值)"),
    ast.Dict: ("{...} is not supported", "不支持 {...}"),
    ast.Set: ("{...} is not supported", "不支持 {...}"),
    ast.Starred: ("'*' unpacking is not allowed", "不允许使用 '*' 展开"),
    ast.Await: ("'await' is not allowed", "不允许使用 await"),
    ast.Yield: ("'yield' is not allowed", "不允许使用 yield"),
    ast.YieldFrom: ("'yield' is not allowed", "不允许使用 yield"),
    ast.Slice: ("indexing with [...] is not supported", "不支持用 [...] 取下标"),
}
for _comp in (ast.SetComp, ast.DictComp, ast.GeneratorExp):
    _NODE_ADVICE[_comp] = _NODE_ADVICE[ast.ListComp]

_FULLWIDTH = {"（": "(", "）": ")", "，": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "＝": "=",
              "＞": ">", "＜": "<", "！": "!", "＋": "+", "－": "-", "＊": "*", "／": "/", "：": ":",
              "；": ";", "【": "[", "】": "]", "　": " ", "。": "."}
_STATEMENT = re.compile(r"^\s*(import|from|def|class|for|while|with|try|return|del|global|nonlocal|"
                        r"raise|assert|pass|if|print)\b")
_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


class Parsed(NamedTuple):
    body: ast.AST
    names: tuple          # in order of first use
    attributes: frozenset
    functions: frozenset
    calls: tuple          # (function name, argument count) for each call


def _error(text, problems):
    en, zh = problems[0]
    return FormulaSyntaxError(en, zh=zh, text=text, problems=problems)


def _diagnose(text: str, e: SyntaxError) -> tuple[str, str]:
    """Turn Python's syntax error into advice for a spreadsheet user."""
    msg = e.msg or "invalid syntax"
    m = re.match(r"invalid character '(.)'", msg)
    if m and m.group(1) in _FULLWIDTH:
        ch = m.group(1)
        return (f"full-width '{ch}' in the formula: use '{_FULLWIDTH[ch]}' instead",
                f"公式中有全角符号 '{ch}'：请改用半角 '{_FULLWIDTH[ch]}'")
    code = _STRING.sub('""', text)
    if "<>" in code:
        return "'<>' is not supported: to test 'not equal' use '!='", "不支持 '<>'：不等于请用 '!='"
    if "&&" in code or "||" in code:
        return "'&&' and '||' are not supported: use 'and' / 'or'", "不支持 '&&' 和 '||'：请用 and / or"
    m = re.search(r"(?:^|[(,])\s*(if|and|or|not)\s*\(", code)
    if m:
        up = m.group(1).upper()
        return (f"function names are upper-case: write {up}(...)", f"函数名要大写：请写 {up}(...)")
    if _STATEMENT.match(code) or ";" in code:
        return ("a formula is a single expression: statements such as 'import' or several "
                "statements are not allowed", "公式只能是一个表达式：不允许 import 等语句或多条语句")
    if re.search(r"(?<![=!<>:])=(?!=)", code):
        return "'=' assigns; to compare use '=='", "'=' 是赋值；比较请用 '=='"
    if "was never closed" in msg:
        return ("a bracket '(' is never closed: add ')'", "括号 '(' 没有闭合：请补上 ')'")
    if "unterminated string" in msg:
        return ("a text in quotes is never closed: add the closing quote",
                "引号中的文本没有闭合：请补上结尾的引号")
    col = e.offset or 0
    if col <= 0 or col > len(text):
        return ("the formula ends too early: something is missing at the end",
                "公式不完整：末尾缺少内容")
    return (f"syntax error at column {col}: {msg}", f"公式语法错误（第 {col} 列）：{msg}")


class _Checker(ast.NodeVisitor):
    """Collect every problem and every name, attribute and function used."""

    def __init__(self, text):
        self.text = text
        self.problems: list[tuple[str, str]] = []
        self.names: dict[str, None] = {}
        self.attributes: set = set()
        self.functions: set = set()
        self.calls: list = []

    def problem(self, en, zh):
        if (en, zh) not in self.problems:
            self.problems.append((en, zh))

    def generic_visit(self, node):
        advice = _NODE_ADVICE.get(type(node))
        if advice:  # the whole construct is rejected; its parts need no separate report
            self.problem(*advice)
            return
        name = type(node).__name__
        self.problem(f"'{name}' is not allowed in a formula", f"公式中不允许使用 {name}")
        super().generic_visit(node)

    def visit_Expression(self, node):
        self.visit(node.body)

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, complex):
            self.problem("imaginary numbers (such as 1j) are not allowed", "不允许使用虚数（如 1j）")
        elif isinstance(v, (bytes, type(...))):
            self.problem(f"{v!r} is not allowed in a formula", f"公式中不允许使用 {v!r}")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            src = ast.get_source_segment(self.text, node) or ""
            if len(src) > MAX_NUMBER_LENGTH:
                self.problem(f"number too long: at most {MAX_NUMBER_LENGTH} characters",
                             f"数字太长：最多 {MAX_NUMBER_LENGTH} 个字符")

    def visit_Name(self, node):
        if node.id.startswith("__"):
            self.problem(f"names starting with '__' are not allowed ({node.id})",
                         f"不允许使用以 '__' 开头的名称（{node.id}）")
        elif node.id not in CONSTANTS:
            self.names.setdefault(node.id, None)

    def visit_Attribute(self, node):
        if node.attr.startswith("_") or node.attr in DISALLOW_METHODS:
            self.problem(f"access to '{node.attr}' is not allowed",
                         f"不允许访问 '{node.attr}'")
        if isinstance(node.value, ast.Name):
            self.attributes.add((node.value.id, node.attr))
        self.visit(node.value)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name):
            fname = node.func.id
            self.functions.add(fname)
            self.calls.append((fname, len(node.args)))
            if fname.startswith("_"):
                self.problem(f"function '{fname}' is not allowed", f"不允许使用函数 '{fname}'")
        elif isinstance(node.func, ast.Attribute):
            self.problem(f"methods such as .{node.func.attr}() are not supported: use the formula "
                         "functions (LEN, CONCAT, CONTAINS, ...)",
                         f"不支持 .{node.func.attr}() 这样的方法：请用公式函数（LEN、CONCAT、CONTAINS 等）")
            self.visit(node.func.value)
        else:
            self.problem("only named functions such as SUM(...) can be called",
                         "只能调用有名称的函数，例如 SUM(...)")
            self.visit(node.func)
        if node.keywords:
            kw = node.keywords[0].arg or "**"
            self.problem(f"named arguments ({kw}=...) are not supported: give arguments in order",
                         f"不支持命名参数（{kw}=...）：请按顺序给出参数")
        for a in node.args:
            self.visit(a)
        for k in node.keywords:
            self.visit(k.value)

    def visit_BinOp(self, node):
        if not isinstance(node.op, _ALLOWED_BINOPS):
            self.problem(*_BINOP_ADVICE.get(type(node.op), ("operator not supported", "不支持该运算符")))
        elif isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and \
                isinstance(node.right.value, (int, float)) and abs(node.right.value) > 100:
            self.problem("power too large: the exponent may be at most 100", "幂太大：指数最大为 100")
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Invert):
            self.problem("'~' is not supported: for logic use 'not'", "不支持 '~'：逻辑非请用 not")
        self.visit(node.operand)

    def visit_BoolOp(self, node):
        for v in node.values:
            self.visit(v)

    def visit_Compare(self, node):
        for op in node.ops:
            if isinstance(op, (ast.Is, ast.IsNot)):
                self.problem("'is' is not supported: use '==' / '!=' or ISBLANK(x)",
                             "不支持 'is'：请用 '==' / '!=' 或 ISBLANK(x)")
        self.visit(node.left)
        for c in node.comparators:
            self.visit(c)

    def visit_List(self, node):
        for e in node.elts:
            self.visit(e)

    visit_Tuple = visit_List


def _depth(node, limit) -> int:
    """Depth of the tree, stopping early once past ``limit``."""
    best = 0
    for child in ast.iter_child_nodes(node):
        best = max(best, _depth(child, limit - 1))
        if best > limit:
            break
    return best + 1


class _Decimalize(ast.NodeTransformer):
    """Number literals -> Decimal from their source text (ints stay int); true/false -> bool."""

    def __init__(self, text):
        self.text = text

    def visit_Constant(self, node):
        v = node.value
        if isinstance(v, float):
            src = (ast.get_source_segment(self.text, node) or "").strip()
            try:
                value = Decimal(src)
            except InvalidOperation:
                value = Decimal(repr(v))
            return ast.copy_location(ast.Constant(value), node)
        return node

    def visit_Name(self, node):
        if node.id in CONSTANTS:
            return ast.copy_location(ast.Constant(CONSTANTS[node.id]), node)
        return node


def parse(text) -> Parsed:
    """Parse and check ``text``; raise FormulaSyntaxError listing every problem found."""
    if not isinstance(text, str):
        raise FormulaSyntaxError(f"a formula must be text, not {type(text).__name__}",
                                 zh="公式必须是文本", text=None)
    if not text.strip():
        raise _error(text, [("the formula is empty", "公式为空")])
    if len(text) > MAX_FORMULA_LENGTH:
        raise _error(text, [(f"the formula is longer than {MAX_FORMULA_LENGTH} characters",
                             f"公式超过 {MAX_FORMULA_LENGTH} 个字符")])
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        raise _error(text, [_diagnose(source, e)]) from None
    except (RecursionError, MemoryError, ValueError):
        raise _error(text, [("the formula is nested too deeply", "公式嵌套太深")]) from None
    if _depth(tree, MAX_DEPTH) > MAX_DEPTH:
        raise _error(text, [("the formula is nested too deeply", "公式嵌套太深")])
    checker = _Checker(source)
    checker.visit(tree)
    if checker.problems:
        raise _error(text, checker.problems)
    body = _Decimalize(source).visit(tree).body
    return Parsed(body, tuple(checker.names), frozenset(checker.attributes),
                  frozenset(checker.functions), tuple(checker.calls))
