"""Static checks of a formula against the fields and functions available where it is used."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from .errors import FormulaSyntaxError
from .formula import compile_formula
from .functions import BUILTIN_FUNCTIONS


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    if word.upper() != word and word.upper() in choices:
        return word.upper()
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _problems(text, names, functions) -> list[tuple[str, str]]:
    try:
        f = compile_formula(text)
    except FormulaSyntaxError as e:
        return list(e.problems)
    out: list[tuple[str, str]] = []
    extra = functions if functions is not None else ()
    allowed_functions = set(BUILTIN_FUNCTIONS) | set(extra)

    for fname in sorted(f.functions - allowed_functions):
        hint = _suggest(fname, allowed_functions)
        out.append((f"unknown function '{fname}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                    f"未知函数 '{fname}'" + (f"（是不是 '{hint}'？）" if hint else "")))

    seen = set()
    for fname, count in f.calls:
        fn = BUILTIN_FUNCTIONS.get(fname)
        if isinstance(extra, Mapping) and fname in extra:
            fn = extra[fname]
        spec = getattr(fn, "formula_spec", None)
        bad = spec.arity_error(count) if spec is not None else None
        if bad and bad not in seen:
            seen.add(bad)
            out.append(bad)

    allowed_names = None if names is None else set(names)
    for name in f.ordered_names:
        if name in allowed_functions and (allowed_names is None or name not in allowed_names):
            out.append((f"'{name}' is a function: call it like {name}(...)",
                        f"'{name}' 是函数：请写成 {name}(...)"))
        elif allowed_names is not None and name not in allowed_names:
            hint = _suggest(name, allowed_names)
            out.append((f"unknown field '{name}'" + (f" (did you mean '{hint}'?)" if hint else ""),
                        f"未知字段 '{name}'" + (f"（是不是 '{hint}'？）" if hint else "")))
    return out


def check_formula(text, names=None, functions=None, *, lang: str = "en") -> list[str]:
    """Every problem with ``text`` as human messages ([] if fine); never raises.

    ``names``: the allowed top-level names (set or Mapping; None skips the check). For ``a.b``
    only ``a`` is checked. ``functions``: function names available in addition to the built-ins
    (set or Mapping, e.g. ``{"LOOKUP"}``). ``lang``: ``"en"`` or ``"zh"``.
    """
    try:
        problems = _problems(text, names, functions)
    except Exception as e:  # never raise: report instead
        problems = [(f"cannot check the formula: {e}", f"无法检查公式：{e}")]
    i = 1 if lang == "zh" else 0
    return [p[i] for p in problems]
