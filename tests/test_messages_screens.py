"""The message center's screens through the Flask test client: compose to users, departments and
roles; the header's unread count fragment (HTMX polling); reading marks read; nobody opens
another's message; announcements published by an administrator only."""
from __future__ import annotations

import re

import pytest

from core import messages
from core.users import create_user
from ui.app import create_app

from .test_rules_screen import Client
from .test_rules_standard import REGISTRY, Std

PEOPLE = {"chen": (["pm"], "business_1"), "wang": (["pm"], "business_2"), "qian": (["risk"], "risk"),
          "boss": (["gm"], "gm_office"), "admin": (["admin"], "admin")}


@pytest.fixture
def site(engine, clock, standard):
    std = Std(engine, clock, [standard])
    for name, (roles, dept) in PEOPLE.items():
        create_user(engine, name, name=name.upper(), roles=roles, department=dept, password="Secret-pass-1")
    app = create_app({"ENGINE": engine, "CLOCK": clock, "SECRET_KEY": "x", "TESTING": True, "REGISTRY": REGISTRY})
    return std, app


def _count(html):
    m = re.search(r'id="nav-messages-count">(\d+)<', html)
    return int(m.group(1)) if m else 0


def test_compose_to_a_department_and_a_role_and_the_header_count(site, engine):
    _, app = site
    boss, chen, wang, qian = (Client(app, n) for n in ("boss", "chen", "wang", "qian"))
    form = boss.get("/messages/new")
    assert 'value="business"' in form and "业务一部" in form and 'value="risk"' in form      # pickers
    resp = boss.post("/messages/new", subject="月度例会", body="周五 15:00\n三楼会议室", departments="business", roles="risk")
    assert resp.status_code == 302 and resp.location.endswith("/messages/sent")
    sent = boss.get("/messages/sent")
    assert "月度例会" in sent and "业务部" in sent and "risk" in sent
    fragment = chen.get("/messages/count")
    assert 'hx-trigger="every 60s"' in fragment and 'hx-get="/messages/count"' in fragment and _count(fragment) == 1
    assert _count(chen.get("/messages")) == 1 and _count(wang.get("/")) == 1 and _count(qian.get("/messages/count")) == 1
    assert _count(boss.get("/messages/count")) == 0                                     # the sender gets no copy
    [m] = messages.inbox(engine, "chen").items
    inbox = chen.get("/messages")
    assert f'id="message-{m.id}" class="unread"' in inbox and "<strong>月度例会</strong>" in inbox
    page = chen.get(f"/messages/{m.id}")
    assert "<p>周五 15:00</p><p>三楼会议室</p>" in page and _count(page) == 0          # read: the count drops
    assert f'id="message-{m.id}" class=""' in chen.get("/messages")
    assert "月度例会" not in chen.get("/messages?show=unread") and "月度例会" in chen.get("/messages?show=read")
    assert _count(wang.get("/messages/count")) == 1                                     # still unread for wang
    assert wang.post("/messages/read-all").status_code == 302 and _count(wang.get("/messages/count")) == 0
    assert 'id="message-recipients"' in boss.get(f"/messages/{m.id}")                   # the sender sees who read it


def test_nobody_opens_anothers_message(site, engine, clock):
    _, app = site
    mid = messages.send(engine, sender="boss", subject="仅限李经理", users=["chen"], now=clock.now())
    qian = Client(app, "qian")
    html = qian.get(f"/messages/{mid}", status=404)
    assert "仅限李经理" not in html
    qian.post(f"/messages/{mid}/unread")
    chen = Client(app, "chen")
    assert "仅限李经理" in chen.get(f"/messages/{mid}")
    assert qian.post(f"/messages/{mid}/unread").status_code == 302       # touches nothing of chen's
    assert messages.unread_count(engine, "chen") == 0


def test_compose_errors_are_shown_at_the_fields(site):
    _, app = site
    chen = Client(app, "chen")
    resp = chen.post("/messages/new", subject="", body="x")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="compose-subject-error"' in html and 'id="compose-to-error"' in html


def test_announcements_are_published_by_administrators_and_shown_to_everyone(site, engine, clock):
    _, app = site
    admin, chen = Client(app, "admin"), Client(app, "chen")
    assert 'id="announce"' not in chen.get("/announcements")
    assert chen.post("/announcements", title="x", body="y").status_code == 403
    assert admin.post("/announcements", title="国庆值班安排", body="10月1日至7日轮流值班",
                      expires_at="2026-03-20T18:00").status_code == 302
    page = chen.get("/announcements")
    assert "国庆值班安排" in page and "10月1日至7日轮流值班" in page
    assert "国庆值班安排" in chen.get("/")                                        # on the home page too
    bad = admin.post("/announcements", title="", body="y", expires_at="soon")
    assert bad.status_code == 422
    [a] = messages.announcements(engine, clock.now())
    assert admin.post(f"/announcements/{a.id}/withdraw").status_code == 302
    assert "国庆值班安排" not in chen.get("/announcements")
    assert chen.post(f"/announcements/{a.id}/withdraw").status_code == 403
