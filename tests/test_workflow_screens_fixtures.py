"""Shared fixtures of the workflow screen tests (no tests here): the `flow` test pack and its users
behind the real app, and one signed-in test client per user, talking HTTP as the browser does
(CSRF token, HX-Request header for HTMX requests)."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from core.db import users
from ui.app import create_app

from .test_workflow_fixtures import PASSWORD, make_flow

HX = {"HX-Request": "true"}


def text(resp) -> str:
    return resp.get_data(as_text=True)


class Browser:
    """A signed-in user's session."""

    def __init__(self, app, username: str):
        self.username = username
        self.client = app.test_client()
        html = text(self.client.get("/login"))
        resp = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": _token(html)})
        assert resp.status_code == 302, f"{username} could not sign in"
        self.token = _token(text(self.client.get("/flow/todo")))

    def get(self, url: str, htmx: bool = False):
        return self.client.get(url, headers=HX if htmx else {})

    def post(self, url: str, data: dict | None = None, htmx: bool = True):
        return self.client.post(url, data={"csrf_token": self.token, **(data or {})}, headers=HX if htmx else {})

    def panel(self, record_id: int) -> str:
        resp = self.get(f"/flow/panel/project/{record_id}", htmx=True)
        assert resp.status_code == 200
        return text(resp)

    def act(self, task_id: int, action: str, **form):
        return self.post(f"/flow/task/{task_id}/act", {"_wf_action": action, **form})


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def task_ids(html: str) -> list[int]:
    """The tasks of the action forms in a panel: the user's own open tasks (not the proxy forms)."""
    return [int(i) for i in re.findall(r'class="flow-act" id="flow-act-(\d+)"', html)]


def field_value(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*\bvalue="([^"]*)"', html) or \
        re.search(rf'\bvalue="([^"]*)"[^>]*id="{element_id}"', html)
    return unescape(m.group(1)) if m else ""


class Site:
    def __init__(self, flow, app):
        self.flow, self.app = flow, app
        self._browsers: dict[str, Browser] = {}

    def as_(self, username: str) -> Browser:
        if username not in self._browsers:
            self._browsers[username] = Browser(self.app, username)
        return self._browsers[username]

    def sign_in_again(self) -> None:
        """New sessions for everyone (after moving the clock past the session's idle limit)."""
        self._browsers.clear()

    def task_of(self, username: str, inst) -> int:
        return self.flow.task(username, inst).id

    def act(self, username: str, inst, action: str, **form):
        """`username` acts on their one open task of `inst` through the screens (HTMX)."""
        resp = self.as_(username).act(self.task_of(username, inst), action, **form)
        assert resp.status_code == 200, (resp.status_code, text(resp)[:2000])
        return text(resp)


def make_site(engine, clock, tmp_path, source=None) -> Site:
    """The app over the flow test pack (or `source`, e.g. `flow_pack({...})` with extra workflows)."""
    flow = make_flow(engine, clock, source)
    # every user may sign in; a cheap hash keeps the many sign-ins of these tests fast
    with engine.begin() as c:
        c.execute(update(users).values(password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")))
    app = create_app({"ENGINE": engine, "SECRET_KEY": "flow-screens", "CLOCK": clock, "INSTANCE_DIR": str(tmp_path)})
    return Site(flow, app)


@pytest.fixture
def site(engine, clock, tmp_path):
    return make_site(engine, clock, tmp_path)
