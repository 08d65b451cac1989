"""What approving an application does to the regulatory figures: `effect_of_approving(store,
project_id, today)` — the figures before, and after adding the project's guaranteed amount at its
weight to its customer and the company (the same SQL as the company figures, with the project as
one extra row: the per-customer caps re-weigh the customer's other projects when it crosses one)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from ..errors import Message, msg
from . import liability
from .config import load, weighting_of
from .figures import CompanyFigures, company_figures, labels, ratio
from .liability import Extra


@dataclass
class Line:
    """One figure before → after, with its limit."""
    key: str                  # leverage | customer | group
    label: Message
    before: Decimal | None
    after: Decimal | None
    limit: Decimal
    unit: str                 # "x" (multiple) or "%"

    @property
    def breaches(self) -> bool:
        return self.after is not None and self.after > self.limit

    @property
    def worsens(self) -> bool:
        """Above the limit after, and higher than before (approving makes a breach or a worse one)."""
        return self.breaches and (self.before is None or self.after > self.before)

    @property
    def newly(self) -> bool:
        """Within the limit before, above it after."""
        return self.breaches and not (self.before is not None and self.before > self.limit)


@dataclass
class Effect:
    project_id: int
    customer_label: str
    amount: Decimal
    weight: Decimal           # the weight applied to the amount (before any re-weighing of the customer)
    applies: bool             # False when the project is not under application (already in force, closed …)
    before: CompanyFigures
    after: CompanyFigures
    customer_before: Decimal
    customer_after: Decimal
    group_before: Decimal
    group_after: Decimal
    lines: list[Line] = field(default_factory=list)

    @property
    def breaches(self) -> list[Message]:
        return [breach_message(line) for line in self.lines if line.breaches]


def breach_message(line: Line) -> Message:
    unit_zh, unit_en = ("倍", "×") if line.unit == "x" else ("%", "%")
    return msg(f"{line.label['zh']}批准后 {line.after}{unit_zh}，超过上限 {line.limit}{unit_zh}",
               f"{line.label['en']} after approval {line.after}{unit_en}, above the limit of {line.limit}{unit_en}")


def _lines(label: str, before: CompanyFigures, leverage_after, net, cb, ca, gb, ga) -> list[Line]:
    return [
        Line("leverage", msg("融资担保放大倍数", "Leverage"), before.leverage, leverage_after, before.leverage_limit, "x"),
        Line("customer", msg(f"单一客户（{label}）集中度", f"Concentration of {label}"),
             ratio(cb, net, 100), ratio(ca, net, 100), before.single_limit, "%"),
        Line("group", msg(f"{label} 及其关联方集中度", f"Concentration of {label} with related parties"),
             ratio(gb, net, 100), ratio(ga, net, 100), before.group_limit, "%"),
    ]


def _project(store, cfg, project_id: int, values):
    p = cfg.project
    if values is None:
        values = store.get(p["entity"], project_id).values
    customer = liability.customer_of(cfg, values)
    w = weighting_of(cfg, values)
    return values, values.get(p["status"]) in p["application"], customer, Extra(customer, Decimal(values.get(p["amount"]) or 0), w)


def effect_of_approving(store, project_id: int, today: date, *, values: Mapping[str, Any] | None = None) -> Effect:
    """The figures before and after approving project `project_id` (its `values` when given, e.g. by a
    workflow action inside the transition's transaction; else read from the store)."""
    cfg = load(store.meta)
    values, applies, customer, extra = _project(store, cfg, project_id, values)
    before = company_figures(store, today, customer=customer)
    after = company_figures(store, today, extra=extra, customer=customer) if applies else before
    (cb, gb), (ca, ga) = before.customer, after.customer
    label = labels(store, cfg, [customer]).get(customer, "—")
    lines = _lines(label, before, after.leverage, before.net_assets, cb, ca, gb, ga)
    return Effect(project_id, label, extra.balance, extra.weighting.weight, applies, before, after, cb, ca, gb, ga, lines)


def lines_of_approving(store, conn, before: CompanyFigures, project_id: int, *,
                       values=None) -> tuple[str, list[Line], Decimal]:
    """The same lines as effect_of_approving, for many applications against one `before`: `conn`
    holds the snapshot of `before` (liability.snapshot); only the project's customer is recomputed
    (its after-liability from its own projects; its group and the company move by the same amount).
    Returns (the customer's label, the lines, the liability balance after); no lines when the project
    is not under application."""
    cfg = load(store.meta)
    values, applies, customer, extra = _project(store, cfg, project_id, values)
    label = labels(store, cfg, [customer]).get(customer, "—")
    if not applies:
        return label, [], before.liability_balance
    sql = liability.Sql(store.meta, cfg, store.dialect)
    cb = liability.of_customer(conn, sql, customer)
    ca = liability.of_customer(conn, sql, customer, extra)
    gb = liability.of_group(conn, sql, customer)
    delta = ca - cb
    after = before.liability_balance + delta
    return label, _lines(label, before, ratio(after, before.net_assets), before.net_assets, cb, ca, gb, gb + delta), after
