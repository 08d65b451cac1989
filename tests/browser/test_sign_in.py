"""Signing in and out in a real browser: a wrong password is refused with a message, the right one
opens the home page with the user's name in the header."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from core.demo import DEMO_PASSWORD

from .conftest import screenshot


def test_sign_in_wrong_password_then_right_one(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/e/enterprise_customer")                 # not signed in: to the sign-in page
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("h1")).to_have_text("登录")
    screenshot(page, "login")

    page.fill("#username", "pm_a")
    page.fill("#password", DEMO_PASSWORD + "-wrong")
    page.click("button[type=submit]")
    expect(page.locator("form.login .alert.error")).to_have_text("用户名或密码错误。")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("#username")).to_have_value("pm_a")            # the name is kept
    expect(page.locator("#password")).to_have_value("")
    expect(page.locator(".who")).to_have_count(0)

    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/e/enterprise_customer$"))  # back where the user was going
    expect(page.locator(".who")).to_have_text("项目经理A角 张明")
    expect(page.locator("nav.side")).to_contain_text("企业客户")

    page.click("button.signout")
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(live_server + "/e/enterprise_customer")
    expect(page).to_have_url(re.compile(r"/login"))                    # signed out for real
