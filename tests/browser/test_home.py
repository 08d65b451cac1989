"""The home dashboard in a real browser: a general manager signed in on demo data sees their
tiles, the company's key figures and the monthly chart (screenshot docs/screenshots/home.png);
the header's unread count is swapped in place by its HTMX fragment, under the strict CSP."""
from __future__ import annotations

from playwright.sync_api import expect

from core import messages, metastore
from core.clock import Clock
from core.demo_data import generate
from core.store import Store
from core.warnings import scan
from plugins.manager import build_registry

from .conftest import screenshot, settle, sign_in


def test_the_home_dashboard_of_a_manager(live_server, engine, new_page):
    registry = build_registry()
    installed = metastore.current(engine, **registry.checks())
    store = Store(engine, installed.meta, clock=Clock(), registry=registry, meta_version=installed.version)
    generate(store, 40, seed=2026)
    scan(engine, installed.meta, registry=registry, clock=Clock())
    now = Clock().now()
    messages.publish(engine, author="admin", roles=["admin"], title="关于年末保后检查的通知",
                     body="请各项目经理于月底前完成在保项目的保后检查。", now=now)
    messages.send(engine, sender="risk", subject="本月代偿风险排查结果", departments=["gm_office"], now=now)
    page = new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "gm")
    page.goto(live_server + "/")
    expect(page.locator("#dash-company")).to_be_visible()
    expect(page.locator("#dash-chart svg.chart")).to_be_visible()
    assert page.locator("#dash-chart g.bar").count() == 12
    expect(page.locator("#fig-balance dd")).not_to_have_text("0.00")
    expect(page.locator("#dash-todo .tile-value")).to_be_visible()
    unread = messages.unread_count(engine, "gm")       # the to-dos of the demo flows, and risk's message
    expect(page.locator("#nav-messages-count")).to_have_text(str(unread))
    screenshot(page, "home")
    # a new message: the header's fragment (polled every 60 s) brings the count without a reload
    messages.send(engine, sender="admin", subject="系统维护", users=["gm"], now=now)
    page.evaluate("htmx.ajax('GET', '/messages/count', {target: '#nav-messages', swap: 'outerHTML'})")
    settle(page)
    expect(page.locator("#nav-messages-count")).to_have_text(str(unread + 1))
    expect(page.locator("#nav-messages")).to_have_attribute("hx-trigger", "every 60s")
    assert not [e for e in errors if "Content Security Policy" in e]


def test_a_project_manager_has_no_company_figures(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(live_server + "/")
    expect(page.locator("#dash-mine")).to_be_visible()
    assert page.locator("#dash-company").count() == 0
