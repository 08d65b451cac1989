"""An existing enterprise customer in a real browser: found through the list's active search and
filters, edited in two sessions at once (the second save gets the conflict message), its history,
the English interface; and the screenshots of the main screens (docs/screenshots/, linked from the
README). Each test seeds its own data through core.store.Store: demo customers in the background
(core.demo.load_demo) and one customer with child rows, created as pm_a."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from core import metastore
from core.checksums import make_id_number, make_uscc
from core.demo import load_demo
from core.store import Actor, Store

from .conftest import screenshot, settle, sign_in

LIST = "/e/enterprise_customer"
NAME = "杭州恒信精密机械有限公司"
PM_A = Actor("pm_a", roles=["pm"])


def customer_values() -> dict:
    """A realistic enterprise customer with shareholders, bank accounts, loans, key persons and
    financial statements."""
    def person(y, m, d, seq, gender):
        return make_id_number("330106", date(y, m, d), seq, gender)

    return {
        "name": NAME, "short_name": "恒信精机", "uscc": make_uscc("91330106MA2B3C4D5"),
        "legal_rep": "陈志远", "legal_rep_id_number": person(1975, 6, 18, 31, "male"),
        "legal_rep_phone": "13857112345", "registered_capital": Decimal("12345678.90"),
        "paid_in_capital": Decimal("10000000"), "established_on": date(2009, 4, 21),
        "company_type": "private", "industry": "C34", "region": "330106",
        "address": "浙江省杭州市西湖区文三路 478 号", "office_address": "杭州市西湖区西园八路 3 号",
        "business_scope": "通用设备、精密传动部件的研发、制造与销售；货物进出口。",
        "employees": 286, "annual_revenue": Decimal("186530000"), "size": "small",
        "phone": "0571-88231234", "email": "finance@hengxin-jj.cn", "basic_account_bank": "中国工商银行杭州西湖支行",
        "status": "active", "premises": "leased", "premises_area": Decimal("12800"), "lease_end": date(2029, 12, 31),
        "is_high_tech": True,
        "shareholders": [
            {"name": "杭州恒信控股集团有限公司", "kind": "company", "uscc": make_uscc("91330100MA27XY123"),
             "share": Decimal("45"), "contribution": Decimal("5555555.50"), "is_controller": True},
            {"name": "陈志远", "kind": "person", "id_number": person(1975, 6, 18, 31, "male"),
             "share": Decimal("25"), "contribution": Decimal("3086419.72")},
            {"name": "王晓梅", "kind": "person", "id_number": person(1979, 2, 3, 42, "female"),
             "share": Decimal("12.5"), "contribution": Decimal("1543209.86")},
            {"name": "杭州西湖产业投资基金合伙企业（有限合伙）", "kind": "company",
             "uscc": make_uscc("91330106MA2CD7788"), "share": Decimal("10"), "contribution": Decimal("1234567.89")},
            {"name": "刘建国", "kind": "person", "id_number": person(1968, 11, 9, 17, "male"),
             "share": Decimal("7.5"), "contribution": Decimal("925925.93")},
        ],
        "bank_accounts": [
            {"bank_name": "中国工商银行杭州西湖支行", "account_no": "1202 0212 0990 0123 456", "account_type": "basic",
             "opened_on": date(2009, 5, 6)},
            {"bank_name": "杭州银行科技支行", "account_no": "3301 0401 6000 8876 5", "account_type": "general",
             "opened_on": date(2015, 8, 20)},
            {"bank_name": "招商银行杭州分行", "account_no": "5719 0566 7710 902", "account_type": "general",
             "opened_on": date(2020, 3, 11)},
        ],
        "loans": [
            {"lender": "杭州银行科技支行", "amount": Decimal("8000000"), "balance": Decimal("6500000"),
             "rate": Decimal("3.85"), "guarantee_method": "guarantee", "guarantor": "杭州市融资担保有限公司"},
            {"lender": "中国工商银行杭州西湖支行", "amount": Decimal("5000000"), "balance": Decimal("5000000"),
             "rate": Decimal("3.45"), "guarantee_method": "mortgage"},
        ],
        "financial_statements": [
            {"period": date(2023, 12, 31), "period_type": "year", "audited": True, "auditor": "天健会计师事务所",
             "total_assets": Decimal("152300000"), "current_assets": Decimal("88400000"),
             "total_liabilities": Decimal("79800000"), "current_liabilities": Decimal("52100000"),
             "revenue": Decimal("171200000"), "net_profit": Decimal("12650000")},
            {"period": date(2024, 12, 31), "period_type": "year", "audited": True, "auditor": "天健会计师事务所",
             "total_assets": Decimal("168900000"), "current_assets": Decimal("97300000"),
             "total_liabilities": Decimal("85600000"), "current_liabilities": Decimal("55800000"),
             "revenue": Decimal("186530000"), "net_profit": Decimal("14320000")},
            {"period": date(2025, 9, 30), "period_type": "quarter", "total_assets": Decimal("175400000"),
             "current_assets": Decimal("101200000"), "total_liabilities": Decimal("88100000"),
             "current_liabilities": Decimal("57300000"), "revenue": Decimal("142800000"),
             "net_profit": Decimal("10900000")},
        ],
    }


def store_of(engine) -> Store:
    inst = metastore.current(engine)
    return Store(engine, inst.meta, meta_version=inst.version)


@pytest.fixture
def customer(live_server, engine):
    """Demo customers in the background, then ours (the newest: first in the list), as pm_a."""
    store = store_of(engine)
    load_demo(store, enterprises=40, individuals=0, banks=0)
    values = customer_values()
    return store.create("enterprise_customer", values, actor=PM_A)


def test_find_through_search_and_filters(live_server, new_page, customer):
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(live_server + LIST)
    rows = page.locator("#list-results tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator(".list-count")).to_contain_text("41")
    expect(rows.first).to_contain_text(NAME)
    screenshot(page, "list")
    page.evaluate("window.__same_document = true")      # gone if the page were reloaded

    # active search by part of the name: the table updates as the user types, and the URL follows
    page.locator("#list-form input[type=search]").press_sequentially("恒信精")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NAME)
    page.wait_for_url(lambda url: "q=恒信精" in unquote(url))
    assert page.evaluate("window.__same_document") is True

    # the search box emptied: every customer again
    page.locator("#list-form input[type=search]").fill("")
    expect(rows).to_have_count(20)
    page.wait_for_url(lambda url: "q=" not in url)

    # filters: region Hangzhou (a city matches its districts), then size "small"
    page.click("#list-filters summary")
    page.select_option("#filter-region", "330100")
    page.wait_for_url(lambda url: "f.region=330100" in url)
    settle(page)
    n_region = int(re.sub(r"\D", "", page.locator(".list-count").inner_text()))
    assert 1 <= n_region < 41
    page.check("#list-filters input[name='f.size'][value='small']")
    page.wait_for_url(lambda url: "f.size=small" in url and "f.region=330100" in url)
    settle(page)
    expect(page.locator("#list-results tbody")).to_contain_text(NAME)
    n_both = int(re.sub(r"\D", "", page.locator(".list-count").inner_text()))
    assert 1 <= n_both <= n_region
    assert page.evaluate("window.__same_document") is True

    # the state is in the URL: reloading it shows the same list
    page.reload()
    expect(page.locator(".list-count")).to_contain_text(str(n_both))
    expect(page.locator("#list-results tbody")).to_contain_text(NAME)

    # clear: the others are listed again
    page.locator("#list-filters a.btn").click()
    expect(page).to_have_url(re.compile(r"/e/enterprise_customer$"))
    expect(rows).to_have_count(20)
    expect(page.locator(".list-count")).to_contain_text("41")

    rows.filter(has_text=NAME).locator("a").first.click()                 # the first column links the record
    expect(page).to_have_url(re.compile(rf"/e/enterprise_customer/{customer.id}$"))
    expect(page.locator("h1")).to_have_text(NAME)


def test_conflict_between_two_sessions(live_server, new_page, customer):
    edit = f"{live_server}{LIST}/{customer.id}/edit"
    a, b = new_page(), new_page()
    sign_in(a, live_server, "pm_a")
    sign_in(b, live_server, "pm_b")
    a.goto(edit)
    b.goto(edit)
    expect(a.locator("#f-legal_rep")).to_have_value("陈志远")
    expect(b.locator("#f-legal_rep")).to_have_value("陈志远")

    a.fill("#f-legal_rep", "王建华")
    a.click("#save")
    expect(a).to_have_url(re.compile(rf"/e/enterprise_customer/{customer.id}$"))
    expect(a.locator("#v-legal_rep dd")).to_have_text("王建华")

    b.fill("#f-legal_rep", "赵立新")
    b.click("#save")
    conflict = b.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("项目经理A角 张明")                 # who saved in the meantime
    row = conflict.locator("tbody tr", has_text="法定代表人")
    expect(row.locator("td")).to_have_text(["法定代表人", "陈志远", "王建华", "赵立新"])  # before, theirs, yours
    expect(b.locator("#f-legal_rep")).to_have_value("赵立新")             # the input is kept

    # nothing was overwritten
    b.goto(f"{live_server}{LIST}/{customer.id}")
    expect(b.locator("#v-legal_rep dd")).to_have_text("王建华")
    expect(b.locator(".record-meta")).to_contain_text("2")               # version 2: one save only

    # "reload the latest version" opens the form with the other user's value
    b.goto(edit)
    expect(b.locator("#f-legal_rep")).to_have_value("王建华")


def test_history_shows_before_and_after(live_server, new_page, customer):
    page = new_page()
    sign_in(page, live_server, "pm_b")
    page.goto(f"{live_server}{LIST}/{customer.id}")
    page.click("#edit")
    page.fill("#f-legal_rep", "王建华")
    page.fill("#f-registered_capital", "15,000,000")
    share = page.locator("#f-shareholders-4-share")
    share.fill("")
    share.press_sequentially("5")
    expect(page.locator("#f-total_share")).to_have_text(re.compile(r"^\s*97\.50%\s*$"))
    page.click("#save")
    expect(page.locator("#v-registered_capital dd")).to_have_text("15,000,000.00")

    page.click("#tab-history")
    expect(page).to_have_url(re.compile(rf"/e/enterprise_customer/{customer.id}/history$"))
    latest = page.locator(".history-entry").first
    expect(latest.locator(".history-who")).to_contain_text("项目经理B角 李娜")
    expect(latest.locator(".history-who")).to_contain_text("第 2 版")
    lines = latest.locator("tbody tr")
    expect(lines.filter(has_text="法定代表人").first.locator("td.before")).to_have_text("陈志远")
    expect(lines.filter(has_text="法定代表人").first.locator("td.after")).to_have_text("王建华")
    capital = lines.filter(has_text="注册资本")
    expect(capital.locator("td.before")).to_have_text("12,345,678.90")
    expect(capital.locator("td.after")).to_have_text("15,000,000.00")
    share_line = lines.filter(has_text="股东信息 #5 持股比例")
    expect(share_line.locator("td.before")).to_have_text(re.compile(r"^7\.50*%$"))
    expect(share_line.locator("td.after")).to_have_text(re.compile(r"^5(\.0+)?%$"))
    created = page.locator(".history-entry").last
    expect(created.locator(".history-who")).to_contain_text("项目经理A角 张明")
    expect(created.locator(".badge")).to_have_text("创建")
    screenshot(page, "history")


def test_english_interface(live_server, new_page, customer):
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(live_server + LIST)
    expect(page.locator("h1")).to_have_text("企业客户")
    expect(page.locator("#list-results thead")).to_contain_text("企业名称")

    page.click(".langs button[lang=en]")
    expect(page.locator("h1")).to_have_text("Enterprise customer")          # interface and metadata labels
    expect(page.locator("#list-results thead")).to_contain_text("Company name")
    expect(page.locator("#list-results thead")).to_contain_text("Legal representative")
    expect(page.locator(".list-search button[type=submit]")).to_have_text("Search")
    expect(page.locator("button.signout")).to_have_text("Sign out")
    expect(page.locator("#new")).to_have_text("New Enterprise customer")

    page.locator("#list-results tbody tr", has_text=NAME).locator("a").first.click()   # the choice lasts
    expect(page.locator("#edit")).to_have_text("Edit")
    expect(page.locator("#v-registered_capital dt")).to_have_text("Registered capital (CNY)")
    expect(page.locator("#v-registered_capital dd")).to_have_text("12,345,678.90")
    expect(page.locator("#v-established_on dd")).to_have_text("Apr 21, 2009")
    expect(page.locator("#v-company_type dd")).to_have_text("Private enterprise")

    page.click(".langs button[lang=zh-CN]")
    expect(page.locator("#edit")).to_have_text("编辑")
    expect(page.locator("#v-established_on dd")).to_have_text("2009-04-21")


def test_screenshots_of_record_and_form(live_server, new_page, customer):
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(f"{live_server}{LIST}/{customer.id}")
    expect(page.locator("#v-total_share dd")).to_have_text(re.compile(r"^100(\.0+)?%$"))
    expect(page.locator("#view-shareholders tbody tr")).to_have_count(5)
    screenshot(page, "record")

    page.click("#edit")
    expect(page.locator("#row-shareholders-4")).to_be_visible()
    # the shareholders section just below the sticky header
    page.locator("#sec-shareholders").evaluate(
        "el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY"
        " - document.querySelector('header').offsetHeight - 12)")
    page.locator("#f-shareholders-2-share").focus()
    screenshot(page, "edit")
