"""The studio's metadata versions and packs over HTTP (ui/studio.py, core/pack_archive.py): only
administrators open it; the installed version exports as an archive that, imported into a fresh
database, gives the same metadata; an imported pack is checked and compared before it is installed
(problems with file and line, nothing installed); an older version is restored as a new one; a
separate role may be required to publish. (SQLite and PostgreSQL)"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from core import metastore
from core.db import create_schema, make_engine
from core.pack_archive import from_zip, to_zip
from core.users import create_user
from metadata.source import read_pack_dir
from ui.app import create_app

from .test_records import text, token_of

SEED = Path(__file__).resolve().parent.parent / "seed"


def client_for(engine, clock, username, roles, **config):
    create_user(engine, username, name=username, roles=roles, password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "studio", "CLOCK": clock, **config})
    c = app.test_client()
    html = text(c.get("/login"))
    assert c.post("/login", data={"username": username, "password": "right-pass",
                                  "csrf_token": token_of(html)}).status_code == 302
    return c


@pytest.fixture
def installed(engine, clock):
    return metastore.install(engine, [read_pack_dir(SEED / "standard")], clock=clock, actor="setup")


@pytest.fixture
def admin(engine, clock, installed):
    return client_for(engine, clock, "root", ["admin"])


def zipped(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()


ACME = {
    "acme/pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: standard, version: '>=1'}]\n",
    "acme/entities/enterprise_customer.yaml": "overlay: enterprise_customer\n"
                                              "add_fields: [{name: wechat, type: text, label: 微信}]\n",
}


def post_archive(c, data: bytes, name="packs.zip"):
    token = token_of(text(c.get("/studio")))
    return c.post("/studio/import", data={"csrf_token": token, "archive": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def test_only_administrators_open_the_studio(engine, clock, installed, admin):
    pm = client_for(engine, clock, "li", ["pm"])
    assert pm.get("/studio").status_code == 403
    assert 'id="nav-studio"' not in text(pm.get("/"))
    assert pm.get(f"/studio/versions/{installed.version}.zip").status_code == 403
    page = text(admin.get("/studio"))
    assert 'id="nav-studio"' in page and 'id="pack-standard"' in page
    assert re.search(rf'id="version-{installed.version}".*?setup', page, re.S)


def test_an_export_imported_into_a_fresh_database_gives_the_same_metadata(engine, clock, installed, admin, tmp_path):
    resp = admin.get(f"/studio/versions/{installed.version}.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    archive = resp.get_data()
    assert [s.digest() for s in from_zip(archive)] == [s.digest() for s in installed.sources]
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    create_schema(fresh)
    other = client_for(fresh, clock, "root", ["admin"])
    resp = post_archive(other, archive)
    assert resp.status_code == 200, text(resp)[:2000]
    assert '<tr class="change-added"><td>实体</td><td>project</td>' in text(resp)   # all of it is new there
    file_id = re.search(r'action="/studio/import/(\d+)"', text(resp)).group(1)
    resp = other.post(f"/studio/import/{file_id}", data={"csrf_token": token_of(text(other.get("/studio")))})
    assert resp.status_code == 302
    assert metastore.current(fresh).meta.digest == installed.meta.digest
    assert metastore.versions(fresh)[-1]["installed_by"] == "root"
    fresh.dispose()


def test_an_imported_pack_is_compared_then_installed_as_a_new_version(engine, admin, installed):
    resp = post_archive(admin, zipped(ACME))
    html = text(resp)
    assert resp.status_code == 200
    assert re.search(r'<tr class="change-changed"><td>实体</td><td>enterprise_customer</td>.*?\+wechat', html, re.S)
    assert len(metastore.versions(engine)) == 1                     # nothing installed yet
    file_id = re.search(r'action="/studio/import/(\d+)"', html).group(1)
    resp = admin.post(f"/studio/import/{file_id}", data={"csrf_token": token_of(html)})
    assert resp.status_code == 302
    now = metastore.current(engine)
    assert now.version > installed.version and now.meta.entity("enterprise_customer").has("wechat")
    assert {metastore.pack_name(s) for s in now.sources} == {"standard", "acme"}


def test_problems_are_listed_with_file_and_line_and_nothing_is_installed(engine, admin):
    bad = {**ACME, "acme/entities/enterprise_customer.yaml": "overlay: enterprise_customer\n"
                                                             "add_fields: [{name: wechat, type: colour}]\n"}
    resp = post_archive(admin, zipped(bad))
    assert resp.status_code == 422
    assert re.search(r"acme/entities/enterprise_customer\.yaml:2", text(resp)), text(resp)[:3000]
    assert 'action="/studio/import/' not in text(resp) and len(metastore.versions(engine)) == 1
    for data, expected in ((b"not a zip", "不是有效的 zip 压缩包"),
                           (zipped({"readme.txt": "x"}), "没有 pack.yaml"),
                           (zipped({"../evil/pack.yaml": "name: evil\nversion: 1.0.0\n"}), "没有 pack.yaml")):
        resp = post_archive(admin, data)
        assert resp.status_code == 422 and expected in text(resp)


def test_an_older_version_is_restored_as_a_new_one(engine, admin, installed):
    resp = post_archive(admin, zipped(ACME))
    file_id = re.search(r'action="/studio/import/(\d+)"', text(resp)).group(1)
    admin.post(f"/studio/import/{file_id}", data={"csrf_token": token_of(text(resp))})
    page = text(admin.get("/studio"))
    resp = admin.post(f"/studio/versions/{installed.version}/restore", data={"csrf_token": token_of(page)})
    assert resp.status_code == 302
    now = metastore.current(engine)
    assert now.version == installed.version + 2 and now.meta.digest == installed.meta.digest
    assert not now.meta.entity("enterprise_customer").has("wechat")
    assert "版本 1 已恢复为版本 3" in text(admin.get("/studio"))


def test_a_separate_role_may_be_required_to_publish(engine, clock, installed):
    admin = client_for(engine, clock, "root", ["admin"], STUDIO_PUBLISH_ROLES=["publisher"])
    resp = post_archive(admin, zipped(ACME))
    html = text(resp)
    assert resp.status_code == 200 and 'id="install-archive"' not in html
    file_id = re.search(r"/studio/import/(\d+)", html)
    assert file_id is None
    token = token_of(text(admin.get("/studio")))
    assert admin.post(f"/studio/versions/{installed.version}/restore", data={"csrf_token": token}).status_code == 403
    with engine.connect() as c:
        upload = c.exec_driver_sql("SELECT max(id) FROM files").scalar()
    assert admin.post(f"/studio/import/{upload}", data={"csrf_token": token}).status_code == 403
    publisher = client_for(engine, clock, "pub", ["admin", "publisher"], STUDIO_PUBLISH_ROLES=["publisher"])
    # another user's upload is not theirs to install
    assert publisher.post(f"/studio/import/{upload}",
                          data={"csrf_token": token_of(text(publisher.get("/studio")))}).status_code == 404
    assert admin.post(f"/studio/versions/{installed.version}/restore", data={}).status_code == 400   # no CSRF token


def test_archives_round_trip_with_templates():
    standard = read_pack_dir(SEED / "standard")
    again = from_zip(to_zip([standard]))
    assert again[0].digest() == standard.digest() and again[0].binaries


def test_only_the_company_overlay_can_be_exported(engine, admin, installed):
    resp = post_archive(admin, zipped(ACME))
    file_id = re.search(r'action="/studio/import/(\d+)"', text(resp)).group(1)
    admin.post(f"/studio/import/{file_id}", data={"csrf_token": token_of(text(resp))})
    version = metastore.current(engine).version
    assert f'/studio/versions/{version}.zip?pack=acme' in text(admin.get("/studio"))
    resp = admin.get(f"/studio/versions/{version}.zip?pack=acme")
    assert resp.status_code == 200 and "acme.zip" in resp.headers["Content-Disposition"]
    (only,) = from_zip(resp.get_data())
    assert metastore.pack_name(only) == "acme" and set(only.files) == {"pack.yaml", "entities/enterprise_customer.yaml"}
    assert admin.get(f"/studio/versions/{version}.zip?pack=nothing").status_code == 404


def test_an_import_preview_shows_the_impact_on_records(engine, clock, installed, admin):
    from core.store import Store
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    store.create("bank", {"name": "工商银行", "branch": "西湖支行", "credit_line": "1", "credit_line_end": "2027-12-31"})
    archive = zipped({"acme/pack.yaml": ACME["acme/pack.yaml"],
                      "acme/entities/bank.yaml": "overlay: bank\nremove_fields: [branch]\n"})
    page = text(post_archive(admin, archive))
    assert 'id="impact-removed-bank-branch"' in page
    assert re.search(r'id="impact-removed-bank-branch">[^<]*\b1\b', page)      # the one record holding a value
