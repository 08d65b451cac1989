"""Danbao's own extras, written as an ordinary plugin (see docs/plugins.md).

* formula function ``RMB_UPPER(amount)``: an amount of money in Chinese capital numerals, as
  written on contracts, receipts and bank forms (人民币大写金额);
* field type ``bank_account``: a bank account or card number;
* workflow actions ``generate_fee_schedule`` (on approval: the project's fee schedule from its
  product's fee rules) and ``settle_receipt`` (a receipt audited or voided: the schedule items'
  amounts paid), see core/fee_ledger.py and docs/products.md.
"""
from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core import fee_ledger
from core.regulatory import alerts
from core.fieldtypes import FieldType, FieldValueError
from core.formula import FormulaError, FunctionSpec
from core.formula.errors import kind
from core.store import Actor

from .hookspecs import hookimpl

__all__ = [
    "BANK_ACCOUNT",
    "RMB_UPPER",
    "danbao_field_types",
    "danbao_formula_functions",
    "danbao_workflow_actions",
    "rmb_upper",
]

# ------------------------------------------------------------------------------ RMB_UPPER

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")          # within a group of four digits
_GROUPS = ("", "万", "亿", "万亿")          # groups of four digits, lowest first
#: The largest amount written: 9999万亿 9999亿 9999万 9999.99 元 (just under 10^16).
MAX_AMOUNT = Decimal(10) ** 16 - Decimal("0.01")
_CENT = Decimal("0.01")


def _group_words(n: int) -> str:
    """1..9999 in capitals, without the leading 零 (the caller decides): 1005 -> 壹仟零伍."""
    out = []
    pending_zero = False
    for place, digit in zip(_PLACES, f"{n:04d}"):
        d = int(digit)
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[d] + place)
    return "".join(out)


def _yuan_words(n: int) -> str:
    """A whole number of yuan (n > 0) in capitals, without 元.

    Zeros follow 《正确填写票据和结算凭证的基本规定》: one 零 for each run of zeros inside the
    number (1001 -> 壹仟零壹, 100010 -> 壹拾万零壹拾), none for trailing zeros (1000 -> 壹仟),
    and 壹拾 is always written with its 壹 (10 -> 壹拾, 16 -> 壹拾陆) so nothing can be added in
    front.
    """
    groups = []
    while n:
        n, g = divmod(n, 10_000)
        groups.append(g)
    out = []
    skipped_zero = False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            skipped_zero = bool(out)
            continue
        if out and (skipped_zero or g < 1000):
            out.append("零")
        out.append(_group_words(g) + _GROUPS[i])
        skipped_zero = False
    return "".join(out)


def rmb_upper(amount: Any) -> str | None:
    """``amount`` (yuan) in Chinese capital numerals; ``None`` for ``None``.

    Rounded half up to the fen (分). The conventions of the People's Bank of China for bills and
    settlement documents: 整 after 元 when there are no 角 and 分 (壹佰元整) and after 角 when
    there are no 分 (壹拾元伍角整 — allowed by the payment rules, required by the accounting
    rules); nothing after 分; 零 between 元 and 分 when the 角 is zero (叁佰贰拾伍元零肆分);
    amounts under one yuan start at 角 or 分 (伍分); zero is 零元整; negative amounts are
    prefixed 负. The 人民币 in front is left to the document template.
    """
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, (int, Decimal, float)):
        en, zh = kind(amount)
        raise FormulaError(f"RMB_UPPER: expected an amount of money, got {en} ({amount!r})",
                           zh=f"RMB_UPPER：需要金额，实际是{zh}（{amount!r}）")
    value = Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)
    if not value.is_finite():
        raise FormulaError(f"RMB_UPPER: expected an amount of money, got {amount!r}",
                           zh=f"RMB_UPPER：需要金额，实际是 {amount!r}")
    if abs(value) > MAX_AMOUNT:
        raise FormulaError(f"RMB_UPPER: the amount {value} is too large (at most 10^16 yuan)",
                           zh=f"RMB_UPPER：金额 {value} 过大（不能超过一亿亿元）")
    fen_total = int((abs(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    sign = "负" if value < 0 and fen_total else ""
    if fen_total == 0:
        return "零元整"
    words = _yuan_words(yuan) + "元" if yuan else ""
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif fen and yuan:
        words += "零"
    if fen:
        words += _DIGITS[fen] + "分"
    else:
        words += "整"
    return sign + words


def RMB_UPPER(amount):  # formula functions are upper-case
    """RMB_UPPER(amount): the amount in Chinese capital numerals (人民币大写); blank -> blank."""
    return rmb_upper(amount)


RMB_UPPER.formula_spec = FunctionSpec("RMB_UPPER", 1, 1)


# ------------------------------------------------------------------------------ bank_account

_ACCOUNT_MIN, _ACCOUNT_MAX = 8, 30


def _account_error(key: str, zh: str, en: str) -> FieldValueError:
    return FieldValueError({"zh": zh, "en": en}, key)


def parse_bank_account(raw: Any, field: Any = None) -> str | None:
    """A bank account or card number: the digits, with spaces (also full-width ones) removed.

    8 to 30 digits; no check digit is tested, because corporate accounts have none (only card
    numbers use the Luhn check). Numbers are kept as text so leading zeros survive. A ``float``
    is refused: a spreadsheet has already rounded away the last digits of a long number.
    """
    if raw is None:
        return None
    if isinstance(raw, (bool, float)):
        raise _account_error("type", "银行账号应以文本形式填写（表格中的长数字可能已被舍入）",
                             "Enter the bank account number as text (a spreadsheet may have "
                             "rounded a long number)")
    if isinstance(raw, int):
        raw = str(raw)
    elif isinstance(raw, Decimal):
        if not raw.is_finite() or raw != raw.to_integral_value():
            raise _account_error("digits", "银行账号只能包含数字",
                                 "A bank account number can contain digits only")
        raw = format(raw.to_integral_value(), "f")
    elif not isinstance(raw, str):
        raise _account_error("type", "应为银行账号文本", "Expected a bank account number as text")
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    if not s:
        return None
    if not (s.isascii() and s.isdigit()):
        raise _account_error("digits", "银行账号只能包含数字（可用空格分组）",
                             "A bank account number can contain digits only (spaces allowed "
                             "between groups)")
    if not _ACCOUNT_MIN <= len(s) <= _ACCOUNT_MAX:
        raise _account_error("length",
                             f"银行账号应为{_ACCOUNT_MIN}至{_ACCOUNT_MAX}位数字，实际为{len(s)}位",
                             f"A bank account number has {_ACCOUNT_MIN} to {_ACCOUNT_MAX} digits, "
                             f"not {len(s)}")
    return s


def _dump_text(value: Any, field: Any = None) -> str | None:
    return value


def _load_text(stored: Any, field: Any = None) -> str | None:
    if stored is None:
        return None
    if not isinstance(stored, str):
        raise ValueError(f"not a stored bank account number: {stored!r}")
    return stored


BANK_ACCOUNT = FieldType(name="bank_account", storage="text", parse=parse_bank_account,
                         dump=_dump_text, load=_load_text)


# ------------------------------------------------------------------------------ hooks

@hookimpl
def danbao_field_types():
    return [BANK_ACCOUNT]


@hookimpl
def danbao_formula_functions():
    return {"RMB_UPPER": RMB_UPPER}


# ------------------------------------------------------------------------------ fee ledger

def _authority(context):
    """Write as the acting user with the workflow's authority, as the workflow's own effects do."""
    return Actor(context.actor.username, context.actor.roles, system=True)


def generate_fee_schedule(context):
    """``{call: generate_fee_schedule, with: {start: approved_on}}``: the record's fee schedule,
    due from ``start`` (default: today); once per record."""
    start = context.params.get("start") or context.now.date()
    fee_ledger.generate(context.store, context.conn, context.instance.entity, context.values, start,
                        _authority(context))


def settle_receipt(context):
    """``{call: settle_receipt}`` on a receipt audited or voided: its items' amounts paid."""
    fee_ledger.settle(context.store, context.conn, context.values, _authority(context))


@hookimpl
def danbao_workflow_actions():
    return {"generate_fee_schedule": generate_fee_schedule, "settle_receipt": settle_receipt,
            # would approving the record breach a regulatory limit? (docs/regulatory.md)
            "regulatory_check": alerts.workflow_action}
