"""Errors the engines raise for people: each carries messages in Chinese and English."""
from __future__ import annotations

Message = dict  # {"zh": ..., "en": ...}


def msg(zh: str, en: str) -> Message:
    return {"zh": zh, "en": en}


class DanbaoError(Exception):
    message: Message = msg("操作失败", "The operation failed")

    def __init__(self, message: Message | None = None):
        if message is not None:
            self.message = message
        super().__init__(self.message["en"])


class ValidationError(DanbaoError):
    """Invalid input: `errors` maps a field path ("name", "shareholders.2.share", "" for the record)
    to a list of messages. Nothing was written."""

    def __init__(self, errors: dict[str, list[Message]]):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(msg(f"{len(errors)} 处输入有误", f"{len(errors)} input error(s): {first[0]}: "
                             f"{first[1][0]['en']}"))


class ConflictError(DanbaoError):
    """The record changed since it was read; `changes` lists what the other save changed."""

    def __init__(self, current_version: int, changes: dict, by: str | None):
        self.current_version, self.changes, self.by = current_version, changes, by
        super().__init__(msg(f"记录已被{by or '他人'}修改(当前版本 {current_version}),请刷新后重试",
                             f"The record was changed by {by or 'someone else'} (now version "
                             f"{current_version}); reload and try again"))


class PermissionDenied(DanbaoError):
    message = msg("没有权限", "Permission denied")


class NotFound(DanbaoError):
    message = msg("记录不存在", "Record not found")
