"""The home dashboard through the Flask test client, on the standard pack with data built for
the test (today 2026-03-15): the user's to-dos, warnings by level and state, items falling due
(their projects maturing, fee installments, follow-ups), unread messages; the company's key
figures and the monthly chart for a manager, not for a project manager."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest

from core import messages
from core.query import Filter, Query, find
from core.users import create_user, set_password
from core.warnings.lifecycle import counts as warning_counts
from ui import dashboard
from ui.app import create_app

from .test_rules_standard import REGISTRY, Std
from .test_messages_screens import Client


@pytest.fixture
def home(engine, clock, standard):
    std = Std(engine, clock, [standard])
    set_password(engine, "li", "Secret-pass-1")
    create_user(engine, "boss", name="总经理", roles=["gm"], password="Secret-pass-1")
    s = std
    s.mature = s.project(maturity=date(2026, 4, 10), release_date=date(2026, 1, 10), release_amount=D("2500000"))
    s.later = s.project(maturity=date(2026, 9, 1), release_date=date(2025, 9, 1), release_amount=D("1000000"),
                        pm_a=s.uid["zhao"], pm_b=s.uid["li"])
    s.others = s.project(maturity=date(2026, 3, 30), release_date=date(2026, 2, 3), release_amount=D("400000"),
                         pm_a=s.uid["zhao"], pm_b=s.uid["risk"])                      # not li's
    s.released = s.project(status="released", maturity=date(2026, 3, 20), release_date=date(2025, 3, 20),
                           release_amount=D("700000"))
    fee = lambda seq, due, status="unpaid": s.store.create("fee_schedule", {  # noqa: E731
        "project": s.mature, "fee_kind": "guarantee_fee", "seq": seq, "due_date": due, "amount": D("30000"),
        "paid_amount": D("30000") if status == "paid" else D("0"), "status": status}).id
    s.fee_due = fee(1, date(2026, 3, 20))
    fee(2, date(2026, 5, 20))                                                         # beyond 30 days
    fee(3, date(2026, 3, 1), "paid")
    s.scan()
    app = create_app({"ENGINE": engine, "CLOCK": clock, "SECRET_KEY": "x", "TESTING": True, "REGISTRY": REGISTRY})
    return s, app


def _section(html, key):
    m = re.search(rf'<div class="card flush" id="due-{key}">(.*?)</div>', html, re.S)
    return m.group(1) if m else None


def test_a_project_manager_sees_their_work_and_not_the_company_figures(home, engine, clock):
    s, app = home
    li = Client(app, "li")
    messages.send(engine, sender="boss", subject="请尽快完成保后检查", users=["li"], now=clock.now())
    html = li.get("/")
    assert 'id="dash-company"' not in html and 'id="dash-chart"' not in html
    assert re.search(r'id="dash-todo" href="/flow/todo">\s*<span class="tile-value">0<', html)
    assert re.search(r'id="dash-messages" href="/messages\?show=unread">\s*<span class="tile-value">\d+<', html)
    unread = messages.unread_count(engine, "li")
    assert f'<span class="tile-value">{unread}</span>' in html and "请尽快完成保后检查" in html
    # warnings by level and state, each a link to 我的预警 filtered
    mine = dashboard.warning_counts(engine, "li")
    assert {k: v["open"] + v["acknowledged"] for k, v in mine.items() if v["open"] + v["acknowledged"]} == \
        warning_counts(engine, "li")
    assert sum(v["open"] for v in mine.values()) >= 1                  # guarantee_maturing on li's project
    for level, by in mine.items():
        assert f'href="/warnings?level={level}&amp;state=open" id="dash-w-{level}-open">{by["open"]}</a>' in html
    # falling due: li is A角 of `mature` (matures 2026-04-10) and B角 of `later` (2026-09-01)
    maturing = _section(html, "maturing")
    assert f'/e/project/{s.mature}"' in maturing and f'/e/project/{s.later}"' not in maturing
    assert f'/e/project/{s.others}"' not in maturing and f'/e/project/{s.released}"' not in maturing
    assert "2026-04-10" in maturing and "2,500,000.00" in maturing
    fees = _section(html, "fees")
    assert f'/e/fee_schedule/{s.fee_due}"' in fees and fees.count("/e/fee_schedule/") == 1
    assert "30,000.00" in fees
    followups = _section(html, "followups")
    rows = find(engine, s.meta, Query("project", [Filter("status", "eq", "in_force")], limit=100), s.store.types)
    due = {r.id for r in rows if r.values.get("next_followup_due") and r.values["next_followup_due"] <= date(2026, 4, 14)
           and s.uid["li"] in (r.values.get("pm_a"), r.values.get("pm_b"))}
    assert due and {int(x) for x in re.findall(r"/e/project/(\d+)", followups)} == due


def test_a_manager_sees_the_company_key_figures_matching_the_data(home, clock):
    s, app = home
    boss = Client(app, "boss")
    html = boss.get("/")
    company = re.search(r'id="dash-company"(.*?)</section>', html, re.S).group(1)
    # in force: mature 2,500,000 + later 1,000,000 + others 400,000 (the released one is not)
    assert re.search(r'id="fig-balance"><dt>[^<]+</dt><dd>3,900,000.00</dd>', company)
    assert re.search(r'id="fig-count"><dt>[^<]+</dt><dd>3</dd>', company)
    # new this year: released in 2026 — mature (2026-01-10) and others (2026-02-03)
    assert re.search(r'id="fig-new"><dt>[^<]+</dt><dd>2,900,000.00 <span class="muted">\(2\)</span>', company)
    assert 'id="fig-compensation"' in company and 'id="fig-leverage"' in company
    # the chart: twelve months up to March 2026, with the number released above each bar
    assert company.count('<g class="bar"') == 12 and 'id="bar-2025-04"' in company and 'id="bar-2026-03"' in company
    assert re.search(r'id="bar-2026-01"><title>2026-01：2,500,000.00[^<]*</title><rect[^>]*/><text[^>]*>1</text>', company)
    assert re.search(r'id="bar-2025-09"><title>2025-09：1,000,000.00', company)
    assert "<script" not in company and "style=" not in company                    # the CSP allows neither


def test_the_figures_and_months_computed_for_the_dashboard(home, clock):
    s, _ = home
    f = dashboard.key_figures(s.store, clock.today())
    assert (f.balance_in_force, f.count_in_force, f.new_this_year_amount, f.new_this_year_count) == \
        (D("3900000.00"), 3, D("2900000.00"), 2)
    months = dashboard.monthly_new(s.store, clock.today())
    assert [m for m, _, _ in months][0] == date(2025, 4, 1) and len(months) == 12
    assert {m: (a, n) for m, a, n in months if n} == {
        date(2025, 9, 1): (D("1000000.00"), 1), date(2026, 1, 1): (D("2500000.00"), 1),
        date(2026, 2, 1): (D("400000.00"), 1)}


def test_the_figures_come_from_the_regulatory_module_when_the_pack_configures_it(home, clock):
    s, _ = home
    f = dashboard.key_figures(s.store, clock.today())
    try:
        from core.regulatory import company_figures
        company_figures(s.store, clock.today())
    except Exception:  # noqa: BLE001 - not configured (or not installed): the plain figures, with a note
        assert not f.regulatory and f.compensation_rate is None and f.notes
    else:
        assert f.regulatory
