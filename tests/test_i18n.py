"""Language: Chinese first, English complete; catalogs in step with the code; locale-aware display."""
from __future__ import annotations

import shutil
from datetime import date, datetime
from decimal import Decimal

import pytest

from metadata.model import Field
from ui import i18n
from ui.display import Display

from .test_app import app, client, login, text, token  # noqa: F401 - fixtures


def switch(client, lang: str, path: str = "/login"):
    return client.post("/lang", data={"lang": lang, "csrf_token": token(client, path), "next": path})


# -- catalogs -------------------------------------------------------------------------------------

def test_catalogs_are_complete_and_compiled():
    """Every msgid used in ui/ (templates and Python, extracted as `pybabel extract -F babel.cfg`
    does) is in both catalogs, translated, and each committed .mo is its compiled .po. Fix with
    `python -m ui.i18n update`, translate, run it again."""
    assert i18n.check() == []


def test_the_check_notices_a_stale_mo_and_a_missing_translation(tmp_path, monkeypatch):
    shutil.copytree(i18n.TRANSLATIONS, tmp_path / "translations")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path / "translations")
    assert not any("differs" in p for p in i18n.check())
    po = i18n.po_path("zh_CN")
    source = po.read_text(encoding="utf-8")
    po.write_text(source.replace('msgstr "登录"', 'msgstr "签到"'), encoding="utf-8")
    assert any("differs from messages.po" in p for p in i18n.check())
    po.write_text(source.replace('msgstr "登录"', 'msgstr ""'), encoding="utf-8")
    assert any("untranslated: 'Sign in'" in p for p in i18n.check())
    po.write_text(source.replace('msgid "Sign in"\nmsgstr "登录"\n', ""), encoding="utf-8")
    assert any("not in the catalog: 'Sign in'" in p for p in i18n.check())


def test_extraction_finds_template_python_and_plural_msgids():
    ids = {m.id for m in i18n.extract()}
    assert "Sign in" in ids                                  # login.html
    assert "Wrong user name or password." in ids             # auth.py
    assert "Access denied" in ids                            # app.py, marked with N_
    assert ("%(num)d row", "%(num)d rows") in ids            # display.py, ngettext


# -- choosing the language ------------------------------------------------------------------------

def test_chinese_is_the_default_whatever_the_browser_says(client):
    resp = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "登录" in text(resp) and '<html lang="zh-CN">' in text(resp)


def test_switching_changes_text_and_labels_and_survives_sign_in(app, client):
    resp = switch(client, "en")
    assert resp.status_code == 302 and resp.location == "/login"
    page = text(client.get("/login"))
    assert '<html lang="en">' in page and "Sign in" in page and "User name" in page and "登录" not in page
    assert "Wrong user name or password." in text(login(client, password="nope"))
    login(client)
    home = text(client.get("/"))
    assert "Customer" in home and "Guarantee project" in home and "Sign out" in home
    assert "客户" not in home and "退出" not in home
    switch(client, "zh_CN", "/")
    home = text(client.get("/"))
    assert "客户" in home and "担保项目" in home and "退出" in home
    # an unknown language is ignored
    switch(client, "fr", "/")
    assert "退出" in text(client.get("/"))


def test_sign_out_keeps_the_language(client):
    switch(client, "en")
    login(client)
    client.post("/logout", data={"csrf_token": token(client, "/")})
    assert "You have signed out." in text(client.get("/login"))


def test_error_pages_follow_the_language(client):
    login(client)
    assert "页面不存在" in text(client.get("/nowhere"))
    switch(client, "en", "/")
    resp = client.get("/nowhere")
    assert resp.status_code == 404 and "Page not found" in text(resp) and "页面不存在" not in text(resp)
    resp = client.get("/e/memo")
    assert resp.status_code == 403 and "Risk memo" in text(resp)       # core's message in English


def test_home_counts_are_capped(app, client, monkeypatch):
    from ui import views
    for i in range(3):
        app.store.create("customer", {"name": f"客户{i}"})
    login(client)
    assert "<td class=\"num\">3</td>" in text(client.get("/"))
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    assert "<td class=\"num\">2+</td>" in text(client.get("/"))


# -- formatting -----------------------------------------------------------------------------------

def field(name, type_, **kw):
    return Field(name=name, type=type_, storage=type_, label={"zh": name, "en": name}, **kw)


@pytest.fixture
def meta(app):
    with app.app_context():
        return app.extensions["danbao"].installed().meta


@pytest.mark.parametrize("locale, expected", [
    ("zh_CN", {"money": "1,234,567.80", "percent": "35.5%", "decimal": "1,234.125", "integer": "12,345",
               "date": "2026-03-15", "datetime": "2026-03-15 09:30", "yes": "是", "no": "否", "rows": "3 行"}),
    ("en", {"money": "1,234,567.80", "percent": "35.5%", "decimal": "1,234.125", "integer": "12,345",
            "date": "Mar 15, 2026", "datetime": "Mar 15, 2026 09:30", "yes": "Yes", "no": "No",
            "rows": "3 rows"}),
])
def test_display_formats_for_the_locale(app, engine, meta, locale, expected):
    d = Display(meta, engine, app.extensions["danbao"].registry, locale=locale)
    assert d.value(field("a", "money"), Decimal("1234567.8")) == expected["money"]
    assert d.value(field("a", "money"), Decimal("-0.125")) == "-0.13"            # half up, 2 places
    assert d.value(field("a", "percent"), Decimal("35.5")) == expected["percent"]
    assert d.value(field("a", "decimal"), Decimal("1234.125")) == expected["decimal"]
    assert d.value(field("a", "integer"), 12345) == expected["integer"]
    assert d.value(field("a", "date"), date(2026, 3, 15)) == expected["date"]
    assert d.value(field("a", "datetime"), datetime(2026, 3, 15, 9, 30)) == expected["datetime"]
    assert d.value(field("a", "boolean"), True) == expected["yes"]
    assert d.value(field("a", "boolean"), False) == expected["no"]
    assert d.count(10001, cap=10001) == "10,000+" and d.count(1234, cap=10001) == "1,234"
    kind = meta.entity("project").field("kind")
    assert d.value(kind, "loan") == ("借款类" if locale == "zh_CN" else "Loan")
    table = meta.entity("project").field("collateral")
    assert d.value(table, [{}, {}, {}]) == expected["rows"]


def test_display_uses_the_requests_locale_by_default(app, client, engine, meta):
    types = app.extensions["danbao"].registry
    with app.test_request_context("/"):
        assert Display(meta, engine, types).value(field("a", "date"), date(2026, 3, 15)) == "2026-03-15"
    switch(client, "en")
    with client:
        client.get("/login")
        assert Display(meta, engine, types).value(field("a", "date"), date(2026, 3, 15)) == "Mar 15, 2026"
    assert Display(meta, engine, types).locale == "zh_CN"                # outside a request
