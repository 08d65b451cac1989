"""The behaviour of each field type: parsing input, and converting to and from stored JSON.

Every type of the table "Field types" in ``docs/metadata.md`` has a :class:`FieldType` in
:data:`BUILTIN_TYPES`; plugins may pass more to :func:`field_type` as ``extra``.

``parse(raw, field)`` takes what a person or an import gives — a string (whitespace stripped,
``""`` means blank) or an already typed Python value — and returns the Python value or ``None``
(blank), or raises :class:`FieldValueError` with a message in Chinese and English. ``field`` is
duck-typed (attributes read with ``getattr``; a mapping works too); the attributes used are
``precision`` (``decimal``, ``percent``), ``result`` (``computed``, ``rollup``) and, for ``table`` dump/load,
``fields``. It may be ``None``: defaults apply. Membership of codes in code lists, links to live
records, required-ness, bounds and patterns are checked elsewhere.

Python values by type:

================================  ============================  ===============================
type                              Python value                  stored (``dump``) as
================================  ============================  ===============================
text, long_text, id_number, uscc  ``str``                       the same ``str``
phone, email, choice, region,
industry, department
integer                           ``int``                       ``int``
decimal, money, percent           ``Decimal`` (quantized)       canonical string ``"1234.50"``
date                              ``date``                      ``"YYYY-MM-DD"``
datetime                          ``datetime``                  ISO 8601 string
boolean                           ``bool``                      ``bool``
multichoice                       ``list[str]``                 list of str
link, user                        ``int`` (positive id)         ``int``
attachment                        ``list[dict]``                list of dicts
table                             ``list[dict]``                list of dicts (typed per column
                                                                when ``field.fields`` is given)
computed                          per ``field.result``          per ``field.result``
rollup                            per ``field.result``          per ``field.result``
================================  ============================  ===============================

``dump(value, field=None)`` and ``load(stored, field=None)`` round-trip exactly; ``None`` stays
``None``. Floats are never produced: a float given to a decimal type goes through
``Decimal(str(x))``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from core import checksums

__all__ = [
    "FieldType", "FieldValueError", "BUILTIN_TYPES", "COMPUTED_RESULTS", "field_type",
    "storage_of", "parse_value", "dump_value", "load_value",
]


class FieldValueError(ValueError):
    """A value a field cannot take: ``message`` is ``{"zh": …, "en": …}``, ``str(e)`` English.

    ``key`` is a short machine-readable reason (``"number"``, ``"checksum"``, …).
    """

    def __init__(self, message: Mapping[str, str], key: str | None = None):
        self.message = dict(message)
        self.key = key
        super().__init__(self.message.get("en") or self.message.get("zh", ""))

    def __str__(self) -> str:
        return self.message.get("en") or self.message.get("zh", "")


@dataclass(frozen=True)
class FieldType:
    name: str
    storage: str      # 'text' | 'integer' | 'decimal' | 'date' | 'datetime' | 'boolean' | 'json'
    parse: Callable   # parse(raw, field) -> Python value or None; raises FieldValueError
    dump: Callable    # dump(value, field=None) -> JSON-storable
    load: Callable    # load(stored, field=None) -> Python value


# ------------------------------------------------------------------------------ helpers

def _attr(field: Any, name: str, default: Any = None) -> Any:
    if field is None:
        return default
    if isinstance(field, Mapping):
        value = field.get(name, default)
    else:
        value = getattr(field, name, default)
    return default if value is None else value


def _err(key: str, zh: str, en: str) -> FieldValueError:
    return FieldValueError({"zh": zh, "en": en}, key)


def _clean(raw: Any) -> Any:
    """Strip strings; blank strings become None. Other values pass unchanged."""
    if isinstance(raw, str):
        raw = raw.strip()
        return raw or None
    return raw


def _nfkc(s: str) -> str:
    """Full-width digits, letters and punctuation (１２３，％￥) to their ASCII forms."""
    return unicodedata.normalize("NFKC", s)


def _wrong_kind(expected_zh: str, expected_en: str) -> FieldValueError:
    return _err("type", f"应为{expected_zh}", f"Expected {expected_en}")


# ------------------------------------------------------------------------------ numbers

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
_NOT_A_NUMBER = ("number", "不是有效的数字", "Not a valid number")


def _decimal_from_text(s: str) -> Decimal:
    s = _nfkc(s).strip()
    if _GROUPED_NUMBER.fullmatch(s):
        s = s.replace(",", "")
    elif not _PLAIN_NUMBER.fullmatch(s):
        raise _err(*_NOT_A_NUMBER)
    return Decimal(s)


def _to_decimal(raw: Any) -> Decimal:
    """A finite Decimal from a number or a numeric string (thousands separators allowed)."""
    if isinstance(raw, bool):
        raise _wrong_kind("数字", "a number")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise _err(*_NOT_A_NUMBER)
        value = Decimal(str(raw))
    elif isinstance(raw, str):
        value = _decimal_from_text(raw)
    else:
        raise _wrong_kind("数字", "a number")
    if not value.is_finite():
        raise _err(*_NOT_A_NUMBER)
    return value


def _quantize(value: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        try:
            result = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            raise _err("too_large", "数值过大", "The number is too large") from None
    if result.adjusted() >= 40:
        raise _err("too_large", "数值过大", "The number is too large")
    return result


def _precision(field: Any) -> int:
    p = _attr(field, "precision", 2)
    try:
        p = int(p)
    except (TypeError, ValueError):
        p = 2
    return min(max(p, 0), 18)


def _parse_decimal(raw: Any, field: Any) -> Decimal | None:
    raw = _clean(raw)
    if raw is None:
        return None
    return _quantize(_to_decimal(raw), _precision(field))


_MONEY_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_MONEY_PREFIXES = ("¥", "RMB", "CNY")


def _parse_money(raw: Any, field: Any) -> Decimal | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if not isinstance(raw, str):
        return _quantize(_to_decimal(raw), 2)
    s = _nfkc(raw).strip()
    sign = ""
    if s[:1] in "+-":
        sign, s = s[0], s[1:].lstrip()
    for prefix in _MONEY_PREFIXES:
        if s.upper().startswith(prefix):
            s = s[len(prefix):].lstrip()
            break
    if s.endswith("元"):
        s = s[:-1].rstrip()
    scale = Decimal(1)
    if s[-1:] in _MONEY_SCALE:
        scale = _MONEY_SCALE[s[-1]]
        s = s[:-1].rstrip()
    if sign and s[:1] in "+-":
        raise _err(*_NOT_A_NUMBER)
    value = _decimal_from_text(sign + s) if s else None
    if value is None:
        raise _err(*_NOT_A_NUMBER)
    return _quantize(value * scale, 2)


def _parse_percent(raw: Any, field: Any) -> Decimal | None:
    raw = _clean(raw)
    if isinstance(raw, str):
        raw = _nfkc(raw).strip()
        if raw.endswith("%"):
            raw = raw[:-1].rstrip()
            if not raw:
                raise _err(*_NOT_A_NUMBER)
    return _parse_decimal(raw, field)


def _dump_decimal(value: Any, field: Any = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or isinstance(value, bool):
        value = _to_decimal(value)
    return format(value, "f")


def _load_decimal(stored: Any, field: Any = None) -> Decimal | None:
    if stored is None:
        return None
    if isinstance(stored, Decimal):
        return stored
    if isinstance(stored, (str, int)) and not isinstance(stored, bool):
        return Decimal(stored)
    raise ValueError(f"not a stored decimal: {stored!r}")


def _parse_integer(raw: Any, field: Any) -> int | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    value = _to_decimal(raw)
    if value != value.to_integral_value():
        raise _err("integer", "应为整数", "Must be a whole number")
    if value.adjusted() >= 40:
        raise _err("too_large", "数值过大", "The number is too large")
    return int(value)


def _dump_int(value: Any, field: Any = None) -> int | None:
    return None if value is None else int(value)


def _load_int(stored: Any, field: Any = None) -> int | None:
    if stored is None:
        return None
    if isinstance(stored, bool):
        raise ValueError(f"not a stored integer: {stored!r}")
    return int(stored)


# ------------------------------------------------------------------------------ dates and times

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_BAD_DATE = ("date", "不是有效的日期（格式：YYYY-MM-DD）", "Not a valid date (format: YYYY-MM-DD)")


def _parse_date(raw: Any, field: Any) -> date | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        if raw.time() != time(0):
            raise _err("date_has_time", "日期不能包含时间", "A date cannot have a time of day")
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise _wrong_kind("日期", "a date")
    s = _nfkc(raw).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if m and all(g.isascii() for g in m.groups()):
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise _err(*_BAD_DATE) from None
    try:                               # "2024-01-05 00:00:00" as spreadsheets export dates
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise _err(*_BAD_DATE) from None
    if dt.time() != time(0) or dt.tzinfo is not None:
        raise _err("date_has_time", "日期不能包含时间", "A date cannot have a time of day")
    return dt.date()


def _dump_date(value: Any, field: Any = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def _load_date(stored: Any, field: Any = None) -> date | None:
    if stored is None:
        return None
    if isinstance(stored, date) and not isinstance(stored, datetime):
        return stored
    return date.fromisoformat(stored)


def _parse_datetime(raw: Any, field: Any) -> datetime | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    if not isinstance(raw, str):
        raise _wrong_kind("日期时间", "a date and time")
    try:
        return datetime.fromisoformat(_nfkc(raw).strip())
    except ValueError:
        raise _err("datetime", "不是有效的日期时间（ISO 8601）",
                   "Not a valid date and time (ISO 8601)") from None


def _dump_datetime(value: Any, field: Any = None) -> str | None:
    return None if value is None else value.isoformat()


def _load_datetime(stored: Any, field: Any = None) -> datetime | None:
    if stored is None:
        return None
    if isinstance(stored, datetime):
        return stored
    return datetime.fromisoformat(stored)


# ------------------------------------------------------------------------------ boolean

_TRUE = {"true", "1", "yes", "y", "on", "t", "是", "真"}
_FALSE = {"false", "0", "no", "n", "off", "f", "否", "假"}


def _parse_boolean(raw: Any, field: Any) -> bool | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, Decimal)) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        s = _nfkc(raw).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise _err("boolean", "应为是或否", "Must be yes or no (true/false)")


def _dump_bool(value: Any, field: Any = None) -> bool | None:
    return None if value is None else bool(value)


def _load_bool(stored: Any, field: Any = None) -> bool | None:
    if stored is None:
        return None
    if not isinstance(stored, bool):
        raise ValueError(f"not a stored boolean: {stored!r}")
    return stored


# ------------------------------------------------------------------------------ text and codes

def _to_text(raw: Any) -> str | None:
    """A stripped string from a string or a number; None for blank."""
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _wrong_kind("文本", "text")
    if isinstance(raw, (int, Decimal)):
        return format(raw, "f") if isinstance(raw, Decimal) else str(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _wrong_kind("文本", "text")
        return str(int(raw)) if raw.is_integer() else str(raw)
    if isinstance(raw, datetime):
        return raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if not isinstance(raw, str):
        raise _wrong_kind("文本", "text")
    return raw


def _no_nul(s: str) -> str:
    if "\x00" in s:
        raise _err("chars", "包含不允许的控制字符", "Contains a forbidden control character")
    return s


def _parse_text(raw: Any, field: Any) -> str | None:
    s = _to_text(raw)
    if s is None:
        return None
    if "\n" in s or "\r" in s:
        raise _err("single_line", "只能填写一行", "Must be a single line")
    return _no_nul(s)


def _parse_long_text(raw: Any, field: Any) -> str | None:
    s = _to_text(raw)
    if s is None:
        return None
    return _no_nul(s.replace("\r\n", "\n").replace("\r", "\n"))


def _parse_code(raw: Any, field: Any) -> str | None:
    s = _to_text(raw)
    if s is None:
        return None
    if "\n" in s or "\r" in s:
        raise _err("code", "不是有效的代码", "Not a valid code")
    return _no_nul(s)


_ID_MESSAGES = {
    "length": ("身份证号码应为18位", "An ID number has 18 characters"),
    "chars": ("身份证号码应为17位数字加1位数字或X", "An ID number is 17 digits followed by a digit or X"),
    "birthdate": ("身份证号码中的出生日期无效", "The birth date in the ID number is not valid"),
    "checksum": ("身份证号码校验位不正确", "The ID number's check digit is wrong"),
}
_USCC_MESSAGES = {
    "length": ("统一社会信用代码应为18位", "A unified social credit code has 18 characters"),
    "chars": ("统一社会信用代码包含无效字符（不使用I、O、Z、S、V）",
              "The unified social credit code has invalid characters (I, O, Z, S, V are not used)"),
    "checksum": ("统一社会信用代码校验位不正确", "The unified social credit code's check character is wrong"),
}
_PHONE_MESSAGES = {
    "format": ("不是有效的手机号码或固定电话号码", "Not a valid mobile or landline number"),
}
_EMAIL_MESSAGES = {
    "format": ("不是有效的电子邮箱地址", "Not a valid e-mail address"),
    "length": ("电子邮箱地址过长", "The e-mail address is too long"),
}


def _compact(raw: Any) -> str | None:
    """Text with full-width characters folded and all inner whitespace removed."""
    s = _to_text(raw)
    if s is None:
        return None
    return re.sub(r"\s+", "", _nfkc(s))


def _parse_id_number(raw: Any, field: Any) -> str | None:
    s = _compact(raw)
    if s is None:
        return None
    s = s.upper()
    problem = checksums.id_number_problem(s)
    if problem:
        raise _err(problem, *_ID_MESSAGES[problem])
    return s


def _parse_uscc(raw: Any, field: Any) -> str | None:
    s = _compact(raw)
    if s is None:
        return None
    s = s.upper()
    problem = checksums.uscc_problem(s)
    if problem:
        raise _err(problem, *_USCC_MESSAGES[problem])
    return s


def _parse_phone(raw: Any, field: Any) -> str | None:
    s = _to_text(raw)
    if s is None:
        return None
    s = _nfkc(s)
    s = re.sub(r"(?<=\+86)\s+", "", s)       # "+86 138…" -> "+86138…"
    s = re.sub(r"\s+", "", s)
    problem = checksums.phone_problem(s)
    if problem:
        raise _err(problem, *_PHONE_MESSAGES[problem])
    return s


def _parse_email(raw: Any, field: Any) -> str | None:
    s = _to_text(raw)
    if s is None:
        return None
    s = _nfkc(s)
    problem = checksums.email_problem(s)
    if problem:
        raise _err(problem, *_EMAIL_MESSAGES[problem])
    local, domain = s.split("@")
    return f"{local}@{domain.lower()}"


def _dump_same(value: Any, field: Any = None) -> Any:
    return value


def _load_str(stored: Any, field: Any = None) -> str | None:
    if stored is None:
        return None
    if not isinstance(stored, str):
        raise ValueError(f"not a stored string: {stored!r}")
    return stored


# ------------------------------------------------------------------------------ lists

_MULTI_SEPARATORS = re.compile(r"[,，、;；]")


def _parse_multichoice(raw: Any, field: Any) -> list[str] | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, str):
        items: list[Any] = _MULTI_SEPARATORS.split(raw)
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise _wrong_kind("选项列表", "a list of options")
    result: list[str] = []
    for item in items:
        if isinstance(item, (list, tuple, dict, set)):
            raise _wrong_kind("选项列表", "a list of options")
        code = _parse_code(item, field)
        if code is not None and code not in result:
            result.append(code)
    return result or None


def _dump_list(value: Any, field: Any = None) -> list | None:
    return None if value is None else list(value)


def _load_list(stored: Any, field: Any = None) -> list | None:
    if stored is None:
        return None
    if not isinstance(stored, list):
        raise ValueError(f"not a stored list: {stored!r}")
    return list(stored)


def _parse_record_id(raw: Any, field: Any) -> int | None:
    raw = _clean(raw)
    if raw is None:
        return None
    bad = _err("record_id", "不是有效的记录编号", "Not a valid record id")
    if isinstance(raw, bool):
        raise bad
    if isinstance(raw, str):
        s = _nfkc(raw).strip()
        if not (s.isascii() and s.isdigit()):
            raise bad
        value = int(s)
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        value = int(raw)
    else:
        raise bad
    if value <= 0 or value >= 2 ** 63:
        raise bad
    return value


_ATTACHMENT_KEYS = {"id": str, "name": str, "size": int, "type": str}
_JSON_SCALARS = (str, int, bool, type(None))


def _parse_attachment(raw: Any, field: Any) -> list[dict] | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        raise _wrong_kind("附件列表", "a list of attachments")
    bad = _err("attachment", "附件信息不完整或格式错误（需要 id、name、size、type）",
               "An attachment must have id, name, size and type")
    result = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise bad
        for key, kind in _ATTACHMENT_KEYS.items():
            value = item.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise bad
        if not item["id"] or not item["name"] or item["size"] < 0:
            raise bad
        for key, value in item.items():
            if not isinstance(key, str) or not isinstance(value, _JSON_SCALARS):
                raise bad
        result.append(dict(item))
    return result or None


def _dump_dicts(value: Any, field: Any = None) -> list | None:
    return None if value is None else [dict(item) for item in value]


def _load_dicts(stored: Any, field: Any = None) -> list | None:
    if stored is None:
        return None
    if not isinstance(stored, list) or not all(isinstance(x, dict) for x in stored):
        raise ValueError(f"not a stored list of objects: {stored!r}")
    return [dict(item) for item in stored]


def _parse_table(raw: Any, field: Any) -> list[dict] | None:
    raw = _clean(raw)
    if raw is None:
        return None
    if not isinstance(raw, (list, tuple)):
        raise _wrong_kind("表格行列表", "a list of rows")
    rows = []
    for row in raw:
        if not isinstance(row, Mapping) or not all(isinstance(k, str) for k in row):
            raise _err("table_row", "表格的每一行应为字段名到值的映射",
                       "Each table row must map field names to values")
        rows.append(dict(row))
    return rows or None


def _child_types(field: Any) -> dict[str, tuple[FieldType, Any]]:
    children = {}
    for child in _attr(field, "fields", ()) or ():
        name, type_name = _attr(child, "name"), _attr(child, "type")
        if name and type_name in BUILTIN_TYPES:
            children[name] = (BUILTIN_TYPES[type_name], child)
    return children


def _generic_dump(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _dump_table(value: Any, field: Any = None) -> list | None:
    if value is None:
        return None
    children = _child_types(field)
    rows = []
    for row in value:
        out = {}
        for key, cell in row.items():
            if key in children:
                ftype, child = children[key]
                out[key] = ftype.dump(cell, child)
            else:
                out[key] = _generic_dump(cell)
        rows.append(out)
    return rows


def _load_table(stored: Any, field: Any = None) -> list | None:
    rows = _load_dicts(stored)
    if rows is None:
        return None
    children = _child_types(field)
    for row in rows:
        for key in row:
            if key in children:
                ftype, child = children[key]
                row[key] = ftype.load(row[key], child)
    return rows


# ------------------------------------------------------------------------------ computed

COMPUTED_RESULTS = ("text", "integer", "decimal", "money", "percent", "date", "boolean")


def _result_type(field: Any) -> FieldType:
    result = _attr(field, "result", "decimal")
    if result not in COMPUTED_RESULTS:
        raise _err("result", f"计算字段的结果类型无效：{result}",
                   f"Invalid result type of a computed field: {result}")
    return BUILTIN_TYPES[result]


def _parse_computed(raw: Any, field: Any) -> Any:
    return _result_type(field).parse(raw, field)


def _dump_computed(value: Any, field: Any = None) -> Any:
    return _result_type(field).dump(value, field)


def _load_computed(stored: Any, field: Any = None) -> Any:
    return _result_type(field).load(stored, field)


# ------------------------------------------------------------------------------ rollup

def _rollup_type(field: Any) -> FieldType:
    """A rollup holds a value of its ``result`` type: a computed result, or a scalar type of the
    aggregated field (a choice, a datetime …)."""
    result = _attr(field, "result", "decimal")
    ft = BUILTIN_TYPES.get(result)
    if ft is None or ft.storage == "json" or result in ("computed", "rollup"):
        raise _err("result", f"汇总字段的结果类型无效：{result}", f"Invalid result type of a rollup field: {result}")
    return ft


def _parse_rollup(raw: Any, field: Any) -> Any:
    return _rollup_type(field).parse(raw, field)


def _dump_rollup(value: Any, field: Any = None) -> Any:
    return _rollup_type(field).dump(value, field)


def _load_rollup(stored: Any, field: Any = None) -> Any:
    return _rollup_type(field).load(stored, field)


# ------------------------------------------------------------------------------ registry

def _ft(name: str, storage: str, parse: Callable, dump: Callable, load: Callable) -> FieldType:
    return FieldType(name=name, storage=storage, parse=parse, dump=dump, load=load)


_TEXT = (_dump_same, _load_str)
_DECIMAL = (_dump_decimal, _load_decimal)

BUILTIN_TYPES: dict[str, FieldType] = {ft.name: ft for ft in (
    _ft("text", "text", _parse_text, *_TEXT),
    _ft("long_text", "text", _parse_long_text, *_TEXT),
    _ft("integer", "integer", _parse_integer, _dump_int, _load_int),
    _ft("decimal", "decimal", _parse_decimal, *_DECIMAL),
    _ft("money", "decimal", _parse_money, *_DECIMAL),
    _ft("percent", "decimal", _parse_percent, *_DECIMAL),
    _ft("date", "date", _parse_date, _dump_date, _load_date),
    _ft("datetime", "datetime", _parse_datetime, _dump_datetime, _load_datetime),
    _ft("boolean", "boolean", _parse_boolean, _dump_bool, _load_bool),
    _ft("choice", "text", _parse_code, *_TEXT),
    _ft("multichoice", "json", _parse_multichoice, _dump_list, _load_list),
    _ft("link", "integer", _parse_record_id, _dump_int, _load_int),
    _ft("table", "json", _parse_table, _dump_table, _load_table),
    _ft("attachment", "json", _parse_attachment, _dump_dicts, _load_dicts),
    _ft("computed", "decimal", _parse_computed, _dump_computed, _load_computed),
    _ft("rollup", "decimal", _parse_rollup, _dump_rollup, _load_rollup),
    _ft("user", "integer", _parse_record_id, _dump_int, _load_int),
    _ft("department", "text", _parse_code, *_TEXT),
    _ft("id_number", "text", _parse_id_number, *_TEXT),
    _ft("uscc", "text", _parse_uscc, *_TEXT),
    _ft("phone", "text", _parse_phone, *_TEXT),
    _ft("email", "text", _parse_email, *_TEXT),
    _ft("region", "text", _parse_code, *_TEXT),
    _ft("industry", "text", _parse_code, *_TEXT),
)}


def field_type(name: str, extra: Mapping[str, FieldType] | None = None) -> FieldType:
    """The field type called ``name``: a built-in one, else one of ``extra`` (plugin types).

    Built-in types cannot be replaced. Raises ``KeyError`` for an unknown name.
    """
    if name in BUILTIN_TYPES:
        return BUILTIN_TYPES[name]
    if extra and name in extra:
        return extra[name]
    raise KeyError(f"unknown field type {name!r}")


def storage_of(field: Any, extra: Mapping[str, FieldType] | None = None) -> str:
    """The storage kind of a field; a computed or rollup field is stored like its ``result`` type."""
    type_name = _attr(field, "type")
    if type_name == "computed":
        return _result_type(field).storage
    if type_name == "rollup":
        return _rollup_type(field).storage
    return field_type(type_name, extra).storage


def parse_value(field: Any, raw: Any, extra: Mapping[str, FieldType] | None = None) -> Any:
    """``parse`` of the field's type."""
    return field_type(_attr(field, "type"), extra).parse(raw, field)


def dump_value(field: Any, value: Any, extra: Mapping[str, FieldType] | None = None) -> Any:
    """``dump`` of the field's type."""
    return field_type(_attr(field, "type"), extra).dump(value, field)


def load_value(field: Any, stored: Any, extra: Mapping[str, FieldType] | None = None) -> Any:
    """``load`` of the field's type."""
    return field_type(_attr(field, "type"), extra).load(stored, field)
