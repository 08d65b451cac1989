"""The company's regulatory figures (docs/regulatory.md): `company_figures(store, today)`.

Every figure is an SQL aggregate over the books (core/query.py for plain sums and counts,
core/regulatory/liability.py for the weighted liability balance); the limits come from metadata
(core/regulatory/config.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from metadata.model import text_of

from ..errors import Message, msg
from ..query import Filter, Query, aggregate, count, find
from . import liability
from .config import Config, load
from .liability import CustomerLiability, Extra, Sql

TOP = 10
CENT, HUNDREDTH = Decimal("0.01"), Decimal("0.01")


@dataclass
class Share:
    customer: tuple
    label: str
    liability: Decimal
    share: Decimal | None          # percent of net assets


@dataclass
class CompanyFigures:
    today: date
    balance_in_force: Decimal
    count_in_force: int
    new_this_year_amount: Decimal
    new_this_year_count: int
    liability_balance: Decimal
    net_assets: Decimal | None
    net_assets_on: date | None
    leverage: Decimal | None
    leverage_limit: Decimal
    single_limit: Decimal
    group_limit: Decimal
    compensation_paid_ytd: Decimal
    released_ytd: Decimal
    compensation_rate_ytd: Decimal | None
    compensation_balance: Decimal
    top_customers: list = field(default_factory=list)       # (label, liability, share %) of the largest customers
    top_groups: list = field(default_factory=list)          # the same with related parties
    customers: list[Share] = field(default_factory=list)
    groups: list[Share] = field(default_factory=list)
    breaches: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    customer: tuple | None = None                           # (liability, with related parties) when asked

    @property
    def leverage_headroom(self) -> Decimal | None:
        return None if self.leverage is None else self.leverage_limit - self.leverage

    @property
    def liability_headroom(self) -> Decimal | None:
        return None if self.net_assets is None else self.net_assets * self.leverage_limit - self.liability_balance


def ratio(part: Decimal, whole: Decimal | None, scale: int = 1) -> Decimal | None:
    if not whole:
        return None
    return (part / whole * scale).quantize(HUNDREDTH, ROUND_HALF_UP)


def _sum(store, entity: str, path: str, filters: list[Filter]) -> Decimal:
    value = aggregate(store.engine, store.meta, Query(entity, filters), path, "sum", store.types)
    return Decimal(value or 0).quantize(CENT)


def net_assets(store, cfg: Config, today: date) -> tuple[Decimal | None, date | None]:
    """The latest net assets on or before `today` (entity and fields from regulatory_source.net_assets)."""
    src = cfg.net_assets
    rows = find(store.engine, store.meta, Query(src["entity"], [Filter(src["date"], "le", today)],
                                                 sort=["-" + src["date"]], limit=1), store.types)
    if not rows:
        return None, None
    return rows[0].values.get(src["amount"]), rows[0].values.get(src["date"])


def labels(store, cfg: Config, customers: list[tuple]) -> dict[tuple, str]:
    """Each customer's title (its entity's title field), one query per customer kind."""
    out = {}
    for i, link in enumerate(cfg.project["customers"]):
        entity = store.meta.entity(cfg.customers[link]["entity"])
        ids = sorted({c[i] for c in customers if c[i] is not None})
        if not ids:
            continue
        rows = find(store.engine, store.meta, Query(entity.name, [Filter("id", "in", ids)], limit=len(ids)), store.types)
        title = {r.id: r.values.get(entity.title_field) if entity.title_field else None for r in rows}
        for c in customers:
            if c[i] is not None:
                out[c] = str(title.get(c[i]) or f"{text_of(entity.label)} #{c[i]}")
    return out


def _ytd(cfg: Config, today: date) -> list:
    return [date(today.year, 1, 1), today]


def compensation_ytd(store, cfg: Config, today: date) -> tuple[Decimal, Decimal]:
    """(compensation paid this year, guarantees released this year: ended normally or by compensation)."""
    start, end = _ytd(cfg, today)
    c = cfg.compensation
    paid = _sum(store, c["entity"], c["amount"], [Filter(c["status"], "in", c["paid"]), Filter(c["date"], "ge", start),
                                                   Filter(c["date"], "le", end)])
    p = cfg.project
    released = Decimal(0)
    for way in ("released", "compensated"):
        spec = p[way]
        released += _sum(store, p["entity"], p["release_amount"], [
            Filter(p["status"], "in", spec["statuses"]), Filter(spec["date"], "ge", start), Filter(spec["date"], "le", end)])
    return paid, released


def _shares(rows: list[CustomerLiability], names: dict, net: Decimal | None) -> list[Share]:
    return [Share(r.customer, names.get(r.customer, "—"), r.liability, ratio(r.liability, net, 100)) for r in rows]


def breaches_of(f: CompanyFigures, single: list[Share], groups: list[Share]) -> list[Message]:
    out = []
    if f.leverage is not None and f.leverage > f.leverage_limit:
        out.append(msg(f"融资担保放大倍数 {f.leverage} 倍，超过上限 {f.leverage_limit} 倍",
                       f"leverage {f.leverage}× is above the limit of {f.leverage_limit}×"))
    for s in single:
        if s.share is not None and s.share > f.single_limit:
            out.append(msg(f"单一客户 {s.label} 责任余额占净资产 {s.share}%，超过 {f.single_limit}%",
                           f"customer {s.label}: {s.share}% of net assets, above {f.single_limit}%"))
    for s in groups:
        if s.share is not None and s.share > f.group_limit:
            out.append(msg(f"客户 {s.label} 及其关联方责任余额占净资产 {s.share}%，超过 {f.group_limit}%",
                           f"customer {s.label} with its related parties: {s.share}% of net assets, above {f.group_limit}%"))
    return out


def company_figures(store, today: date, *, extra: Extra | None = None, top_n: int = TOP,
                    customer: tuple | None = None) -> CompanyFigures:
    """Every figure of the company on `today`; with `extra`, as if that project were in force too;
    with `customer`, that customer's liability and its group's too (`CompanyFigures.customer`)."""
    cfg = load(store.meta)
    p = cfg.project
    in_force = [Filter(p["status"], "in", p["in_force"])]
    balance = _sum(store, p["entity"], p["balance"], in_force)
    n = count(store.engine, store.meta, Query(p["entity"], in_force), store.types)
    start, end = _ytd(cfg, today)
    new = [Filter(p["release_date"], "ge", start), Filter(p["release_date"], "le", end)]
    new_amount = _sum(store, p["entity"], p["release_amount"], new)
    new_count = count(store.engine, store.meta, Query(p["entity"], new), store.types)
    paid, released = compensation_ytd(store, cfg, today)
    # only compensated projects carry these (on the status index, not a pass over every project)
    ended = [Filter(p["status"], "in", p["compensated"]["statuses"])]
    comp_balance = (_sum(store, p["entity"], p["compensated_total"], ended)
                    - _sum(store, p["entity"], p["recovered_total"], ended)
                    - _sum(store, p["entity"], p["written_off_total"], ended))
    net, net_on = net_assets(store, cfg, today)
    sql = Sql(store.meta, cfg, store.dialect)
    with store.engine.connect() as conn:
        liability.snapshot(conn, sql, extra)
        total = liability.total(conn, sql)
        tops = liability.top(conn, sql, top_n)
        groups = liability.top_groups(conn, sql, top_n)
        over_single = over_group = []
        if net:
            over_single = liability.over(conn, sql, net * cfg.single_percent / 100)
            over_group = liability.over(conn, sql, net * cfg.group_percent / 100, groups=True)
        if customer is not None:
            f_customer = liability.of_customer(conn, sql, customer), liability.of_group(conn, sql, customer)
    if extra is not None:
        balance += extra.balance
        n += 1
    names = labels(store, cfg, [r.customer for r in tops + groups + over_single + over_group])
    f = CompanyFigures(
        today=today, balance_in_force=balance, count_in_force=n, new_this_year_amount=new_amount,
        new_this_year_count=new_count, liability_balance=total, net_assets=net, net_assets_on=net_on,
        leverage=ratio(total, net), leverage_limit=cfg.leverage_limit, single_limit=cfg.single_percent,
        group_limit=cfg.group_percent, compensation_paid_ytd=paid, released_ytd=released,
        compensation_rate_ytd=ratio(paid, released, 100), compensation_balance=comp_balance,
        customers=_shares(tops, names, net), groups=_shares(groups, names, net))
    if customer is not None:
        f.customer = f_customer
    f.top_customers = [(s.label, s.liability, s.share) for s in f.customers]
    f.top_groups = [(s.label, s.liability, s.share) for s in f.groups]
    f.breaches = breaches_of(f, _shares(over_single, names, net), _shares(over_group, names, net))
    if net is None:
        f.notes.append(msg("未录入净资产（公司财务数据），无法计算放大倍数与集中度",
                           "no net assets recorded (company financial figures): leverage and concentration unknown"))
    return f
