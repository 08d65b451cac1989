"""A rule's message filled from a record: each `{{ formula }}` replaced by the formula's value.

Values are written for people: amounts with thousands separators (1,250,000.00), dates as
2026-03-15, true/false as 是/否 (yes/no in English), lists joined with "、" (", "), blank as "".
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from decimal import Decimal
from typing import Any, Callable, Mapping

from metadata.rule import PLACEHOLDER

from ..formula import compile_formula

YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def show(value: Any, locale: str = "zh") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        yes, no = YES_NO.get(locale, YES_NO["en"])
        return yes if value else no
    if isinstance(value, (int, Decimal)):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ("、" if locale == "zh" else ", ").join(show(v, locale) for v in value)
    return str(value)


def render(message: Mapping[str, str], env: Mapping[str, Any], *, functions=None, today=None,
           run: Callable[[str, Mapping], Any] | None = None) -> dict[str, str]:
    """{locale: text}; raises FormulaError when a placeholder's formula fails (the rule's error).
    `run(text, env)` evaluates a placeholder (the scan's compiled formulas); by default the engine."""
    if run is None:
        def run(text, values):
            return compile_formula(text).evaluate(values, functions=functions, today=today)
    return {locale: "".join(part if i % 2 == 0 else show(run(part, env), locale)
                            for i, part in enumerate(pieces(template)))
            for locale, template in message.items()}


@lru_cache(maxsize=1024)
def pieces(template: str) -> tuple[str, ...]:
    """The template split once: literal text at even places, placeholder formulas at odd ones."""
    parts = PLACEHOLDER.split(template)
    return tuple(p.strip() if i % 2 else p for i, p in enumerate(parts))
