"""The studio's form layout editor and form preview over HTTP (ui/studio_forms.py): only administrators
edit; edits go into the draft, which staff do not see until it is published; bad input is refused in
place with what was typed kept; tabs, sections and fields are added, relabelled, reordered and taken
off; the preview draws the draft's form with its live rules and saves nothing. (SQLite and PostgreSQL)"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import drafts, metastore
from core.db import records

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)


def post(c, url, data=None, page="/studio"):
    return c.post(url, data={"csrf_token": token_of(text(c.get(page))), **(data or {})})


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


def draft_form(engine, name):
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [], [str(p) for p in problems]
    return meta.forms[name]


def test_only_administrators_use_the_form_editor(pm):  # noqa: F811
    for url in ("/studio/forms", "/studio/forms/bank", "/studio/forms/bank/preview"):
        assert pm.get(url).status_code == 403, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/forms", "/studio/forms/bank/tabs", "/studio/forms/bank/tabs/main",
                "/studio/forms/bank/tabs/main/sections", "/studio/forms/bank/sections/basic",
                "/studio/forms/bank/sections/basic/fields", "/studio/forms/bank/fields/name/remove",
                "/studio/forms/bank/fields/name/move?step=down", "/studio/forms/bank/preview",
                "/studio/forms/bank/preview/bank/live"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url


def test_the_list_shows_every_form_and_a_new_one_is_created(engine, admin):  # noqa: F811
    page = text(admin.get("/studio/forms"))
    assert re.search(r'id="form-project".*?project.*?担保项目.*?standard', page, re.S)
    resp = post(admin, "/studio/forms", {"name": "bank_short", "entity": "bank", "label_zh": "银行简表"})
    assert resp.status_code == 302 and resp.location.endswith("/studio/forms/bank_short")
    page = text(admin.get("/studio/forms/bank_short"))
    assert 'id="tab-main"' in page and 'id="section-basic"' in page and 'id="unplaced-name"' in page
    assert 'id="form-bank_short"' in text(admin.get("/studio/forms"))
    assert draft_form(engine, "bank_short").entity == "bank"


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):  # noqa: F811
    assert admin.post("/studio/forms", data={"name": "x"}).status_code == 400            # no CSRF token
    resp = post(admin, "/studio/forms", {"name": "Bad Name", "entity": "nothing", "label_zh": ""})
    page = text(resp)
    assert resp.status_code == 422 and 'value="Bad Name"' in page
    assert 'id="e-new-name"' in page and 'id="e-new-entity"' in page and 'id="e-new-label_zh"' in page
    assert post(admin, "/studio/forms", {"name": "project", "entity": "project", "label_zh": "x"}).status_code == 422
    resp = post(admin, "/studio/forms/project/tabs", {"name": "risk", "label_zh": "风险", "label_en": "Risk"})
    page = text(resp)                                          # a section of that name is on the form
    assert resp.status_code == 422 and 'id="e-add-tab-name"' in page and 'value="Risk"' in page
    resp = post(admin, "/studio/forms/project/tabs/review/sections", {"name": "extra", "label_zh": "补充",
                                                                      "columns": "5"})
    page = text(resp)
    assert resp.status_code == 422 and 'id="e-add-section-review-columns"' in page and 'value="extra"' in page
    resp = post(admin, "/studio/forms/project/sections/risk", {"label_zh": "", "label_en": "Risk!", "columns": "1"})
    page = text(resp)
    assert resp.status_code == 422 and 'id="e-section-risk-label_zh"' in page and 'value="Risk!"' in page
    resp = post(admin, "/studio/forms/project/sections/risk/fields", {"field": "amount"})   # on the form
    assert resp.status_code == 422 and 'id="e-add-field-risk-field"' in text(resp)
    resp = post(admin, "/studio/forms/project/sections/risk/fields", {"field": "no_such_field"})
    assert resp.status_code == 422
    assert drafts.current(engine) is None                                              # nothing saved
    assert post(admin, "/studio/forms/nothing/tabs", {"name": "a", "label_zh": "a"}).status_code == 404
    assert post(admin, "/studio/forms/project/fields/amount/move?step=sideways").status_code == 404
    assert post(admin, "/studio/forms/project/sections/nothing/remove").status_code == 404


def test_the_last_tab_and_section_stay(engine, admin):  # noqa: F811
    post(admin, "/studio/forms", {"name": "bank_short", "entity": "bank", "label_zh": "银行简表"})
    page = text(admin.get("/studio/forms/bank_short"))
    assert 'id="remove-tab-main"' not in page and 'id="remove-section-basic"' not in page
    resp = post(admin, "/studio/forms/bank_short/sections/basic/remove")
    assert resp.status_code == 422 and 'id="e-section-basic-remove"' in text(resp)
    assert post(admin, "/studio/forms/bank_short/tabs/main/remove").status_code == 422


def test_a_layout_is_edited_and_reaches_staff_only_when_published(engine, admin, pm, installed):  # noqa: F811
    before = installed.meta.forms["project"]
    applicant = list(before.tabs[0].sections[0].fields)
    resp = post(admin, f"/studio/forms/project/fields/{applicant[0]}/move?step=down")
    assert resp.status_code == 302 and f"focus=down-field-{applicant[0]}" in resp.location
    page = text(admin.get(resp.location))                  # the focus stays on the button pressed
    assert re.search(rf'id="down-field-{applicant[0]}"[^>]*autofocus', page)
    assert post(admin, "/studio/forms/project/tabs", {"name": "site", "label_zh": "现场", "label_en": "Site"}) \
        .status_code == 302
    assert post(admin, "/studio/forms/project/tabs/site/sections", {"name": "visit", "label_zh": "走访记录",
                                                                    "columns": "1"}).status_code == 302
    assert post(admin, "/studio/forms/project/fields/remarks/remove").status_code == 302
    assert post(admin, "/studio/forms/project/sections/visit/fields", {"field": "remarks"}).status_code == 302
    assert post(admin, "/studio/forms/project/sections/risk", {"label_zh": "风险审查", "columns": "2"}).status_code == 302
    assert post(admin, "/studio/forms/project/tabs/site/move?step=up").status_code == 302
    assert post(admin, "/studio/forms/project/sections/site/remove").status_code == 302
    assert post(admin, "/studio/forms/project/tabs/review", {"label_zh": "评审会"}).status_code == 302
    form = draft_form(engine, "project")
    assert form.tabs[0].sections[0].fields[:2] == (applicant[1], applicant[0])
    names = [t.name for t in form.tabs]
    assert names.index("site") == names.index("post_loan") - 1                           # moved up once
    site = form.tabs[names.index("site")]
    assert [(s.name, s.columns, s.fields) for s in site.sections] == [("visit", 1, ("remarks",))]
    risk = next(s for t in form.tabs for s in t.sections if s.name == "risk")
    assert (dict(risk.label)["zh"], risk.columns) == ("风险审查", 2)
    assert dict(form.tabs[1].label)["zh"] == "评审会"
    page = text(admin.get("/studio/forms/project"))
    assert re.search(r'id="tab-site".*id="section-visit".*id="ff-remarks"', page, re.S)

    assert metastore.current(engine).meta.forms["project"] == before                    # staff: not yet
    assert 'id="sec-visit"' not in text(pm.get("/e/project/new"))
    assert post(admin, "/studio/draft/publish").status_code == 302
    assert metastore.current(engine).version == installed.version + 1
    staff = text(pm.get("/e/project/new"))
    assert re.search(r'id="tab-site".*id="sec-visit".*name="remarks"', staff, re.S)


def test_a_field_not_on_the_form_is_listed_with_where_it_shows(engine, admin):  # noqa: F811
    post(admin, "/studio/forms/bank/fields/remarks/remove")
    page = text(admin.get("/studio/forms/bank"))
    assert 'id="unplaced-remarks"' in page and 'id="ff-remarks"' not in page
    assert re.search(r'id="f-add-field-basic-field".*<option value="remarks"', page, re.S)
    post(admin, "/studio/forms", {"name": "bank_short", "entity": "bank", "label_zh": "银行简表"})
    page = text(admin.get("/studio/forms/bank_short"))
    assert re.search(r'id="unplaced-remarks">.*?(其他|Other)', page, re.S)


def test_the_preview_draws_the_drafts_form_with_live_rules_and_saves_nothing(engine, admin, installed):  # noqa: F811
    post(admin, "/studio/forms/project/tabs", {"name": "site", "label_zh": "现场走访", "label_en": "Site"})
    post(admin, "/studio/forms/project/fields/remarks/remove")
    post(admin, "/studio/forms/project/sections/site/fields", {"field": "remarks"})
    page = text(admin.get("/studio/forms/project/preview"))
    assert 'id="sec-site"' in page and "现场走访" in page and 'name="remarks"' in page
    assert 'hx-post="/studio/forms/project/preview/project/live"' in page and 'id="save" disabled' in page
    assert 'hx-post="/e/project/live"' not in page
    assert 'id="sec-site"' not in text(admin.get("/e/project/new"))                    # installed: unchanged
    count = select(func.count()).select_from(records)
    with engine.connect() as conn:
        before = conn.execute(count).scalar()
    token = token_of(page)
    live = admin.post("/studio/forms/project/preview/project/live",
                      data={"csrf_token": token, "_form": "project", "amount": "1000000", "_typing": "amount"})
    assert live.status_code == 200 and 'hx-swap-oob' in text(live)
    assert "/e/project/live" not in text(live)
    resp = admin.post("/studio/forms/project/preview", data={"csrf_token": token, "amount": "abc"})
    assert resp.status_code == 200 and 'id="preview-note"' in text(resp) and 'id="sec-site"' in text(resp)
    with engine.connect() as conn:
        assert conn.execute(count).scalar() == before
    assert admin.post("/studio/forms/project/preview/bank/live", data={"csrf_token": token}).status_code == 404
    assert admin.get("/studio/forms/nothing/preview").status_code == 404


def test_the_preview_of_a_draft_with_problems_lists_them(engine, admin):  # noqa: F811
    assert post(admin, "/studio/entities/project/fields/overdue_history/remove").status_code == 302
    page = text(admin.get("/studio/forms/project/preview"))
    assert 'id="draft-problems"' in page and "overdue_history" in page and 'id="record-form"' not in page
