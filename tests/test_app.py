"""The web application over real HTTP (Flask's test client): sign-in, CSRF, lists, records, errors."""
from __future__ import annotations

import re

import pytest

from core import metastore
from core.store import Store
from core.users import create_user
from metadata.source import read_pack_dir
from ui.app import create_app

from .conftest import PACKS

SECRET_PACK = read_pack_dir(PACKS / "sec")   # an entity only the risk role may read


@pytest.fixture
def app(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini"), SECRET_PACK], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    create_user(engine, "wang", name="王风控", roles=["risk"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock, "PAGE_SIZE": 10})
    app.store = store
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username="li", password="right-pass"):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token(client)})


def text(resp) -> str:
    return resp.get_data(as_text=True)


def test_pages_need_sign_in(client):
    resp = client.get("/e/customer")
    assert resp.status_code == 302 and "/login" in resp.location


def test_sign_in_and_out(client):
    resp = login(client)
    assert resp.status_code == 302 and resp.location.endswith("/")
    home = client.get("/")
    assert home.status_code == 200 and "李经理" in text(home) and "客户" in text(home)
    # sign-out is a POST with the token
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_rejected(client):
    resp = login(client, password="wrong-pass")
    assert resp.status_code == 401 and "用户名或密码错误" in text(resp)
    assert client.get("/").status_code == 302
    assert login(client, username="nobody").status_code == 401


def test_missing_or_wrong_csrf_token_is_rejected(client):
    client.get("/login")
    resp = client.post("/login", data={"username": "li", "password": "right-pass"})
    assert resp.status_code == 400 and "CSRF" in text(resp) and "Traceback" not in text(resp)
    resp = client.post("/login", data={"username": "li", "password": "right-pass", "csrf_token": "forged"})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302      # still signed out


def test_next_only_redirects_within_the_site(client):
    tok = token(client)
    resp = client.post("/login", data={"username": "li", "password": "right-pass", "csrf_token": tok,
                                       "next": "/e/customer"})
    assert resp.location.endswith("/e/customer")
    client.post("/logout", data={"csrf_token": token(client, "/")})
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        resp = client.post("/login", data={"username": "li", "password": "right-pass",
                                           "csrf_token": token(client), "next": evil})
        assert resp.status_code == 302 and "evil" not in resp.location
        client.post("/logout", data={"csrf_token": token(client, "/")})


def test_list_search_and_pages(app, client):
    for i in range(1, 24):
        app.store.create("customer", {"name": f"客户{i:02d}", "rating": i})
    app.store.create("customer", {"name": "杭州<b>恒信</b>"})
    login(client)
    page1 = text(client.get("/e/customer"))
    assert "共 24 条" in page1 and "第 1 / 3 页" in page1
    assert len(re.findall(r'href="/e/customer/\d+"', page1)) == 10
    assert "杭州&lt;b&gt;恒信&lt;/b&gt;" in page1 and "<b>恒信" not in page1   # newest first, escaped
    page3 = text(client.get("/e/customer?page=3"))
    assert len(re.findall(r'href="/e/customer/\d+"', page3)) == 4 and "客户01" in page3 and "下一页</span>" in page3
    assert "第 3 / 3 页" in text(client.get("/e/customer?page=99"))
    assert "第 1 / 3 页" in text(client.get("/e/customer?page=abc"))
    found = text(client.get("/e/customer?q=杭州"))
    assert "共 1 条" in found and "恒信" in found and "客户01" not in found
    paged = text(client.get("/e/customer?q=客户&page=2"))
    assert "共 23 条" in paged and "第 2 / 3 页" in paged
    assert re.search(r'href="/e/customer\?page=3&amp;q=%E5%AE%A2%E6%88%B7"', paged)   # the search is kept
    assert "共 0 条" in text(client.get("/e/customer?q=%25"))     # LIKE wildcards are literal


def test_record_page_shows_fields_by_form_with_labels(app, client):
    cust = app.store.create("customer", {"name": "杭州恒信机械有限公司"})
    proj = app.store.create("project", {"customer": cust.id, "kind": "loan", "amount": "1234567.8",
                                        "collateral": [{"kind": "house", "value": "100"}]})
    login(client)
    html = text(client.get(f"/e/project/{proj.id}"))
    assert "担保项目" in html and "项目编号" in html and proj.values["number"] in html
    assert "1,234,567.80" in html and "借款类" in html and "房产" in html
    assert f'href="/e/customer/{cust.id}"' in html and "杭州恒信机械有限公司" in html
    assert html.index("基本") < html.index("collateral")
    assert client.get(f"/e/customer/{cust.id}").status_code == 200


def test_permissions_from_metadata(app, client):
    memo = app.store.create("memo", {"subject": "关注某客户"})
    login(client)                                           # li is a pm: memo is for risk only
    assert "风险备忘" not in text(client.get("/"))
    resp = client.get("/e/memo")
    assert resp.status_code == 403 and "没有" in text(resp) and "Traceback" not in text(resp)
    assert client.get(f"/e/memo/{memo.id}").status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/")})
    login(client, "wang")
    assert "风险备忘" in text(client.get("/"))
    assert "关注某客户" in text(client.get("/e/memo"))
    assert client.get(f"/e/memo/{memo.id}").status_code == 200


def test_not_found_and_errors_show_no_traceback(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    login(client)
    for path in ("/e/nope", "/e/customer/999999", "/nowhere"):
        resp = client.get(path)
        assert resp.status_code == 404 and "Traceback" not in text(resp) and "不存在" in text(resp)
    resp = client.get("/boom")
    assert resp.status_code == 500 and "secret internals" not in text(resp) and "Traceback" not in text(resp)


def test_static_css_is_served(client):
    resp = client.get("/static/danbao.css")
    assert resp.status_code == 200 and "font-family" in text(resp)
