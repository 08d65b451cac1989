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
