"""The standard pack's warning rules (seed/standard/rules): each fires on data built to trigger it
and stays silent otherwise, with the thresholds read from the code list warning_threshold (so an
overlay changes them in one place)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core import metastore
from core.checksums import make_uscc
from core.db import warnings
from core.store import Store
from core.users import create_user, get_user
from core.warnings import scan
from metadata.source import PackSource
from plugins.manager import build_registry

from .conftest import pack

REGISTRY = build_registry()


class Std:
    def __init__(self, engine, clock, sources):
        self.engine, self.clock = engine, clock
        installed = metastore.install(engine, sources, **REGISTRY.checks())
        self.meta = installed.meta
        self.store = Store(engine, self.meta, clock=clock, registry=REGISTRY, meta_version=installed.version)
        for name, roles in (("li", ("pm",)), ("zhao", ("pm",)), ("fin", ("finance",)), ("risk", ("risk",))):
            create_user(engine, name, name=name, roles=roles)
        self.uid = {n: get_user(engine, username=n).id for n in ("li", "zhao", "fin", "risk")}

    def enterprise(self, n=1, statements=()):
        return self.store.create("enterprise_customer", {
            "name": f"华星{n}号公司", "uscc": make_uscc(f"91330106MA2B3C{n:03d}"), "legal_rep": "陈志远",
            "company_type": "private", "industry": "C34", "region": "330106", "status": "active",
            "manager": self.uid["li"], "financial_statements": list(statements)}).id

    def project(self, status="in_force", maturity=date(2026, 4, 10), **more):
        self.made = getattr(self, "made", 100) + 1
        customer = more.pop("enterprise", None) or self.enterprise(self.made)
        return self.store.create("project", {
            "customer_type": "enterprise", "enterprise": customer, "business_type": "other_financing",
            "amount": D("3000000"), "term_months": 12, "pm_a": self.uid["li"], "pm_b": self.uid["zhao"],
            "status": status, "maturity_date": maturity, "release_date": date(2025, 4, 10),
            "release_amount": D("2500000"), "balance": D("2500000"), **more}).id

    def scan(self):
        return scan(self.engine, self.meta, registry=REGISTRY, clock=self.clock)

    def fired(self, rule):
        with self.engine.connect() as c:
            return [(r.record_id, r.message["zh"]) for r in c.execute(
                select(warnings).where(warnings.c.rule == rule, warnings.c.state == "open").order_by(warnings.c.id))]


@pytest.fixture
def std(engine, clock, standard):
    return Std(engine, clock, [standard])


def statement(period, assets, liabilities, kind="year"):
    return {"period": period, "period_type": kind, "total_assets": D(assets), "total_liabilities": D(liabilities)}


def test_a_guarantee_maturing_within_30_days(std):          # today 2026-03-15
    soon = std.project(maturity=date(2026, 4, 14))           # 30 days
    std.project(maturity=date(2026, 4, 15))                  # 31 days
    std.project(maturity=date(2026, 3, 10))                  # already past
    std.project(status="released", maturity=date(2026, 3, 20))
    std.scan()
    [(rid, text)] = std.fired("guarantee_maturing")
    assert rid == soon
    assert "将于 2026-04-14 到期，还有 30 天，在保余额 2,500,000.00 元" in text


def test_an_unpaid_fee_installment_after_its_due_date(std):
    project = std.project()
    fee = lambda seq, due, paid="0": std.store.create("fee_schedule", {  # noqa: E731
        "project": project, "fee_kind": "guarantee_fee", "seq": seq, "due_date": due, "amount": D("30000"),
        "paid_amount": D(paid), "status": "paid" if paid == "30000" else "unpaid"}).id
    late = fee(1, date(2026, 3, 14))
    fee(2, date(2026, 3, 15))                                # due today: not yet late
    fee(3, date(2026, 2, 1), paid="30000")                   # paid
    std.scan()
    [(rid, text)] = std.fired("fee_overdue")
    assert rid == late and "已逾期 1 天，未收 30,000.00 元（应收日期 2026-03-14）" in text
    with std.engine.connect() as c:
        from core.db import warning_recipients as wr
        wid = c.execute(select(warnings.c.id).where(warnings.c.rule == "fee_overdue")).scalar_one()
        assert sorted(c.execute(select(wr.c.username).where(wr.c.warning_id == wid)).scalars()) == ["fin", "li"]


def test_debt_ratio_above_70_or_up_more_than_10_points(std):
    high = std.enterprise(1, [statement(date(2025, 12, 31), "1000", "720")])                       # 72%
    rising = std.enterprise(2, [statement(date(2024, 12, 31), "1000", "500"),
                                statement(date(2025, 12, 31), "1000", "610")])                     # 50 → 61
    std.enterprise(3, [statement(date(2024, 12, 31), "1000", "690"),
                       statement(date(2025, 12, 31), "1000", "650")])                              # 69 → 65
    std.enterprise(4, [statement(date(2025, 12, 31), "1000", "650"),
                       statement(date(2024, 12, 31), "1000", "800")])                              # latest by period: 65
    std.enterprise(5, [statement(date(2024, 12, 31), "1000", "550"),
                       statement(date(2025, 12, 31), "1000", "650")])                              # exactly 10 points
    std.enterprise(6)                                                                              # no statements
    std.scan()
    fired = dict(std.fired("debt_ratio"))
    assert set(fired) == {high, rising}
    assert "最近一期（2025-12-31）资产负债率 72.00%，上一期 —%" in fired[high]
    assert "资产负债率 61.00%，上一期 50.00%" in fired[rising]


def test_thresholds_are_changed_in_one_place_by_an_overlay(engine, clock, standard):
    acme = pack("acme", {
        "pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: standard}]\n",
        "codelists/warning_threshold.yaml": "overlay: warning_threshold\nchange_items:\n  maturity: {data: {days: 45}}\n",
    })
    std = Std(engine, clock, [standard, acme])
    rid = std.project(maturity=date(2026, 4, 25))            # 41 days
    std.scan()
    assert [r for r, _ in std.fired("guarantee_maturing")] == [rid]


def test_a_cooperating_bank_credit_line_over_90_percent_used(std):
    bank = lambda name, line: std.store.create("bank", {  # noqa: E731
        "name": name, "status": "active", "credit_line": D(line), "credit_line_end": date(2027, 1, 1),
        "manager": std.uid["zhao"]}).id
    full, roomy = bank("工商银行", "5000000"), bank("建设银行", "10000000")
    std.project(bank=full)                                   # 2,500,000 in force each (the rollup sums them)
    std.project(bank=full)
    std.project(bank=roomy)
    std.project(bank=roomy, status="released")
    assert std.store.get("bank", full).values["credit_usage"] == D("100")
    std.scan()
    [(rid, text)] = std.fired("bank_credit_usage")
    assert rid == full and "已用 5,000,000.00 元（100.00%）" in text
