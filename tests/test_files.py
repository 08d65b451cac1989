"""Attachments: core/files.py (checks, storage, attach, orphan cleanup) and the `files` blueprint
(HTMX upload widget, download, preview, remove) over the Flask test client, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from core import files as core_files
from core import metastore
from core.db import files as files_table
from core.errors import ValidationError
from core.store import Actor, Store
from core.users import create_user
from metadata.source import PackSource
from ui import files as ui_files
from ui.app import create_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

PACK = PackSource("att", {
    "pack.yaml": "name: att\nversion: 1.0.0\n",
    "entities/dossier.yaml": (
        "name: dossier\nlabel: {zh: 档案, en: Dossier}\ntitle_field: title\n"
        "permissions: {read: [pm, risk], create: [pm], update: [pm]}\n"
        "fields:\n"
        "  - {name: title, type: text, label: {zh: 标题, en: Title}}\n"
        "  - {name: contract_files, type: attachment, label: {zh: 合同文件, en: Contract files},"
        " accept: [pdf, jpg, png], max_size_mb: 1}\n"
        "  - {name: photo, type: attachment, label: {zh: 照片, en: Photo}, accept: [png], multiple: false}\n"
        "  - name: docs\n    type: table\n    fields:\n"
        "      - {name: kind, type: text}\n"
        "      - {name: scan, type: attachment, accept: [pdf], max_size_mb: 2}\n"),
    "entities/secret.yaml": (
        "name: secret\nlabel: {zh: 机密, en: Secret}\ntitle_field: title\n"
        "permissions: {read: [risk], create: [risk], update: [risk]}\n"
        "fields:\n  - {name: title, type: text}\n  - {name: scans, type: attachment}\n"),
})


@pytest.fixture
def app(engine, clock):
    inst = metastore.install(engine, [PACK], clock=clock)
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    create_user(engine, "wang", name="王风控", roles=["risk"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    ui_files.init_app(app)            # a no-op once ui/app.py registers the blueprint itself
    app.store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def token(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if m:
        return m.group(1)
    with client.session_transaction() as s:      # signed in: the session holds it
        return s["csrf_token"]


def login(client, username="li"):
    resp = client.post("/login", data={"username": username, "password": "right-pass", "csrf_token": token(client)})
    assert resp.status_code == 302
    with client.session_transaction() as s:
        return s["csrf_token"]


def text(resp) -> str:
    return resp.get_data(as_text=True)


def refs_in(html: str, name: str) -> list[dict]:
    m = re.search(r'<input type="hidden" name="' + re.escape(name) + r'" value="([^"]*)"', html)
    assert m, html
    from html import unescape
    return json.loads(unescape(m.group(1)))


def upload(client, tok, files, *, entity="dossier", path="contract_files", name=None, refs=()):
    name = name or path
    from io import BytesIO
    data = {"csrf_token": tok, "_fw_name": name, name: json.dumps(list(refs)),
            "_fw_files": [(BytesIO(body), fname) for fname, body in files]}
    return client.post(f"/files/{entity}/{path}", data=data, content_type="multipart/form-data",
                       headers={"HX-Request": "true"})


# -- core --------------------------------------------------------------------------------------
def test_save_upload_checks_and_stores(engine, clock):
    kw = dict(entity="dossier", field="contract_files", content_type="application/pdf", uploaded_by="li",
              clock=clock, accept=["PDF", "png"], max_size_mb=1)
    ref = core_files.save_upload(engine, name="C:\\tmp\\..\\合同 2026.PDF", data=PDF, **kw)
    assert ref == {"id": ref["id"], "name": "合同 2026.PDF", "size": len(PDF), "type": "application/pdf"}
    row = core_files.open_file(engine, ref["id"])
    assert bytes(row.data) == PDF and row.record_id is None and row.uploaded_by == "li" and len(row.sha256) == 64
    assert core_files.save_upload(engine, name="../../etc/a.png", data=PNG, **kw)["name"] == "a.png"
    cases = {
        "x.exe": (b"MZ", "不允许"), "empty.pdf": (b"", "空文件"),
        "big.pdf": (b"%PDF-" + b"0" * (1024 * 1024), "超过 1 MB"), "fake.pdf": (b"<html>", "不是 .pdf"),
        "fake.png": (JPG, "不是 .png"),
    }
    for name, (data, zh) in cases.items():
        with pytest.raises(ValidationError) as e:
            core_files.save_upload(engine, name=name, data=data, **kw)
        m = e.value.errors["contract_files"][0]
        assert zh in m["zh"] and m["en"]
    with engine.connect() as c:
        assert len(c.execute(select(files_table.c.id)).all()) == 2     # nothing refused was stored


def test_clean_name():
    assert core_files.clean_name("/a/b\\c/报告.pdf") == "报告.pdf"
    assert core_files.clean_name("..") == "file" and core_files.clean_name("") == "file"
    assert core_files.clean_name('a<b>:"c\x00.txt') == "a_b___c.txt"
    long = core_files.clean_name("长" * 300 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")


def test_attach_and_delete_orphans(engine, clock):
    inst = metastore.install(engine, [PACK], clock=clock)
    store = Store(engine, inst.meta, clock=clock)
    kw = dict(entity="dossier", content_type=None, uploaded_by="li", clock=clock, accept=[], max_size_mb=5)
    kept = core_files.save_upload(engine, field="contract_files", name="kept.pdf", data=PDF, **kw)
    in_row = core_files.save_upload(engine, field="docs.scan", name="row.pdf", data=PDF, **kw)
    removed = core_files.save_upload(engine, field="contract_files", name="removed.pdf", data=PDF, **kw)
    orphan = core_files.save_upload(engine, field="contract_files", name="orphan.pdf", data=PDF, **kw)
    with store.transaction() as conn:
        rec = store.create("dossier", {"title": "A", "contract_files": [kept, removed],
                                       "docs": [{"kind": "x", "scan": [in_row]}]}, conn=conn)
        assert core_files.attach(conn, "dossier", rec.id, [kept]) == 1   # the screen attaches only some
    # a later version drops `removed`: history still refers to it, so it must survive
    store.update("dossier", rec.id, {"contract_files": [kept]}, version=rec.version)
    clock.advance(hours=1)
    late = core_files.save_upload(engine, field="contract_files", name="late.pdf", data=PDF, **kw)
    assert core_files.delete_orphans(engine, clock.now() - timedelta(minutes=30)) == 1   # orphan only
    with engine.connect() as c:
        rows = {r.name: r.record_id for r in c.execute(select(files_table.c.name, files_table.c.record_id))}
    assert rows == {"kept.pdf": rec.id, "row.pdf": rec.id, "removed.pdf": rec.id, "late.pdf": None}
    assert orphan["id"] and late["id"]
    assert core_files.delete_orphans(engine, clock.now() + timedelta(days=1)) == 1       # now `late` too
    assert core_files.delete_orphans(engine, clock.now() + timedelta(days=1)) == 0


def test_parse_refs_tolerates_bad_input():
    assert core_files.parse_refs("") == [] and core_files.parse_refs("{bad") == []
    assert core_files.parse_refs('[{"id": "3", "name": "a", "size": 1, "type": "x"}, {"id": "x"}, 5]') == [
        {"id": "3", "name": "a", "size": 1, "type": "x"}]


# -- web ---------------------------------------------------------------------------------------
def test_upload_several_files_renders_widget(client):
    tok = login(client)
    resp = upload(client, tok, [("合同.pdf", PDF), ("scan.JPG", JPG), ("p.png", PNG)])
    html = text(resp)
    assert resp.status_code == 200 and "dbf-errors" not in html
    refs = refs_in(html, "contract_files")
    assert [r["name"] for r in refs] == ["合同.pdf", "scan.JPG", "p.png"]
    assert [r["type"] for r in refs] == ["application/pdf", "image/jpeg", "image/png"]
    for r in refs:
        assert f'href="/files/{r["id"]}"' in html and f'/files/{r["id"]}/preview' in html
    assert f'<img src="/files/{refs[2]["id"]}/preview"' in html          # thumbnail for images
    assert 'hx-post="/files/dossier/contract_files"' in html and 'hx-encoding="multipart/form-data"' in html
    assert 'accept=".pdf,.jpg,.png"' in html and "multiple" in html
    assert re.search(r'<label[^>]+for="dbf-contract_files-input"', html)   # labelled input
    # a second upload keeps the earlier references (sent back in the hidden input)
    more = refs_in(text(upload(client, tok, [("b.pdf", PDF)], refs=refs)), "contract_files")
    assert [r["name"] for r in more] == ["合同.pdf", "scan.JPG", "p.png", "b.pdf"]


def test_refused_uploads_show_messages_in_the_users_language(app, client):
    tok = login(client)
    html = text(upload(client, tok, [("a.exe", b"MZ"), ("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 10)),
                                     ("fake.pdf", b"<script>alert(1)</script>"), ("ok.pdf", PDF)]))
    assert [r["name"] for r in refs_in(html, "contract_files")] == ["ok.pdf"]
    assert "dbf-errors" in html and 'role="alert"' in html
    assert "不允许" in html and "超过 1 MB" in html and "不是 .pdf" in html
    hint = re.search(r'class="dbf-hint"[^>]*>(.*?)</p>', html, re.DOTALL).group(1)    # limits as a hint
    assert "pdf, jpg, png" in hint and "1 MB" in hint
    with client.session_transaction() as s:
        s["lang"] = "en"
    html = text(upload(client, tok, [("a.exe", b"MZ")]))
    if "babel" in app.extensions:                                       # language switch available
        assert "is not allowed" in html and "不允许" not in html


def test_single_file_field_replaces_and_child_column_paths(client):
    tok = login(client)
    first = refs_in(text(upload(client, tok, [("a.png", PNG)], path="photo")), "photo")
    html = text(upload(client, tok, [("b.png", PNG), ("c.png", PNG)], path="photo", refs=first))
    assert [r["name"] for r in refs_in(html, "photo")] == ["b.png"] and "只能上传一个文件" in html
    assert " multiple" not in html.split('type="file"')[1].split(">")[0]
    # a child-table column: field path docs.scan, input name docs.0.scan
    html = text(upload(client, tok, [("s.pdf", PDF), ("s.png", PNG)], path="docs.scan", name="docs.0.scan"))
    assert [r["name"] for r in refs_in(html, "docs.0.scan")] == ["s.pdf"] and "不允许" in html
    assert 'hx-post="/files/dossier/docs.scan"' in html
    assert upload(client, tok, [("a.pdf", PDF)], path="title").status_code == 404
    assert upload(client, tok, [("a.pdf", PDF)], path="docs.kind").status_code == 404
    assert upload(client, tok, [("a.pdf", PDF)], entity="nothing").status_code == 404


def test_upload_needs_csrf_and_permission(client):
    tok = login(client)
    from io import BytesIO
    resp = client.post("/files/dossier/contract_files", content_type="multipart/form-data",
                       data={"_fw_files": [(BytesIO(PDF), "a.pdf")]})
    assert resp.status_code == 400
    # the header works as well as the form field
    resp = client.post("/files/dossier/contract_files", content_type="multipart/form-data",
                       data={"_fw_files": [(BytesIO(PDF), "a.pdf")]}, headers={"X-CSRFToken": tok})
    assert resp.status_code in (200, 400)   # 400 only while the shell still reads X-CSRF-Token
    assert upload(client, tok, [("a.pdf", PDF)], entity="secret", path="scans").status_code == 403
    client.post("/logout", data={"csrf_token": tok})
    tok = login(client, "wang")                     # risk may read dossiers, not edit them
    assert upload(client, tok, [("a.pdf", PDF)]).status_code == 403
    client.post("/logout", data={"csrf_token": tok})
    assert upload(client, tok, [("a.pdf", PDF)]).status_code in (302, 400)   # signed out


def test_remove_rerenders_without_the_file(client):
    tok = login(client)
    refs = refs_in(text(upload(client, tok, [("a.pdf", PDF), ("b.pdf", PDF)])), "contract_files")
    resp = client.post("/files/widget/remove", data={
        "csrf_token": tok, "_fw_entity": "dossier", "_fw_field": "contract_files", "_fw_name": "contract_files",
        "_fw_remove": refs[0]["id"], "contract_files": json.dumps(refs)})
    assert resp.status_code == 200
    assert [r["name"] for r in refs_in(text(resp), "contract_files")] == ["b.pdf"]
    assert client.get(f"/files/{refs[0]['id']}").status_code == 200          # the file itself stays
    assert client.post("/files/widget/remove", data={"_fw_entity": "dossier", "_fw_field": "contract_files",
                                                     "_fw_remove": "1"}).status_code == 400   # no token


def test_download_with_chinese_name_and_permission(app, client):
    tok = login(client)
    ref = refs_in(text(upload(client, tok, [("担保合同（2026）.pdf", PDF)])), "contract_files")[0]
    resp = client.get(f"/files/{ref['id']}")
    assert resp.status_code == 200 and resp.data == PDF
    cd = resp.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and f"filename*=UTF-8''{quote('担保合同（2026）.pdf', safe='')}" in cd
    assert 'filename="' in cd and cd.encode("latin-1")                    # an ASCII fallback too
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/files/{ref['id']}", headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
    assert client.get("/files/999999").status_code == 404
    # a file of an entity li may not read
    secret = core_files.save_upload(app.extensions["danbao"].engine, entity="secret", field="scans", name="s.pdf",
                                    content_type=None, data=PDF, uploaded_by="wang", accept=(), max_size_mb=5)
    resp = client.get(f"/files/{secret['id']}")
    assert resp.status_code == 403 and "Traceback" not in text(resp)
    assert client.get(f"/files/{secret['id']}/preview").status_code == 403
    client.post("/logout", data={"csrf_token": tok})
    assert client.get(f"/files/{ref['id']}").status_code == 302                 # sign-in first
    login(client, "wang")
    assert client.get(f"/files/{secret['id']}").status_code == 200


def test_preview_inline_for_images_and_pdfs_only(client):
    tok = login(client)
    refs = refs_in(text(upload(client, tok, [("p.png", PNG), ("d.pdf", PDF)])), "contract_files")
    png, pdf = (client.get(f"/files/{r['id']}/preview") for r in refs)
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data == PNG
    assert png.headers["Content-Disposition"].startswith("inline;")
    assert png.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in png.headers["Content-Security-Policy"]
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("inline;")
    assert "default-src 'none'" in pdf.headers["Content-Security-Policy"]
    assert "script-src" not in pdf.headers["Content-Security-Policy"]
    # anything else is downloaded, never shown inline (e.g. HTML that would run scripts)
    html_ref = refs_in(text(upload(client, tok, [("page.html", b"<script>alert(1)</script>")],
                                   path="docs.scan", name="docs.0.scan")), "docs.0.scan")
    assert html_ref == []                                                     # docs.scan takes PDFs only
    from core.files import save_upload
    engine = client.application.extensions["danbao"].engine
    other = save_upload(engine, entity="dossier", field="contract_files", name="page.html", content_type="text/html",
                        data=b"<script>alert(1)</script>", uploaded_by="li", accept=(), max_size_mb=1)
    resp = client.get(f"/files/{other['id']}/preview")
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in resp.headers["Content-Security-Policy"] and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_saved_record_with_attachments_then_download(app, client):
    tok = login(client)
    html = text(upload(client, tok, [("合同.pdf", PDF), ("照片.png", PNG)]))
    refs = refs_in(html, "contract_files")
    scan = refs_in(text(upload(client, tok, [("扫描.pdf", PDF)], path="docs.scan", name="docs.0.scan")),
                   "docs.0.scan")
    store, engine = app.store, app.extensions["danbao"].engine
    with store.transaction() as conn:
        rec = store.create("dossier", {"title": "甲", "contract_files": core_files.parse_refs(json.dumps(refs)),
                                       "docs": [{"kind": "营业执照", "scan": scan}]},
                           actor=Actor("li", {"pm"}), conn=conn)
        assert core_files.attach(conn, "dossier", rec.id, rec.values) == 3   # every ref in the record
    got = store.get("dossier", rec.id)
    assert [r["name"] for r in got.values["contract_files"]] == ["合同.pdf", "照片.png"]
    for r in got.values["contract_files"] + got.values["docs"][0]["scan"]:
        resp = client.get(f"/files/{r['id']}")
        assert resp.status_code == 200 and len(resp.data) == r["size"]
        assert core_files.open_file(engine, r["id"]).record_id == rec.id
    # the widget renders a saved value, read-only too
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        from core.users import get_user
        from ui.auth import LoginUser
        login_user(LoginUser(get_user(engine, username="li")))
        entity = store.meta.entity("dossier")
        out = render_template("files/widget.html", entity=entity, field=entity.field("contract_files"),
                              name="contract_files", files=got.values["contract_files"], files_readonly=True)
        assert "合同.pdf" in out and 'type="file"' not in out and "dbf-remove" not in out
        out = render_template("files/widget.html", entity=entity, field=entity.field("docs").child("scan"),
                              name="docs.3.scan", files=None)
        assert 'hx-post="/files/dossier/docs.scan"' in out and 'value="[]"' in out


def test_widget_escapes_names(client):
    tok = login(client)
    html = text(upload(client, tok, [('<img src=x onerror=alert(1)>.pdf', PDF), ("a&b'c.pdf", PDF)]))
    assert "<img src=x" not in html and "_img src=x onerror=alert(1)_.pdf" in html
    assert "a&amp;b&#39;c.pdf" in html
