"""Fee schedules: what a product's fee rule (metadata.product.FeeRule) asks for, installment by
installment, in exact decimals (docs/products.md, "Fee rules").

    schedule(rule, base=Decimal("1000000"), start=date(2026, 3, 15), months=18)
    -> [Installment(1, date(2026, 3, 15), Decimal("15000.00")), Installment(2, date(2027, 3, 15), Decimal("7500.00"))]

The total is the fixed `amount`, or `base × rate` (`rate_basis: flat`), or `base × rate × months / 12`
(`rate_basis: annual`: a yearly rate pro-rated by the term), rounded half up to the cent. It is split
over the periods in proportion to the months each covers (the last period may be shorter), every
installment rounded to the cent and the last one taking what is left, so they add up to the total
exactly. Installments are due at the start of their period, by calendar month from `start`
(end-of-month safe: Jan 31 + 1 month = Feb 28/29, + 2 months = Mar 31).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from metadata.product import FeeRule

from .formula.functions import EDATE

CENT = Decimal("0.01")
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass(frozen=True)
class Installment:
    seq: int          # 1, 2, …
    due: date
    amount: Decimal   # to the cent


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def total(rule: FeeRule, base: Decimal, months: int) -> Decimal:
    """What the rule charges over the whole term, to the cent."""
    if rule.amount is not None:
        return cents(rule.amount)
    amount = Decimal(base) * rule.rate
    if rule.rate_basis == "annual":
        amount = amount * months / 12
    return cents(amount)


def periods(frequency: str, months: int) -> list[tuple[int, int]]:
    """(months from the start, months covered) of each period of the term."""
    if frequency == "once":
        return [(0, months)]
    step = PERIOD_MONTHS[frequency]
    return [(offset, min(step, months - offset)) for offset in range(0, months, step)]


def schedule(rule: FeeRule, base: Decimal, start: date, months: int) -> list[Installment]:
    """The installments of `rule` for a term of `months` from `start` (see the module's doc)."""
    if months < 1:
        raise ValueError(f"a term of at least one month is needed, not {months}")
    if base is not None and Decimal(base) < 0:
        raise ValueError(f"the base cannot be negative: {base}")
    due = total(rule, Decimal(base or 0), months)
    parts = periods(rule.frequency, months)
    out, so_far = [], Decimal(0)
    for seq, (offset, covered) in enumerate(parts, start=1):
        amount = due - so_far if seq == len(parts) else cents(due * covered / months)
        so_far += amount
        out.append(Installment(seq, EDATE(start, offset), amount))
    return out
