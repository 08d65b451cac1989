"""What the home dashboard shows (docs/ui.md "Home"), gathered without Flask so it can be tested
and measured on its own: the user's to-do count, live warnings by level and state, items falling
due (their projects maturing, fee installments due, follow-up surveys due), and for managers the
company's key figures with twelve months of new guarantees.

The figures come from `core.regulatory.company_figures` (the regulatory pack's configuration:
which entity and fields hold the projects, the weights and limits). Where it is not installed, the
figures it does not need configuration for (balance and number in force, new this year) are
computed from `SOURCE` below and 代偿率 / leverage are shown as unknown.

`SOURCE` names the standard pack's entities and fields the due items read; an entity or field a
company's packs lack is skipped (that section is simply not shown), never an error.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select

from core.db import warning_recipients as wr, warnings as w
from core.errors import DanbaoError
from core.query import Filter, Query, aggregate, count, find

log = logging.getLogger("danbao")

HORIZON = 30                    # days ahead that count as "falling due"
MONTHS = 12                     # months of the chart
SHOW = 10                       # rows per due section
MANAGER_ROLES = frozenset({"gm", "admin", "risk"})
LIVE = ("open", "acknowledged")
LEVELS = ("red", "orange", "yellow", "blue")
CENT = Decimal("0.01")

SOURCE: dict[str, Any] = {
    "project": {"entity": "project", "status": "status", "in_force": ["in_force"], "balance": "balance",
                "release_date": "release_date", "release_amount": "release_amount",
                "maturity": "maturity_date", "followup": "next_followup_due", "people": ["pm_a", "pm_b"]},
    "fees": {"entity": "fee_schedule", "project": "project", "due": "due_date", "amount": "outstanding",
             "status": "status", "open": ["unpaid", "partial"]},
}


def is_manager(roles) -> bool:
    return bool(MANAGER_ROLES & set(roles))


# -- the user's own -------------------------------------------------------------------------------

def warning_counts(engine, username: str) -> dict[str, dict[str, int]]:
    """{level: {open: n, acknowledged: n}} of the warnings the user receives, every level present."""
    out = {level: {state: 0 for state in LIVE} for level in LEVELS}
    with engine.connect() as c:
        rows = c.execute(select(w.c.level, w.c.state, func.count()).where(and_(
            w.c.state.in_(LIVE), exists().where(and_(wr.c.warning_id == w.c.id, wr.c.username == username))))
            .group_by(w.c.level, w.c.state)).all()
    for level, state, n in rows:
        out.setdefault(level, {s: 0 for s in LIVE})[state] = n
    return out


@dataclass
class DueRow:
    entity: str
    id: int
    title: str
    due: date | None
    amount: Decimal | None = None


@dataclass
class DueSection:
    key: str                    # maturing | fees | followups
    entity: str
    rows: list[DueRow] = field(default_factory=list)
    total: int = 0


def _has(meta, entity: str, *fields: str) -> bool:
    e = meta.entities.get(entity)
    return e is not None and all(f in e.field_names for f in fields)


def _title(meta, entity: str, values: dict, rid: int) -> str:
    e = meta.entities[entity]
    return str(values.get(e.title_field) or f"#{rid}") if e.title_field else f"#{rid}"


def _mine(store, filters: list[Filter], people: list[str], uid: int, sort: str, limit: int) -> list:
    """Projects where the user is any of `people` (A角 or B角), merged by id."""
    p = SOURCE["project"]
    seen = {}
    for f in people:
        for r in find(store.engine, store.meta, Query(p["entity"], [*filters, Filter(f, "eq", uid)], sort=[sort],
                                                      limit=limit), store.types):
            seen[r.id] = r
    return list(seen.values())


def falling_due(store, uid: int, today: date, readable: set[str], *, days: int = HORIZON) -> list[DueSection]:
    """The user's items due within `days`: projects maturing, follow-up surveys due (overdue ones
    included), fee installments unpaid; only sections whose entity the user may read."""
    meta, p, fe = store.meta, SOURCE["project"], SOURCE["fees"]
    until = today + timedelta(days=days)
    out: list[DueSection] = []
    people = [f for f in p["people"] if _has(meta, p["entity"], f)]
    if p["entity"] not in readable or not people or not _has(meta, p["entity"], p["status"]):
        return out
    in_force = Filter(p["status"], "in", p["in_force"])
    try:
        if _has(meta, p["entity"], p["maturity"]):
            rows = _mine(store, [in_force, Filter(p["maturity"], "ge", today), Filter(p["maturity"], "le", until)],
                         people, uid, p["maturity"], 500)
            out.append(_section("maturing", p["entity"], rows, meta, p["maturity"], p.get("balance")))
        if _has(meta, p["entity"], p["followup"]):
            rows = _mine(store, [in_force, Filter(p["followup"], "le", until)], people, uid, p["followup"], 500)
            out.append(_section("followups", p["entity"], rows, meta, p["followup"], None))
        if fe["entity"] in readable and _has(meta, fe["entity"], fe["project"], fe["due"], fe["status"]):
            mine = _mine(store, [], people, uid, "-id", 900)
            rows = []
            if mine:
                rows = find(store.engine, meta, Query(fe["entity"], [
                    Filter(fe["project"], "in", [r.id for r in mine]), Filter(fe["status"], "in", fe["open"]),
                    Filter(fe["due"], "le", until)], sort=[fe["due"]], limit=500), store.types)
            out.append(_section("fees", fe["entity"], rows, meta, fe["due"],
                                fe["amount"] if _has(meta, fe["entity"], fe["amount"]) else None))
    except DanbaoError as e:       # a pack whose fields do not fit: the dashboard still shows the rest
        log.warning("home: items falling due skipped: %s", e)
    return out


def _section(key: str, entity: str, rows: list, meta, due: str, amount: str | None) -> DueSection:
    items = sorted((DueRow(entity, r.id, _title(meta, entity, r.values, r.id), r.values.get(due),
                           r.values.get(amount) if amount else None) for r in rows),
                   key=lambda x: (x.due or date.max, x.id))
    return DueSection(key, entity, items[:SHOW], len(items))


# -- the company's ----------------------------------------------------------------------------------

@dataclass
class KeyFigures:
    balance_in_force: Decimal
    count_in_force: int
    new_this_year_amount: Decimal
    new_this_year_count: int
    compensation_rate: Decimal | None = None      # 代偿率, percent (this year)
    leverage: Decimal | None = None               # 放大倍数
    leverage_limit: Decimal | None = None
    notes: list = field(default_factory=list)     # core messages {zh, en}
    breaches: list = field(default_factory=list)
    regulatory: bool = False                      # from core.regulatory.company_figures


def _sum(store, entity: str, path: str, filters: list[Filter]) -> Decimal:
    value = aggregate(store.engine, store.meta, Query(entity, filters), path, "sum", store.types)
    return Decimal(value or 0).quantize(CENT)


def key_figures(store, today: date) -> KeyFigures | None:
    """The company's figures on `today`; None when no project entity is installed."""
    try:
        from core.regulatory import RegulatoryConfigError, company_figures
    except ImportError:                       # pragma: no cover - an installation without the module
        company_figures, RegulatoryConfigError = None, DanbaoError
    if company_figures is not None:
        try:
            f = company_figures(store, today)
            return KeyFigures(f.balance_in_force, f.count_in_force, f.new_this_year_amount, f.new_this_year_count,
                              f.compensation_rate_ytd, f.leverage, f.leverage_limit, list(f.notes), list(f.breaches),
                              regulatory=True)
        except (RegulatoryConfigError, DanbaoError, KeyError) as e:
            log.info("home: regulatory figures unavailable (%s); showing the plain ones", e)
    p = SOURCE["project"]
    if not _has(store.meta, p["entity"], p["status"], p["balance"], p["release_date"], p["release_amount"]):
        return None
    in_force = [Filter(p["status"], "in", p["in_force"])]
    year = [Filter(p["release_date"], "ge", date(today.year, 1, 1)), Filter(p["release_date"], "le", today)]
    return KeyFigures(
        _sum(store, p["entity"], p["balance"], in_force),
        count(store.engine, store.meta, Query(p["entity"], in_force), store.types),
        _sum(store, p["entity"], p["release_amount"], year),
        count(store.engine, store.meta, Query(p["entity"], year), store.types),
        notes=[{"zh": "未安装监管指标配置，代偿率与放大倍数无法计算",
                "en": "no regulatory configuration installed: 代偿率 and leverage are unknown"}])


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first day of each of the last `months` months, the current one last."""
    y, m = today.year, today.month
    out = []
    for _ in range(months):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def monthly_new(store, today: date, months: int = MONTHS) -> list[tuple[date, Decimal, int]]:
    """(month, amount released, number of guarantees) for each of the last `months` months
    (the current month up to today)."""
    p = SOURCE["project"]
    if not _has(store.meta, p["entity"], p["release_date"], p["release_amount"]):
        return []
    starts = month_starts(today, months)
    out = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - timedelta(days=1) if i + 1 < len(starts) else today
        flt = [Filter(p["release_date"], "ge", start), Filter(p["release_date"], "le", end)]
        out.append((start, _sum(store, p["entity"], p["release_amount"], flt),
                    count(store.engine, store.meta, Query(p["entity"], flt), store.types)))
    return out
