"""The engine's two exceptions and the words used to describe values in messages.

Every message exists in English (``str(error)``) and Chinese (``error.zh``) and says what to
write instead, because the reader is a spreadsheet user, not a programmer.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal


class FormulaError(Exception):
    """A formula could not be compiled or evaluated.

    ``str(e)`` is an English message, ``e.zh`` the Chinese one, ``e.text`` the formula (filled in
    by the engine when it is known).
    """

    def __init__(self, message: str, *, zh: str | None = None, text: str | None = None):
        super().__init__(message)
        self.message = message
        self.zh = zh if zh is not None else message
        self.text = text


class FormulaSyntaxError(FormulaError):
    """The formula is not a valid expression of the formula language.

    ``problems`` lists every problem found as ``(english, chinese)`` pairs; the exception's own
    message is the first of them.
    """

    def __init__(self, message: str, *, zh: str | None = None, text: str | None = None,
                 problems: list[tuple[str, str]] | None = None):
        super().__init__(message, zh=zh, text=text)
        self.problems = problems if problems is not None else [(message, self.zh)]


def kind(value) -> tuple[str, str]:
    """Describe the type of a value for a message: ``(english, chinese)``."""
    if value is None:
        return "blank", "空值"
    if isinstance(value, bool):
        return "true/false", "是/否"
    if isinstance(value, (int, Decimal, float)):
        return "a number", "数字"
    if isinstance(value, str):
        return "text", "文本"
    if isinstance(value, datetime.date):
        return "a date", "日期"
    if isinstance(value, Mapping):
        return "a record", "记录"
    if isinstance(value, (list, tuple)):
        return "a list", "列表"
    return type(value).__name__, type(value).__name__
