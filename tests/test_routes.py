"""Every route is covered by tests, and none is reachable without signing in."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.db import create_schema, make_engine
from ui.app import create_app

TESTS = Path(__file__).parent
PUBLIC = {"static", "auth.login", "i18n.switch"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('routes') / 'r.sqlite'}")
    create_schema(engine)
    return create_app({"ENGINE": engine, "SECRET_KEY": "routes", "INSTANCE_DIR": str(tmp_path_factory.mktemp('i'))})


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(rule) -> str:
    return re.sub(r"<(?:int:)?([a-z_]+)>", lambda m: "1" if "int:" in m.group(0) else "customer", rule.rule)


def test_every_route_is_exercised_by_some_test(app):
    sources = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py") if p.name != "test_routes.py")
    for rule in _rules(app):
        # the fixed parts of the rule (e.g. "/export.csv", "/widget/remove") must appear in a test
        literal = max(re.split(r"<[^>]+>", rule.rule), key=len).rstrip("/") or rule.rule
        assert literal in sources, f"no test requests {rule.rule} ({rule.endpoint})"


def test_no_route_is_open_without_signing_in(app):
    client = app.test_client()
    for rule in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method)
            # GET: sent to sign in; POST without a session has no CSRF token either
            assert response.status_code in (302, 400, 401), (rule.rule, method, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], rule.rule
