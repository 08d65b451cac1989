"""我的预警 through the Flask test client: a recipient sees their warnings (not others'), filters by
level and state, acknowledges, handles with a note; a non-recipient cannot act."""
from __future__ import annotations

import re

import pytest

from ui.app import create_app

from .test_rules_fixtures import BIG, OVERDUE, World


def _token(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Client:
    """A signed-in user of the app (the test users' password), posting with the session's CSRF token."""

    def __init__(self, app, username):
        self.c = app.test_client()
        html = self.c.get("/login").get_data(as_text=True)
        assert self.c.post("/login", data={"username": username, "password": "Secret-pass-1",
                                           "csrf_token": _token(html)}).status_code == 302
        self.token = _token(self.c.get("/").get_data(as_text=True))     # the header's sign-out form

    def get(self, url, status=200):
        resp = self.c.get(url)
        assert resp.status_code == status
        return resp.get_data(as_text=True)

    def post(self, url, **data):
        return self.c.post(url, data={"csrf_token": self.token, **data})


@pytest.fixture
def site(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE, big_loan=BIG)
    w.a = w.loan("甲贷款")
    w.scan()
    app = create_app({"ENGINE": engine, "CLOCK": clock, "SECRET_KEY": "x", "TESTING": True})
    return w, app


def test_a_recipient_sees_acknowledges_and_handles_a_warning(site):
    w, app = site
    li = Client(app, "li")
    html = li.get("/warnings")
    [overdue] = w.warnings(rule="loan_overdue")
    assert f'id="warning-{overdue.id}"' in html and "甲贷款 逾期 14 天" in html and "贷款逾期" in html
    assert f'href="/e/loan/{w.a.id}"' in html
    assert "大额" not in html                                   # big_loan goes to risk, not to li
    assert li.post(f"/warnings/{overdue.id}/acknowledge").status_code == 302
    assert w.warnings(rule="loan_overdue")[0].state == "acknowledged"
    assert li.post(f"/warnings/{overdue.id}/handle", note="").status_code == 302
    assert w.warnings(rule="loan_overdue")[0].state == "acknowledged"      # a note is required
    li.post(f"/warnings/{overdue.id}/handle", note="已电话催收，客户承诺本周还款")
    done = w.warnings(rule="loan_overdue")[0]
    assert (done.state, done.handled_by, done.note) == ("handled", "li", "已电话催收，客户承诺本周还款")
    assert f'id="warning-{overdue.id}"' not in li.get("/warnings")         # open and acknowledged only
    assert "已电话催收" in li.get("/warnings?state=handled")


def test_filters_by_level_and_others_cannot_act(site):
    w, app = site
    risk = Client(app, "risk")
    [big] = w.warnings(rule="big_loan")
    assert f'id="warning-{big.id}"' in risk.get("/warnings?level=blue")
    assert f'id="warning-{big.id}"' not in risk.get("/warnings?level=red")
    [overdue] = w.warnings(rule="loan_overdue")
    risk.post(f"/warnings/{overdue.id}/acknowledge")
    assert w.warnings(rule="loan_overdue")[0].state == "open"
    assert risk.c.post("/warnings/999999/acknowledge", data={"csrf_token": risk.token}).status_code == 404
