"""The list screen offers "New" (a link to the record form) to users who may create records of the
entity, and only to them."""
from __future__ import annotations

import re

from core import metastore
from core.users import create_user
from metadata.source import PackSource
from ui.app import create_app

PACK = PackSource("notes", {
    "pack.yaml": "name: notes\nversion: 1.0.0\n",
    "entities/note.yaml": (
        "name: note\nlabel: {zh: 便签, en: Note}\ntitle_field: title\n"
        "fields:\n  - {name: title, type: text, label: {zh: 标题, en: Title}}\n"),
    "entities/memo.yaml": (
        "name: memo\nlabel: {zh: 备忘, en: Memo}\ntitle_field: subject\n"
        "permissions: {read: [pm, risk], create: [risk]}\n"
        "fields:\n  - {name: subject, type: text, label: {zh: 主题, en: Subject}}\n"),
})


def signed_in(app, username):
    c = app.test_client()
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    c.post("/login", data={"username": username, "password": "right-pass", "csrf_token": tok})
    return c


def test_list_links_to_the_new_record_form_when_the_user_may_create(engine, clock):
    metastore.install(engine, [PACK], clock=clock)
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    create_user(engine, "wang", name="王风控", roles=["risk"], password="right-pass")
    li, wang = signed_in(app, "li"), signed_in(app, "wang")

    page = li.get("/e/note").get_data(as_text=True)
    assert re.search(r'<a class="btn primary" id="new" href="/e/note/new">新建便签</a>', page)
    assert li.get("/e/note/new").status_code == 200

    assert 'id="new"' not in li.get("/e/memo").get_data(as_text=True)          # pm may read, not create
    assert 'href="/e/memo/new"' in wang.get("/e/memo").get_data(as_text=True)

    fragment = li.get("/e/note?q=x", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="new"' not in fragment                                            # the button is in the page head
