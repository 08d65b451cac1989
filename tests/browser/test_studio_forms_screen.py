"""The form layout editor in a real browser: an administrator moves a field with the keyboard (the focus
stays on the move button, so Enter moves it again), adds a section with a field, previews the form
from the draft with its live rules working, and publishes; staff then see the new layout."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import screenshot, settle, sign_in


def submit(page, act) -> None:
    """Post one of the editor's forms and wait for the page after it (each edit compiles the draft)."""
    with page.expect_navigation(timeout=30_000):
        act()


def test_an_administrator_reorders_adds_a_section_previews_and_publishes(live_server, new_page):
    page = new_page()
    sign_in(page, live_server, "admin")
    page.goto(live_server + "/studio/forms")
    page.click("#form-project a")
    fields = page.locator("#section-applicant .layout-fields > li")
    expect(fields.first).to_have_id("ff-number")

    # keyboard only: focus the move-down button of 项目编号 and press Enter twice
    page.focus("#down-field-number")
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.locator("#down-field-number")).to_be_focused()
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.locator("#down-field-number")).to_be_focused()
    expect(fields.nth(2)).to_have_id("ff-number")

    # a new section in the first tab, with a field taken off another section
    submit(page, lambda: page.click("#remove-field-remarks"))
    page.click("#new-section-application summary")
    page.fill("#f-add-section-application-name", "site_visit")
    page.fill("#f-add-section-application-label_zh", "现场走访")
    page.select_option("#f-add-section-application-columns", "1")
    submit(page, lambda: page.click("#add-section-application"))
    expect(page.locator("#section-site_visit h3")).to_contain_text("现场走访")
    page.select_option("#f-add-field-site_visit-field", "remarks")
    submit(page, lambda: page.click("#add-field-site_visit"))
    expect(page.locator("#section-site_visit #ff-remarks")).to_be_visible()
    page.locator("#section-site_visit").evaluate("e => e.scrollIntoView({block: 'center'})")
    screenshot(page, "studio-form")

    # the preview: the draft's layout, the live rules at work, no saving
    page.click("#form-preview")
    settle(page)
    expect(page.locator("#sec-site_visit")).to_contain_text("现场走访")
    expect(page.locator("#sec-site_visit #f-remarks")).to_be_visible()
    expect(page.locator("#sec-applicant .field").nth(2)).to_have_id("w-number")
    expect(page.locator("#save")).to_be_disabled()
    expect(page.locator("#w-individual")).to_be_hidden()
    page.select_option("#f-customer_type", "individual")      # visible_if, through the draft's live route
    expect(page.locator("#w-individual")).to_be_visible()
    expect(page.locator("#w-enterprise")).to_be_hidden()

    # staff do not see it until it is published
    page.goto(live_server + "/e/project/new")
    settle(page)
    expect(page.locator("#sec-site_visit")).to_have_count(0)
    page.goto(live_server + "/studio/draft")
    submit(page, lambda: page.click("#draft-publish"))
    expect(page.locator("#version-2 .badge")).to_have_text("当前")
    page.goto(live_server + "/e/project/new")
    settle(page)
    expect(page.locator("#sec-site_visit #f-remarks")).to_be_visible()
