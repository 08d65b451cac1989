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
        out = []
        for line in self.lines:
            if line.breaches:
                after = f"{line.after}{'倍' if line.unit == 'x' else '%'}"
                out.append(msg(f"{line.label['zh']}批准后 {after}，超过上限 {line.limit}{'倍' if line.unit == 'x' else '%'}",
                               f"{line.label['en']} after approval {line.after}{'×' if line.unit == 'x' else '%'}, "
                               f"above the limit of {line.limit}{'×' if line.unit == 'x' else '%'}"))
        return out


def effect_of_approving(store, project_id: int, today: date, *, values: Mapping[str, Any] | None = None) -> Effect:
    """The figures before and after approving project `project_id` (its `values` when given, e.g. by a
    workflow action inside the transition's transaction; else read from the store)."""
    cfg = load(store.meta)
    p = cfg.project
    if values is None:
        values = store.get(p["entity"], project_id).values
    status = values.get(p["status"])
    applies = status in p["application"]
    customer = liability.customer_of(cfg, values)
    amount = Decimal(values.get(p["amount"]) or 0)
    w = weighting_of(cfg, values)
    extra = Extra(customer, amount, w)
    before = company_figures(store, today, customer=customer)
    after = company_figures(store, today, extra=extra, customer=customer) if applies else before
    (cb, gb), (ca, ga) = before.customer, after.customer
    label = labels(store, cfg, [customer]).get(customer, "—")
    net = before.net_assets
    lines = [
        Line("leverage", msg("融资担保放大倍数", "Leverage"), before.leverage, after.leverage, before.leverage_limit, "x"),
        Line("customer", msg(f"单一客户（{label}）集中度", f"Concentration of {label}"),
             ratio(cb, net, 100), ratio(ca, net, 100), before.single_limit, "%"),
        Line("group", msg(f"{label} 及其关联方集中度", f"Concentration of {label} with related parties"),
             ratio(gb, net, 100), ratio(ga, net, 100), before.group_limit, "%"),
    ]
    return Effect(project_id, label, amount, w.weight, applies, before, after, cb, ca, gb, ga, lines)
