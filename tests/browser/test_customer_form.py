"""Creating an enterprise customer in a real browser: required fields, cascading code selects,
shareholders as child rows, a live computed total, conditional columns, check-character feedback
while typing, a record-level error on save (input kept), then the saved record's view."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from core.checksums import make_uscc

from .conftest import settle, sign_in

ENTITY = "/e/enterprise_customer"
USCC = make_uscc("91330106MA2B3C4D5")
SHAREHOLDER_USCC = make_uscc("91330100MA27XY123")


def pct(n: int) -> re.Pattern:
    """A percentage as the screens show it: 60%, 60.00%."""
    return re.compile(rf"^\s*{n}(\.0+)?%\s*$")


def wrong_check_char(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def choose_region(page, codes=("330000", "330100", "330106")) -> None:
    """The cascading region select: province, then the city select appears, then the district."""
    page.select_option("#f-region", codes[0])
    for level, code in enumerate(codes[1:], start=1):
        settle(page)                       # the next level is swapped in and processed by HTMX
        sel = page.locator(f"#f-region-{level}")
        expect(sel.locator(f"option[value='{code}']")).to_be_attached()
        sel.select_option(code)
    settle(page)


def choose_industry(page, codes=("C", "C34")) -> None:
    page.select_option("#f-industry", codes[0])
    settle(page)
    sel = page.locator("#f-industry-1")
    expect(sel.locator(f"option[value='{codes[1]}']")).to_be_attached()
    sel.select_option(codes[1])
    settle(page)


def add_row(page, table: str, index: int) -> None:
    page.click(f"#add-{table}")
    expect(page.locator(f"#row-{table}-{index}")).to_be_visible()


def test_create_enterprise_customer_with_shareholders(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(live_server + ENTITY)
    page.click("#new")
    expect(page).to_have_url(re.compile(r"/e/enterprise_customer/new$"))
    expect(page.locator("#f-number")).to_contain_text("保存时")          # "assigned when saved"

    page.evaluate("window.__same_document = true")   # gone if the page were reloaded

    # required fields (the form marks them with *)
    page.fill("#f-name", "杭州恒信精密机械有限公司")
    page.fill("#f-short_name", "恒信精机")
    page.fill("#f-legal_rep", "陈志远")
    page.fill("#f-registered_capital", "12345678.9")
    page.fill("#f-paid_in_capital", "5000000")
    page.select_option("#f-company_type", "private")
    choose_industry(page)
    choose_region(page)

    # the credit code: a wrong check character is reported while typing, and goes when fixed
    uscc = page.locator("#f-uscc")
    uscc.fill(wrong_check_char(USCC))
    expect(page.locator("#err-uscc")).not_to_be_empty()
    expect(page.locator("#w-uscc")).to_be_visible()
    uscc.fill(USCC)
    expect(page.locator("#err-uscc")).to_be_empty()

    # a conditional top-level field: unlimited business term unchecked -> "term ends" appears, required
    expect(page.locator("#w-business_term_end")).to_be_hidden()
    page.uncheck("#f-business_term_unlimited")
    expect(page.locator("#w-business_term_end")).to_be_visible()
    expect(page.locator("#req-business_term_end")).to_have_text("*")
    page.check("#f-business_term_unlimited")
    expect(page.locator("#w-business_term_end")).to_be_hidden()

    # shareholders: a company (credit code column) and a person (ID number column)
    add_row(page, "shareholders", 0)
    page.fill("#f-shareholders-0-name", "杭州恒信控股集团有限公司")
    expect(page.locator("#w-shareholders-0-uscc")).to_be_hidden()
    expect(page.locator("#w-shareholders-0-id_number")).to_be_hidden()
    page.select_option("#f-shareholders-0-kind", "person")
    expect(page.locator("#w-shareholders-0-id_number")).to_be_visible()
    expect(page.locator("#w-shareholders-0-uscc")).to_be_hidden()
    page.select_option("#f-shareholders-0-kind", "company")
    expect(page.locator("#w-shareholders-0-uscc")).to_be_visible()
    expect(page.locator("#w-shareholders-0-id_number")).to_be_hidden()
    page.fill("#f-shareholders-0-uscc", SHAREHOLDER_USCC)

    total = page.locator("#f-total_share")
    page.locator("#f-shareholders-0-share").press_sequentially("60")
    expect(total).to_have_text(pct(60))                                      # live, no reload
    expect(page.locator("#tot-shareholders-share")).to_have_text(pct(60))

    add_row(page, "shareholders", 1)
    expect(page.locator("#f-shareholders-0-name")).to_have_value("杭州恒信控股集团有限公司")  # kept
    page.fill("#f-shareholders-1-name", "陈志远")
    page.select_option("#f-shareholders-1-kind", "person")
    expect(page.locator("#w-shareholders-1-id_number")).to_be_visible()
    expect(page.locator("#w-shareholders-1-uscc")).to_be_hidden()
    page.fill("#f-shareholders-1-id_number", "330106198503150018")
    page.locator("#f-shareholders-1-share").press_sequentially("50")
    expect(total).to_have_text(pct(110))
    expect(page.locator("#form-errors")).to_contain_text("股东持股比例合计不能超过100%")   # already while typing
    assert page.evaluate("window.__same_document") is True                   # no reload happened

    # save with 110 %: refused with the record-level error, everything typed is still there
    page.click("#save")
    expect(page.locator("#form-errors .alert.error")).to_contain_text("股东持股比例合计不能超过100%")
    expect(page).to_have_url(re.compile(r"/e/enterprise_customer/new$"))
    expect(page.locator("#f-name")).to_have_value("杭州恒信精密机械有限公司")
    expect(page.locator("#f-uscc")).to_have_value(USCC)
    expect(page.locator("#f-shareholders-1-share")).to_have_value("50")
    expect(page.locator("#f-shareholders-0-uscc")).to_have_value(SHAREHOLDER_USCC)
    expect(page.locator("#f-region-2")).to_have_value("330106")

    # fix the share and save: redirected to the view, showing the values
    share = page.locator("#f-shareholders-1-share")
    share.fill("")
    share.press_sequentially("40")
    expect(total).to_have_text(pct(100))
    expect(page.locator("#form-errors")).not_to_contain_text("股东持股比例合计")
    page.click("#save")
    expect(page).to_have_url(re.compile(r"/e/enterprise_customer/\d+$"))
    expect(page.locator("h1")).to_have_text("杭州恒信精密机械有限公司")
    expect(page.locator("#v-registered_capital dd")).to_have_text("12,345,678.90")
    expect(page.locator("#v-paid_in_capital dd")).to_have_text("5,000,000.00")
    expect(page.locator("#v-uscc dd")).to_have_text(USCC)
    expect(page.locator("#v-total_share dd")).to_have_text(pct(100))
    expect(page.locator("#v-number dd")).to_have_text(re.compile(r"^QY\d{6}-\d{5}$"))
    expect(page.locator("#v-region dd")).to_contain_text("西湖区")
    rows = page.locator("#view-shareholders tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(SHAREHOLDER_USCC)
    expect(rows.nth(1)).to_contain_text("330106198503150018")
    expect(rows.nth(1).locator("td", has_text=pct(40))).to_have_count(1)


def test_typing_names_the_input_and_leaves_it_alone(live_server, new_page):
    """The form posts to the live route while the user types (one trigger on the form, no
    attributes on the inputs) and names the input typed in: a short ID number gets no error while
    it is being typed, and gets one when the user leaves it."""
    page = new_page()
    sign_in(page, live_server, "pm_a")
    page.goto(live_server + ENTITY + "/new")
    field = page.locator("#f-legal_rep_id_number")
    assert field.get_attribute("hx-post") is None                          # hoisted to the form
    with page.expect_request(lambda r: "/live" in r.url and "_typing=legal_rep_id_number" in (r.post_data or "")):
        field.press_sequentially("3301061985")
    settle(page)
    expect(page.locator("#err-legal_rep_id_number")).to_be_empty()          # still typing: left alone
    expect(field).to_be_focused()
    with page.expect_request(lambda r: "/live" in r.url and "_typing" not in (r.post_data or "")):
        page.locator("#f-legal_rep_phone").focus()                          # left the field: a change
    expect(page.locator("#err-legal_rep_id_number")).not_to_be_empty()
