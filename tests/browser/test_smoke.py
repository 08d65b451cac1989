"""The browser harness itself: sign in and see the home page in a real Chromium."""
from .conftest import sign_in


def test_sign_in_in_a_real_browser(live_server, new_page):
    page = new_page()
    sign_in(page, live_server)
    assert page.locator("nav").first.inner_text().strip() != ""
    page.goto(live_server + "/e/enterprise_customer")
    assert page.locator("h1").first.inner_text().strip()
