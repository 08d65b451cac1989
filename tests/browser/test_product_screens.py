"""A project's product in a real browser: the new-record form lays itself out again when a product
with its own form is chosen (the construction performance guarantee's form has no bank and adds
the works), and the 申报资料 checklist takes an upload and shows the document as present."""
from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from core import metastore, sampledata
from core.store import Actor, Store

from .conftest import screenshot, serve, settle, sign_in

PM_A = Actor("pm_a", roles=["pm"])


@pytest.fixture
def site(engine, clock, tmp_path):
    yield from serve(engine, clock, tmp_path, "standard", "construction")


def store_of(engine, clock) -> Store:
    inst = metastore.current(engine)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


def test_choosing_a_product_switches_the_form(site, new_page):
    page = new_page()
    sign_in(page, site)
    page.goto(site + "/e/project/new")
    expect(page.locator("#w-bank")).to_be_visible()
    page.fill("#f-purpose", "滨江区第三小学新建工程履约保函")
    page.select_option("#f-product", "construction_performance")
    settle(page)
    expect(page.locator("#w-works_name")).to_be_visible()
    expect(page.locator("#w-bank")).to_have_count(0)
    expect(page.locator("input[name=_form]")).to_have_value("construction_project")
    expect(page.locator("#f-purpose")).to_have_value("滨江区第三小学新建工程履约保函")   # what was typed stays
    page.select_option("#f-product", "working_capital_loan")
    settle(page)
    expect(page.locator("#w-bank")).to_be_visible()
    expect(page.locator("input[name=_form]")).to_have_value("project")
    expect(page.locator("#w-works_name")).to_be_hidden()      # on the project form, for its product only


def test_the_checklist_takes_an_upload(site, new_page, engine, clock, tmp_path):
    store = store_of(engine, clock)
    company = store.create("enterprise_customer", sampledata.enterprise(random.Random(3), clock.today())).id
    bank = store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
    rid = store.create("project", {"customer_type": "enterprise", "enterprise": company, "business_type": "loan",
                                   "bank": bank, "product": "working_capital_loan", "amount": 3000000,
                                   "term_months": 12},
                       actor=PM_A).id
    scan = tmp_path / "营业执照.pdf"
    scan.write_bytes(b"%PDF-1.4\n% licence\n")
    page = new_page()
    sign_in(page, site)
    page.goto(f"{site}/e/project/{rid}")
    row = page.locator("#rd-business_license")
    expect(row).to_have_class("rd-missing")
    row.locator("input[type=file]").set_input_files(str(scan))
    row.locator("button[type=submit]").click()
    settle(page)
    row = page.locator("#rd-business_license")
    expect(row).to_have_class("rd-present")
    expect(row.locator("a")).to_have_text("营业执照.pdf")
    expect(page.locator("#required-docs [role=status]")).to_contain_text("已上传")
    expect(page.locator("#rd-credit_report")).to_have_class("rd-missing")
    page.locator("#required-docs").scroll_into_view_if_needed()
    screenshot(page, "required_documents")
