"""The studio's code-list editor over HTTP (ui/studio_codelists.py): only administrators use it; a new
list gets entries (a child, an inactive one) in the draft; an entry and the label of a standard-pack
list change by overlay, keeping the English label; bad input is refused with the message and the input
kept; staff see nothing until the draft is published; forms without the CSRF token are refused.
(SQLite and PostgreSQL)"""
from __future__ import annotations

import re

from core import drafts, metastore, studio_pack

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401 - fixtures

PACK = "company"


def post(c, url, **data):
    token = token_of(text(c.get("/studio/codelists")))
    return c.post(url, data={"csrf_token": token, **data})


def draft_meta(engine):
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    return meta


def add(c, codelist, code, zh, en="", parent="", active=True, mode="new"):
    data = {"code": code, "zh": zh, "en": en, "parent": parent, "mode": mode, **({"active": "1"} if active else {})}
    return post(c, f"/studio/codelists/{codelist}/items", **data)


def test_only_administrators_use_the_code_list_editor(engine, clock, installed):
    pm = client_for(engine, clock, "li", ["pm"])
    token = token_of(text(pm.get("/")))
    for url in ("/studio/codelists", "/studio/codelists/company_type"):
        assert pm.get(url).status_code == 403
    for url, data in (("/studio/codelists", {"name": "visit_kind", "zh": "走访方式"}),
                      ("/studio/codelists/company_type", {"zh": "公司类型"}),
                      ("/studio/codelists/company_type/items", {"code": "x", "zh": "某", "mode": "new"})):
        assert pm.post(url, data={"csrf_token": token, **data}).status_code == 403
    assert drafts.current(engine) is None


def test_a_new_list_gets_a_child_entry_and_an_inactive_one(engine, admin, installed):
    page = text(admin.get("/studio/codelists"))
    assert re.search(r'id="codelist-company_type">.*?企业类型.*?14.*?standard', page, re.S)
    assert '<label for="new-name">' in page
    resp = post(admin, "/studio/codelists", name="visit_kind", zh="走访方式", en="Visit kind")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/studio/codelists/visit_kind")
    for code, zh, parent, active in (("site", "实地", "", True), ("site_night", "夜访", "site", True),
                                     ("phone", "电话", "", False)):
        assert add(admin, "visit_kind", code, zh, parent=parent, active=active).status_code == 302
    meta = draft_meta(engine)
    visits = meta.codelist("visit_kind")
    assert visits.label["en"] == "Visit kind" and visits.pack == PACK
    assert [i.code for i in visits.children(None)] == ["site", "phone"]
    assert visits.get("site_night").parent == "site" and visits.get("phone").active is False
    page = text(admin.get("/studio/codelists/visit_kind"))
    codes = re.findall(r'<tr id="item-([a-z_]+)" data-depth="(\d)"', page)
    assert codes == [("site", "0"), ("site_night", "1"), ("phone", "0")]     # the tree, children indented
    assert 'href="/studio/codelists/visit_kind?edit=site_night#entry-form"' in page
    phone = page.split('id="item-phone"')[1].split("</tr>")[0]
    assert "电话" in phone and '<span class="badge">' in phone and "badge ok" not in phone   # inactive
    assert '<option value="site">' in page                                  # parents from the codes
    assert "visit_kind" not in metastore.current(engine).meta.codelists      # only in the draft
    assert 'id="codelist-visit_kind"' in text(admin.get("/studio/codelists"))
    # editing an entry: its form is filled in, its own code and those below it are no parent
    page = text(admin.get("/studio/codelists/visit_kind?edit=site"))
    assert 'value="实地"' in page and '<option value="site">' not in page and '<option value="site_night">' not in page
    resp = add(admin, "visit_kind", "site", "实地", parent="site_night", mode="edit")
    assert resp.status_code == 422                                           # no cycles
    assert add(admin, "visit_kind", "site_night", "夜间走访", parent="site", mode="edit").status_code == 302
    assert draft_meta(engine).codelist("visit_kind").get("site_night").label["zh"] == "夜间走访"


def test_a_standard_list_changes_by_overlay_and_keeps_the_english_label(engine, clock, admin, installed):
    assert installed.meta.codelist("company_type").get("soe").label["en"] == "State-owned enterprise"
    page = text(admin.get("/studio/codelists/company_type?edit=soe"))
    assert 'value="国有企业"' in page and 'value="State-owned enterprise"' in page
    assert add(admin, "company_type", "soe", "国企", mode="edit").status_code == 302           # zh only
    assert add(admin, "company_type", "foreign", "外商投资企业", "Foreign-invested enterprise",
               active=False, mode="edit").status_code == 302                                 # deactivated
    assert add(admin, "company_type", "collective", "集体企业", "Collective").status_code == 302
    assert post(admin, "/studio/codelists/company_type", zh="公司类型").status_code == 302
    doc = studio_pack.read(drafts.current(engine).sources, PACK, "codelists/company_type.yaml")
    assert doc["overlay"] == "company_type" and doc["label"] == {"zh": "公司类型"}
    assert doc["change_items"]["soe"] == {"label": {"zh": "国企"}, "active": True}
    assert doc["change_items"]["foreign"]["active"] is False
    assert doc["add_items"] == [{"code": "collective", "label": {"zh": "集体企业", "en": "Collective"}}]
    types = draft_meta(engine).codelist("company_type")
    assert dict(types.get("soe").label) == {"zh": "国企", "en": "State-owned enterprise"}
    assert dict(types.label) == {"zh": "公司类型", "en": "Company type"}
    assert types.get("foreign").active is False and types.get("collective").label["zh"] == "集体企业"
    assert types.pack == "standard" and len(types.items) == 15
    page = text(admin.get("/studio/codelists/company_type"))
    assert "<h1>公司类型</h1>" in page and re.search(r'id="item-soe".*?国企.*?State-owned enterprise', page, re.S)

    # staff see none of it until the draft is published
    pm = client_for(engine, clock, "li", ["pm"])
    form = text(pm.get("/e/enterprise_customer/new"))
    assert "国有企业" in form and "国企" not in form and "集体企业" not in form
    assert metastore.current(engine).meta.digest == installed.meta.digest
    resp = admin.post("/studio/draft/publish", data={"csrf_token": token_of(text(admin.get("/studio/draft")))})
    assert resp.status_code == 302
    types = metastore.current(engine).meta.codelist("company_type")
    assert types.get("soe").label["zh"] == "国企" and types.get("collective") is not None
    form = text(pm.get("/e/enterprise_customer/new"))
    assert "国企" in form and "集体企业" in form


def test_bad_input_is_refused_with_the_message_and_the_input_kept(engine, admin, installed):
    resp = post(admin, "/studio/codelists", name="Visit-Kind", zh="", en="Visit kind")
    page = text(resp)
    assert resp.status_code == 422
    assert 'id="new-name" value="Visit-Kind"' in page and 'value="Visit kind"' in page
    assert re.search(r'id="err-new-name">[^<]+<', page) and re.search(r'id="err-new-zh">[^<]+<', page)
    resp = post(admin, "/studio/codelists", name="company_type", zh="企业类型")
    assert resp.status_code == 422 and re.search(r'id="err-new-name">[^<]+<', text(resp))
    resp = add(admin, "company_type", "a b", "", "Some")
    page = text(resp)
    assert resp.status_code == 422 and 'value="a b"' in page and 'value="Some"' in page
    assert re.search(r'id="err-item_code">[^<]+<', page) and re.search(r'id="err-item_zh">[^<]+<', page)
    resp = add(admin, "company_type", "soe", "国企")                     # a new entry with a code in use
    assert resp.status_code == 422 and re.search(r'id="err-item_code">[^<]+<', text(resp))
    resp = add(admin, "company_type", "x1", "某", parent="nowhere")
    assert resp.status_code == 422 and re.search(r'id="err-item_parent">[^<]+<', text(resp))
    resp = post(admin, "/studio/codelists/company_type", zh="", en="Kinds")
    assert resp.status_code == 422 and re.search(r'id="err-label_zh">[^<]+<', text(resp))
    assert 'id="label_en" value="Kinds"' in text(resp)
    assert drafts.current(engine) is None                                 # nothing saved
    assert admin.get("/studio/codelists/nowhere").status_code == 404
    assert post(admin, "/studio/codelists/nowhere", zh="某").status_code == 404
    assert add(admin, "nowhere", "x", "某").status_code == 404
    assert add(admin, "company_type", "nothing", "某", mode="edit").status_code == 404


def test_forms_without_the_csrf_token_are_refused(engine, admin, installed):
    for url, data in (("/studio/codelists", {"name": "visit_kind", "zh": "走访方式"}),
                      ("/studio/codelists/company_type", {"zh": "公司类型"}),
                      ("/studio/codelists/company_type/items", {"code": "x", "zh": "某", "mode": "new"})):
        assert admin.post(url, data=data).status_code == 400
    assert drafts.current(engine) is None
