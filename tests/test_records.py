"""Record screens over HTTP (Flask's test client, real database): view, new, edit with child rows,
live evaluation, errors in place, conflicts, history, link picker, code cascade, permissions, delete."""
from __future__ import annotations

import re
from html import unescape

import pytest

from core import metastore
from core.store import Store
from core.users import create_user
from metadata.source import PackSource, read_pack_dir
from ui.app import create_app

from .conftest import PACKS

LOCKED = PackSource("locked", {
    "pack.yaml": "name: locked\nversion: 1.0.0\n",
    "entities/note.yaml": (
        "name: note\nlabel: {zh: 备注, en: Note}\ntitle_field: subject\n"
        "permissions: {read: [pm, risk], create: [risk], update: [risk], delete: [risk]}\n"
        "fields:\n  - {name: subject, type: text, label: {zh: 主题, en: Subject}}\n"),
})


@pytest.fixture
def app(engine, clock):
    inst = metastore.install(engine, [read_pack_dir(PACKS / "mini"), LOCKED], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    create_user(engine, "li", name="李经理", roles=["pm", "admin"], password="right-pass")
    create_user(engine, "zhao", name="赵经理", roles=["pm"], password="right-pass")
    create_user(engine, "wang", name="王风控", roles=["risk"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    app.store = store
    return app


def text(resp) -> str:
    return resp.get_data(as_text=True)


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username="li"):
    html = text(client.get("/login"))
    resp = client.post("/login", data={"username": username, "password": "right-pass", "csrf_token": token_of(html)})
    assert resp.status_code == 302
    return client


@pytest.fixture
def client(app):
    return login(app.test_client())


def inputs(html: str) -> dict:
    """The form's fields as a browser would post them (text inputs, selected options, checked boxes)."""
    data: list[tuple[str, str]] = []
    for m in re.finditer(r"<input\b([^>]*)>", html):
        attrs = m.group(1)
        name = re.search(r'\bname="([^"]*)"', attrs)
        if not name or re.search(r"\bdisabled\b", attrs):
            continue
        typ = (re.search(r'\btype="([^"]*)"', attrs) or [None, "text"])[1]
        if typ in ("checkbox", "radio") and not re.search(r"\bchecked\b", attrs):
            continue
        if typ in ("submit", "button", "file"):
            continue
        value = re.search(r'\bvalue="([^"]*)"', attrs)
        data.append((unescape(name.group(1)), unescape(value.group(1)) if value else ""))
    for m in re.finditer(r"<select\b([^>]*)>(.*?)</select>", html, re.S):
        attrs, body = m.groups()
        name = re.search(r'\bname="([^"]*)"', attrs)
        if not name or re.search(r"\bdisabled\b", attrs):
            continue
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        data.append((name.group(1), unescape(chosen.group(1)) if chosen else ""))
    for m in re.finditer(r"<textarea\b([^>]*)>(.*?)</textarea>", html, re.S):
        attrs, body = m.groups()
        name = re.search(r'\bname="([^"]*)"', attrs)
        if name and not re.search(r"\bdisabled\b", attrs):
            data.append((name.group(1), unescape(body)))
    return data


def post_form(client, url, html, changes: dict | None = None, *, htmx=False, drop=()):
    """Post the form shown in `html` with `changes` applied (a value per name; None removes)."""
    data = [(k, v) for k, v in inputs(html) if k not in (changes or {}) and k not in drop]
    for k, v in (changes or {}).items():
        if v is None:
            continue
        for one in (v if isinstance(v, list) else [v]):
            data.append((k, one))
    headers = {"HX-Request": "true", "X-CSRFToken": token_of(html)} if htmx else {}
    from werkzeug.datastructures import MultiDict
    return client.post(url, data=MultiDict(data), headers=headers)


def splice(page: str, body: str) -> str:
    """The page with its form body replaced (what HTMX does with a row action's answer)."""
    start = page.index('<div id="form-body">')
    end = page.index('<div class="toolbar form-actions">', start)
    return page[:start] + body + page[end:]


def oob(html: str, element_id: str) -> str | None:
    """The content of the out-of-band element with this id in a live answer."""
    m = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.S)
    return m.group(2) if m else None


# ---------------------------------------------------------------------------------------------
def test_new_project_form_lays_out_tabs_sections_and_widgets(app, client):
    cust = app.store.create("customer", {"name": "杭州恒信"})
    html = text(client.get("/e/project/new"))
    assert 'id="record-form"' in html and 'hx-post="/e/project/live"' in html
    assert 'id="tab-basic"' in html and 'id="tab-collateral"' in html and 'id="sec-main"' in html
    assert html.index('id="w-number"') < html.index('id="w-amount"') < html.index('id="w-collateral"')
    # the numbering field is read-only (no input); computed fields are outputs
    assert 'name="number"' not in html and '<output id="f-fee"' in html
    assert "保存时生成" in html
    # a choice offers active options only; the conditional field is there but hidden and disabled
    assert '<option value="loan"' in html and '<option value="old"' not in html
    assert re.search(r'id="w-bond_rating"[^>]*hidden', html)
    assert re.search(r'<input type="text" name="bond_rating"[^>]*disabled', html)
    # money, percent (with %), date, boolean with its hidden companion, link picker
    assert 'inputmode="decimal"' in html and '<span class="suffix" aria-hidden="true">%</span>' in html
    assert 'type="date" name="start"' in html and 'value="2026-03-15"' in html    # default TODAY()
    assert '<input type="hidden" name="approved" value="false">' in html
    assert 'id="f-customer-q"' in html and 'hx-get="/pick/customer?entity=project&amp;path=customer"' in html
    assert 'name="rate"' in html and 'value="2.00"' in html   # default
    assert 'id="add-collateral"' in html
    del cust


def test_create_project_with_child_rows_then_view(app, client):
    cust = app.store.create("customer", {"name": "杭州恒信", "rating": 80})
    html = text(client.get("/e/project/new"))
    html = text(post_form(client, "/e/project/new", html, {"_action": "add_row:collateral"}))
    assert 'id="row-collateral-0"' in html and 'name="collateral.0.kind"' in html
    assert 'value="50.00"' in html               # the row's default ratio
    assert re.search(r'id="f-collateral-0-kind"[^>]*autofocus', html)   # the new row's first input
    html = text(post_form(client, "/e/project/new", html, {"_action": "add_row:collateral"}))
    resp = post_form(client, "/e/project/new", html, {
        "customer": str(cust.id), "kind": "loan", "amount": "1,000,000", "rate": "1.5",
        "collateral.0.kind": "house", "collateral.0.value": "600,000",
        "collateral.1.kind": "land", "collateral.1.value": "200000", "collateral.1.ratio": "40%"})
    assert resp.status_code == 302, text(resp)
    rid = int(resp.location.rsplit("/", 1)[1])
    rec = app.store.get("project", rid)
    assert rec.values["fee"] == 15000 and rec.values["recognised_total"] == 380000
    assert [r["kind"] for r in rec.values["collateral"]] == ["house", "land"]
    assert rec.created_by == "li"
    view = text(client.get(resp.location))
    assert "已保存" in view or "Saved" in view
    assert "1,000,000.00" in view and "380,000.00" in view and "房产" in view and "土地" in view
    assert 'id="edit"' in view and 'id="delete"' in view and 'id="tab-history"' in view


def test_live_route_computes_values_and_toggles_visibility(app, client):
    cust = app.store.create("customer", {"name": "杭州恒信", "rating": 77})
    html = text(client.get("/e/project/new"))
    resp = post_form(client, "/e/project/live", html, {"amount": "2,000,000", "rate": "3", "_typing": "amount",
                                                       "customer": str(cust.id)}, htmx=True)
    live = text(resp)
    assert resp.status_code == 200
    assert "60,000.00" in oob(live, "f-fee")                    # computed while typing
    assert oob(live, "f-customer_rating").strip() == "77"       # through the link
    # nothing the user types in is replaced: no input named amount in the answer
    assert 'name="amount"' not in live and 'id="w-amount"' not in live
    # choosing "bond" shows bond_rating (its whole wrapper comes back, now enabled and required)
    live = text(post_form(client, "/e/project/live", html, {"kind": "bond"}, htmx=True))
    wrapper = re.search(r'<div class="field t-text" id="w-bond_rating"([^>]*)>(.*?)</div>\s*</div>|'
                        r'<div class="field t-text" id="w-bond_rating"([^>]*)>', live, re.S)
    assert wrapper and 'hx-swap-oob="true"' in live[wrapper.start():wrapper.start() + 200]
    assert "hidden" not in live[wrapper.start():live.index(">", wrapper.start())]
    assert re.search(r'<input type="text" name="bond_rating"(?![^>]*disabled)', live)
    assert oob(live, "req-bond_rating").strip() == "*"
    assert "bond_rating" not in oob(live, "live-hidden") if oob(live, "live-hidden") else True
    assert re.search(r'id="live-hidden" value="[^"]*"', live)
    # and back: hidden again
    html2 = live.replace('value="bond_rating,', 'value="').replace('value="bond_rating"', 'value=""')
    del html2


def test_live_required_marker_and_errors_only_for_filled_fields(app, client):
    html = text(client.get("/e/project/new"))
    live = text(post_form(client, "/e/project/live", html, {"amount": "abc", "_typing": "amount"}, htmx=True))
    assert "不是有效的数字" in oob(live, "err-amount")
    assert oob(live, "err-customer").strip() == ""               # "required" waits for the save
    assert oob(live, "req-customer").strip() == "*"
    # an ID number being typed shows its check-digit error only at 18 characters or on leaving
    cust_html = text(client.get("/e/customer/new"))
    live = text(post_form(client, "/e/customer/live", cust_html, {"id_number": "11010519491231", "_typing": "id_number"},
                          htmx=True))
    assert oob(live, "err-id_number") is None
    live = text(post_form(client, "/e/customer/live", cust_html, {"id_number": "110105194912310021",
                                                                 "_typing": "id_number"}, htmx=True))
    assert oob(live, "err-id_number").strip() != ""            # wrong check digit
    live = text(post_form(client, "/e/customer/live", cust_html, {"id_number": "11010519491231"}, htmx=True))
    assert oob(live, "err-id_number").strip() != ""            # left the field: too short
    live = text(post_form(client, "/e/customer/live", cust_html, {"id_number": "11010519491231002X",
                                                                 "_typing": "id_number"}, htmx=True))
    assert oob(live, "err-id_number").strip() == ""


def test_validation_errors_in_place_with_input_kept(app, client):
    html = text(client.get("/e/project/new"))
    resp = post_form(client, "/e/project/new", html, {"kind": "bond", "amount": "12x", "rate": "20",
                                                      "bond_rating": "<AAA>"})
    assert resp.status_code == 422
    page = text(resp)
    assert "必填" in oob(page, "err-customer")
    assert "不是有效的数字" in oob(page, "err-amount") and 'value="12x"' in page
    assert "不能大于 10" in oob(page, "err-rate")
    assert 'value="&lt;AAA&gt;"' in page and "<AAA>" not in page     # kept, escaped
    assert '<option value="bond" selected>' in page
    assert 'name="_all_errors" value="1"' in page and 'class="alert error"' in page
    assert app.store.history("project", 1) == []


def test_record_level_error_at_top(app, client):
    cust = app.store.create("customer", {"name": "甲"})
    html = text(client.get("/e/project/new"))
    for _ in range(4):
        html = text(post_form(client, "/e/project/new", html, {"_action": "add_row:collateral"}))
    changes = {"customer": str(cust.id), "kind": "loan", "amount": "100"}
    for i in range(4):
        changes.update({f"collateral.{i}.kind": "house", f"collateral.{i}.value": "1"})
    page = text(post_form(client, "/e/project/new", html, changes))
    assert "反担保物最多 3 项" in oob(page, "err-collateral")


def test_edit_save_and_history(app, client):
    cust = app.store.create("customer", {"name": "甲"})
    proj = app.store.create("project", {"customer": cust.id, "kind": "loan", "amount": "1000",
                                        "collateral": [{"kind": "house", "value": "100"}]})
    html = text(client.get(f"/e/project/{proj.id}/edit"))
    assert 'name="version" value="1"' in html and 'name="record_id"' in html
    assert 'value="1,000.00"' in html and 'id="f-customer-q"' in html and "甲" in html
    html = text(post_form(client, f"/e/project/{proj.id}/edit", html, {"_action": "add_row:collateral"}))
    resp = post_form(client, f"/e/project/{proj.id}/edit", html, {
        "amount": "2000", "collateral.0.value": "150", "collateral.1.kind": "land", "collateral.1.value": "80"})
    assert resp.status_code == 302, text(resp)
    rec = app.store.get("project", proj.id)
    assert rec.version == 2 and rec.values["amount"] == 2000 and len(rec.values["collateral"]) == 2
    hist = text(client.get(f"/e/project/{proj.id}/history"))
    assert "李经理" in hist and 'id="h-2"' in hist and 'id="h-1"' in hist
    assert "1,000.00" in hist and "2,000.00" in hist          # before → after, formatted
    assert "150.00" in hist and "土地" in hist                  # child rows: a changed cell, an added row


def test_remove_and_move_rows(app, client):
    cust = app.store.create("customer", {"name": "甲"})
    proj = app.store.create("project", {"customer": cust.id, "kind": "loan", "amount": "1000", "collateral": [
        {"kind": "house", "value": "1"}, {"kind": "land", "value": "2"}, {"kind": "house", "value": "3"}]})
    html = text(client.get(f"/e/project/{proj.id}/edit"))
    body = text(post_form(client, "/e/project/live", html, {"_action": "move_row:collateral:2:up"}, htmx=True))
    assert body.startswith('<div id="form-body">') or '<div id="form-body">' in body[:200]
    assert 'id="mv-collateral-1-up"' in body and re.search(r'id="mv-collateral-1-up"[^>]*autofocus', body)
    html = splice(html, body)
    body = text(post_form(client, "/e/project/live", html, {"_action": "remove_row:collateral:0"}, htmx=True))
    html = splice(html, body)
    resp = post_form(client, f"/e/project/{proj.id}/edit", html)
    assert resp.status_code == 302, text(resp)
    assert [r["value"] for r in app.store.get("project", proj.id).values["collateral"]] == [3, 2]
    # removing every row saves an empty table
    html = text(client.get(f"/e/project/{proj.id}/edit"))
    for _ in range(2):
        html = text(post_form(client, f"/e/project/{proj.id}/edit", html, {"_action": "remove_row:collateral:0"}))
    assert post_form(client, f"/e/project/{proj.id}/edit", html).status_code == 302
    assert not app.store.get("project", proj.id).values["collateral"]


def test_conflict_shows_both_values_and_overwrites_nothing(app, client):
    cust = app.store.create("customer", {"name": "甲"})
    proj = app.store.create("project", {"customer": cust.id, "kind": "loan", "amount": "1000"})
    other = login(app.test_client(), "zhao")
    mine = text(client.get(f"/e/project/{proj.id}/edit"))
    theirs = text(other.get(f"/e/project/{proj.id}/edit"))
    assert post_form(other, f"/e/project/{proj.id}/edit", theirs, {"amount": "5000"}).status_code == 302
    resp = post_form(client, f"/e/project/{proj.id}/edit", mine, {"amount": "7000"})
    assert resp.status_code == 409
    page = text(resp)
    assert 'id="conflict"' in page and "赵经理" in page
    assert "1,000.00" in page and "5,000.00" in page and "7000" in page
    assert 'value="7000"' in page and 'name="version" value="1"' in page   # the input is kept
    assert 'id="reload-latest"' in page
    rec = app.store.get("project", proj.id)
    assert rec.values["amount"] == 5000 and rec.version == 2


def test_link_picker_and_pick_action(app, client):
    for name in ("杭州恒信", "杭州华发", "宁波港"):
        app.store.create("customer", {"name": name})
    resp = client.get("/pick/customer?entity=project&path=customer&q=杭州")
    html = text(resp)
    assert resp.status_code == 200 and "杭州恒信" in html and "杭州华发" in html and "宁波港" not in html
    assert 'value="pick:customer:' in html and 'hx-post="/e/project/live"' in html
    assert client.get("/pick/customer?entity=project&path=kind").status_code == 400
    assert client.get("/pick/customer?entity=project&path=customer&format=json").get_json()[0]["title"]
    form = text(client.get("/e/project/new"))
    cid = re.search(r'value="pick:customer:(\d+)"', html).group(1)
    body = text(post_form(client, "/e/project/live", form, {"_action": f"pick:customer:{cid}"}, htmx=True))
    assert f'name="customer" id="f-customer" value="{cid}"' in body
    assert re.search(r'id="f-customer-q"[^>]*value="杭州', body) and re.search(r'id="f-customer-q"[^>]*autofocus', body)


def test_region_cascade_route(engine, clock, standard):
    inst = metastore.install(engine, [standard], clock=clock)
    create_user(engine, "li", name="李经理", roles=["admin"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    client = login(app.test_client())
    html = text(client.get("/codes/region?_name=region&_level=1&region=330000"))
    assert 'id="c-region-1"' in html and 'name="region"' in html and "杭州市" in html and 'id="f-region-1"' in html
    assert 'hx-target="#c-region-2"' in html
    assert "宁波市" in html and "北京" not in html
    json = client.get("/codes/region?parent=330100&format=json").get_json()
    assert any(i["code"] == "330106" for i in json)
    assert client.get("/codes/nope").status_code == 404
    # the enterprise customer form: cascades, shareholders child table
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    form = text(client.get("/e/enterprise_customer/new"))
    assert 'id="f-region"' in form and 'id="c-region-1"' in form and 'id="f-industry"' in form
    assert 'id="add-shareholders"' in form
    form = text(post_form(client, "/e/enterprise_customer/new", form, {"_action": "add_row:shareholders"}))
    resp = post_form(client, "/e/enterprise_customer/new", form, {
        "name": "杭州恒信机械有限公司", "uscc": "91330106MA2KXXXX0X", "legal_rep": "张三",
        "company_type": "private", "industry": ["C", "C34"], "region": ["330000", "330100", "330106"],
        "shareholders.0.name": "张三", "shareholders.0.kind": "person", "shareholders.0.id_number": "110105194912310021",
        "shareholders.0.share": "60"})
    page = text(resp)
    assert resp.status_code == 422 and oob(page, "err-uscc").strip()        # wrong check character
    assert '<option value="330106" selected>' in page                       # the cascade keeps the choice
    del store


def test_permissions(app, client):
    note = app.store.create("note", {"subject": "x"})
    view = text(client.get(f"/e/note/{note.id}"))                 # li (pm) may read, not change
    assert 'id="edit"' not in view and 'id="delete"' not in view
    assert client.get(f"/e/note/{note.id}/edit").status_code == 403
    assert client.get("/e/note/new").status_code == 403
    tok = token_of(view)
    assert client.post(f"/e/note/{note.id}/edit", data={"csrf_token": tok, "subject": "y", "version": "1"}).status_code == 403
    assert client.post(f"/e/note/{note.id}/delete", data={"csrf_token": tok, "version": "1"}).status_code == 403
    assert client.post("/e/note/live", data={"csrf_token": tok, "subject": "y"}).status_code == 403
    assert app.store.get("note", note.id).values["subject"] == "x"
    # without a CSRF token nothing happens
    wang = login(app.test_client(), "wang")
    assert wang.post(f"/e/note/{note.id}/delete", data={"version": "1"}).status_code == 400
    assert 'id="edit"' in text(wang.get(f"/e/note/{note.id}"))


def test_delete(app, client):
    cust = app.store.create("customer", {"name": "甲"})
    view = text(client.get(f"/e/customer/{cust.id}"))
    tok = token_of(view)
    resp = client.post(f"/e/customer/{cust.id}/delete", data={"csrf_token": tok, "version": "7"})
    assert resp.status_code == 302 and app.store.get("customer", cust.id)      # stale version: refused
    resp = client.post(f"/e/customer/{cust.id}/delete", data={"csrf_token": tok, "version": "1"})
    assert resp.status_code == 302 and resp.location.endswith("/e/customer")
    assert client.get(f"/e/customer/{cust.id}").status_code == 404
