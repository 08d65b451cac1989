"""The studio in a real browser: an administrator imports a company pack from an archive, sees what
installing it changes, installs it as a new metadata version and finds the new field on a form."""
from __future__ import annotations

import zipfile

from playwright.sync_api import expect

from .conftest import screenshot, settle, sign_in

ACME = {
    "acme/pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: standard, version: '>=1'}]\n",
    "acme/entities/enterprise_customer.yaml": "overlay: enterprise_customer\n"
                                              "add_fields: [{name: wechat, type: text, label: 微信号}]\n",
}


def test_an_administrator_imports_and_installs_a_pack(live_server, new_page, tmp_path):
    archive = tmp_path / "acme.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, content in ACME.items():
            z.writestr(name, content)
    page = new_page()
    sign_in(page, live_server, "admin")
    page.click("#nav-studio")
    expect(page.locator("h1")).to_have_text("配置工作台")
    expect(page.locator("#version-1")).to_contain_text("standard")
    page.set_input_files("#archive", str(archive))
    page.click("#check-archive")
    expect(page.locator("#studio-changes")).to_contain_text("+wechat")
    screenshot(page, "studio-import")
    page.click("#install-archive")
    expect(page.locator(".flash, .alert").first).to_contain_text("元数据版本 2")
    expect(page.locator("#version-2 .badge")).to_have_text("当前")
    page.goto(live_server + "/e/enterprise_customer/new")
    settle(page)
    expect(page.locator("#l-wechat")).to_contain_text("微信号")


def test_an_administrator_adds_a_choice_field_in_a_draft_and_publishes_it(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/studio/entities/enterprise_customer")
    page.click("#add-field")
    page.select_option("#f-type", "choice")               # the form is laid out again for a choice
    expect(page.locator("#f-codelist")).to_be_visible()
    expect(page.locator("#f-max_length")).to_have_count(0)
    page.fill("#f-name", "cooperation")
    page.fill("#f-label_zh", "合作等级")
    page.select_option("#f-codelist", "company_type")
    page.select_option("#f-after", "name")
    screenshot(page, "studio-field")
    page.click("#save-field")
    expect(page.locator("#field-cooperation")).to_contain_text("合作等级")
    page.goto(live_server + "/e/enterprise_customer/new")       # staff do not see drafts
    settle(page)
    expect(page.locator("#l-cooperation")).to_have_count(0)
    page.goto(live_server + "/studio/draft")
    expect(page.locator("#studio-changes")).to_contain_text("+cooperation")
    page.click("#draft-publish")
    expect(page.locator("#version-2 .badge")).to_have_text("当前")
    page.goto(live_server + "/e/enterprise_customer/new")
    settle(page)
    expect(page.locator("#l-cooperation")).to_contain_text("合作等级")


def test_an_administrator_defines_a_product_with_its_code_list_and_staff_are_offered_it(live_server, new_page):
    """In the browser, a new code list with entries, a field using it and a product with its roles go
    into one draft; once published, a project manager is offered the product and the field."""
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/studio/codelists")
    page.fill("#new-name", "green_level")
    page.fill("#new-zh", "绿色等级")
    page.click("#codelist-create")
    for code, zh in (("a", "一级"), ("b", "二级")):
        page.fill("#item_code", code)
        page.fill("#item_zh", zh)
        page.click("#item-save")
        expect(page.locator(f"#item-{code}")).to_contain_text(zh)
    page.goto(live_server + "/studio/entities/project/fields/new")
    page.select_option("#f-type", "choice")
    expect(page.locator("#f-codelist")).to_be_visible()
    page.fill("#f-name", "green_level")
    page.fill("#f-label_zh", "绿色等级")
    page.select_option("#f-codelist", "green_level")
    page.click("#save-field")
    expect(page.locator("#field-green_level")).to_be_visible()
    page.goto(live_server + "/studio/products")
    page.fill("#product-new [name=name]", "green_loan")
    page.fill("#product-new [name=label_zh]", "绿色贷款担保")
    page.select_option("#product-new [name=business_type]", "loan")
    page.select_option("#product-new [name=workflow]", "guarantee")
    page.click("#product-create")
    page.check("#f-roles-pm")
    screenshot(page, "studio-product")
    page.click("#save-product")
    page.goto(live_server + "/studio/draft")
    expect(page.locator("#studio-changes")).to_contain_text("green_loan")
    page.click("#draft-publish")
    expect(page.locator("#version-2 .badge")).to_have_text("当前")

    staff = new_page()
    sign_in(staff, live_server, "pm_a")
    staff.goto(live_server + "/e/project/new")
    settle(staff)
    expect(staff.locator("select[name=product] option[value=green_loan]")).to_have_count(1)
    expect(staff.locator("#l-green_level")).to_contain_text("绿色等级")
