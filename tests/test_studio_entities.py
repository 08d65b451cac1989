"""The studio's entity and field editor and the draft's review over HTTP (ui/studio_entities.py,
ui/studio_draft.py): edits go into a draft staff do not see; bad input is refused in place; only
compatible type changes are offered; a removed field still used by a formula blocks publishing;
publishing and restoring are versions noted with who did them. (SQLite and PostgreSQL)"""
from __future__ import annotations

import html
import re

import pytest

from core import drafts, metastore
from core.studio_pack import read

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)


def post(c, url, data, page="/studio"):
    return c.post(url, data={"csrf_token": token_of(text(c.get(page))), **data})


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


def new_field(c, entity="enterprise_customer", **values):
    data = {"name": "wechat", "type": "text", "label_zh": "微信号", "label_en": "WeChat", "max_length": "40",
            "after": "phone", **values}
    return post(c, f"/studio/entities/{entity}/fields", data)


def test_only_administrators_use_the_editors(pm):
    for url in ("/studio/entities", "/studio/entities/bank", "/studio/entities/bank/fields/new",
                "/studio/entities/bank/fields/name", "/studio/draft"):
        assert pm.get(url).status_code == 403, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/entities", "/studio/entities/bank/fields", "/studio/entities/bank/fields/name/remove",
                "/studio/draft/start", "/studio/draft/publish", "/studio/draft/discard", "/studio/draft/rebase"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url


def test_a_new_field_reaches_staff_only_when_the_draft_is_published(engine, admin, pm, installed):  # noqa: F811
    assert admin.post("/studio/entities/bank/fields", data={"name": "x"}).status_code == 400   # no CSRF token
    resp = new_field(admin)
    assert resp.status_code == 302 and resp.location.endswith("/studio/entities/enterprise_customer#field-wechat")
    page = text(admin.get("/studio/entities/enterprise_customer"))
    assert 'id="field-wechat"' in page and "微信号" in page
    assert re.search(r'id="field-phone".*id="field-wechat"', page, re.S)          # after the phone
    assert 'name="wechat"' not in text(pm.get("/e/enterprise_customer/new"))     # staff: not yet
    assert metastore.current(engine).version == installed.version

    review = text(admin.get("/studio/draft"))
    assert re.search(r"enterprise_customer.*\+wechat", review, re.S) and 'id="draft-publish"' in review
    resp = post(admin, "/studio/draft/publish", {})
    assert resp.status_code == 302
    assert metastore.current(engine).version == installed.version + 1
    assert 'name="wechat"' in text(pm.get("/e/enterprise_customer/new"))
    studio = text(admin.get("/studio"))
    assert re.search(rf'id="version-{installed.version + 1}".*?root.*?发布草稿|'
                     rf'id="version-{installed.version + 1}".*?root.*?Published draft', studio, re.S)
    assert drafts.current(engine) is None


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):
    resp = new_field(admin, name="Bad Name", label_zh="", max_length="forty")
    assert resp.status_code == 422
    page = text(resp)
    assert 'value="Bad Name"' in page and 'id="e-name"' in page and 'id="e-label_zh"' in page
    assert 'id="e-max_length"' in page
    assert drafts.current(engine) is None                                         # nothing saved
    assert new_field(admin, name="phone").status_code == 422                      # exists
    assert new_field(admin, name="version").status_code == 422                    # reserved
    assert new_field(admin, name="kind", type="choice").status_code == 422        # choice without a list
    resp = post(admin, "/studio/entities", {"name": "bank", "label_zh": "x"})
    assert resp.status_code == 422 and 'id="e-name"' in text(resp)


def test_only_compatible_type_changes_are_offered(engine, admin):
    page = text(admin.get("/studio/entities/enterprise_customer/fields/employees"))
    offered = re.findall(r'<option value="([a-z_]+)"', page.split('id="f-type"')[1].split("</select>")[0])
    assert offered[0] == "integer" and "decimal" in offered and "date" not in offered
    data = {"original": "employees", "type": "date", "label_zh": "从业人数"}
    assert post(admin, "/studio/entities/enterprise_customer/fields", data).status_code == 422
    data["type"] = "decimal"
    assert post(admin, "/studio/entities/enterprise_customer/fields", data).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and meta.entity("enterprise_customer").field("employees").type == "decimal"
    assert "impact-type-enterprise_customer-employees" in text(admin.get("/studio/draft"))


def test_the_type_select_lays_the_form_out_again_for_the_type(admin):
    resp = post(admin, "/studio/entities/enterprise_customer/fields", {"refresh": "1", "type": "choice",
                                                                      "name": "grade", "label_zh": "等级"})
    page = text(resp)
    assert resp.status_code == 200 and 'id="f-codelist"' in page and 'id="f-max_length"' not in page
    assert 'value="grade"' in page


def test_removing_a_field_a_formula_uses_blocks_publishing(engine, admin, installed):  # noqa: F811
    assert post(admin, "/studio/entities/project/fields/overdue_history/remove", {}).status_code == 302
    review = text(admin.get("/studio/draft"))
    assert 'id="draft-problems"' in review and "overdue_history" in review and 'id="draft-publish"' not in review
    assert "overdue_history" in text(admin.get("/studio/entities/project"))      # shown at the entity
    resp = post(admin, "/studio/draft/publish", {})
    assert resp.status_code == 302 and metastore.current(engine).version == installed.version
    assert post(admin, "/studio/draft/discard", {}).status_code == 302
    assert drafts.current(engine) is None


def test_a_new_entity_is_created_in_the_draft(engine, admin):
    resp = post(admin, "/studio/entities", {"name": "site_visit", "label_zh": "走访记录", "label_en": "Site visit"})
    assert resp.status_code == 302
    page = text(admin.get("/studio/entities/site_visit"))
    assert 'id="field-name"' in page
    assert new_field(admin, "site_visit", name="visited_on", type="date", after="name",
                     max_length="").status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and meta.entity("site_visit").field_names == ("name", "visited_on")


def test_an_old_version_is_restored_as_a_draft_and_a_stale_draft_is_carried_over(engine, clock, admin, installed):  # noqa: F811
    new_field(admin)
    post(admin, "/studio/draft/publish", {})
    resp = post(admin, f"/studio/draft/start?version={installed.version}", {})
    assert resp.status_code == 302
    assert "-wechat" in text(admin.get("/studio/draft"))
    assert post(admin, "/studio/draft/start?version=999", {}).status_code == 404
    # someone installs a version meanwhile: the draft must be carried over before publishing
    metastore.install(engine, metastore.installed_sources(engine), actor="other", clock=clock)
    review = text(admin.get("/studio/draft"))
    assert 'id="draft-stale"' in review and 'id="draft-publish"' not in review
    assert post(admin, "/studio/draft/rebase", {}).status_code == 302
    assert 'id="draft-stale"' not in text(admin.get("/studio/draft"))


def test_a_separate_publish_role_is_required_when_configured(engine, clock, installed):  # noqa: F811
    c = client_for(engine, clock, "designer", ["admin"], STUDIO_PUBLISH_ROLES=["publisher"])
    new_field(c)
    review = text(c.get("/studio/draft"))
    assert 'id="draft-publish"' not in review
    assert post(c, "/studio/draft/publish", {}).status_code == 403
    assert metastore.current(engine).version == installed.version


def test_formulas_are_checked_as_typed_and_tried_on_a_record(engine, clock, admin, installed):  # noqa: F811
    from core.store import Store
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    bank = store.create("bank", {"name": "工商银行", "credit_line": "1000000", "credit_line_end": "2027-12-31"})
    page = text(admin.get("/studio/entities/bank/fields/new"))
    assert 'hx-post="/studio/entities/bank/formula"' in page and "<code>ROUND</code>" in page
    assert '<code title="' in page and ">credit_line</code>" in page
    url = "/studio/entities/bank/formula"
    ok = text(post(admin, url, {"which": "visible_if", "visible_if": "credit_line > 100"}))
    assert "✓" in ok and "error" not in ok
    bad = text(post(admin, url, {"which": "visible_if", "visible_if": "credit_lin > 100"}))
    assert "credit_lin" in bad and "credit_line" in bad and 'class="error"' in bad          # a suggestion
    assert "ROUNDX" in text(post(admin, url, {"which": "formula", "formula": "ROUNDX(credit_line)"}))
    tried = text(post(admin, url, {"which": "formula", "formula": "credit_line / 2", "record": str(bank.id)}))
    assert "500000" in tried
    missing = text(post(admin, url, {"which": "formula", "formula": "credit_line", "record": "99999"}))
    assert "99999" in missing
    token = token_of(text(admin.get("/studio")))
    assert client_for(engine, clock, "li2", ["pm"]).post(url, data={"csrf_token": token}).status_code in (400, 403)


def test_a_text_field_becomes_a_choice_with_its_values_mapped_in_the_review(engine, clock, admin, installed):  # noqa: F811
    from core.store import Store
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    bank = store.create("bank", {"name": "工商银行", "branch": "国企", "credit_line": "1", "credit_line_end": "2027-12-31"})
    data = {"original": "branch", "type": "choice", "label_zh": "分支机构", "codelist": "company_type"}
    assert post(admin, "/studio/entities/bank/fields", data).status_code == 302
    review = text(admin.get("/studio/draft"))
    assert 'id="map-bank-branch"' in review and "<code>国企</code>" in review
    url = "/studio/draft/values/bank.branch"
    assert post(admin, url, {"old-1": "国企", "new-1": "no_such_code"}).status_code == 303
    assert drafts.current(engine).conversions == {}
    assert post(admin, url, {"old-1": "国企", "new-1": "soe"}).status_code == 302
    assert post(admin, "/studio/draft/values/bank.nothing", {"old-1": "x"}).status_code == 404
    review = text(admin.get("/studio/draft"))
    assert re.search(r'<option value="soe" selected>', review)
    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    assert Store(engine, metastore.current(engine).meta, clock=clock).get("bank", bank.id).values["branch"] == "soe"


def test_entity_validations_are_added_changed_and_removed_in_the_draft(engine, admin, installed):  # noqa: F811
    base = installed.meta.entity("project").validations[0]
    page = text(admin.get("/studio/entities/project"))
    assert f'id="validation-{base.name}"' in page and 'id="add-validation"' in page
    url = "/studio/entities/project/validations"
    resp = post(admin, url, {"name": "Bad", "formula": "", "message_zh": ""})
    assert resp.status_code == 422 and 'value="Bad"' in text(resp) and 'id="e-formula"' in text(resp)
    assert drafts.current(engine) is None
    assert post(admin, url, {"name": "big_needs_term", "formula": "amount < 1000000 or term_months <= 24",
                             "message_zh": "大额项目期限不超过24个月", "field": "term_months"}).status_code == 302
    assert post(admin, url, {"original": base.name, "formula": base.formula, "message_zh": "改过的提示"}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    by_name = {v.name: v for v in meta.entity("project").validations}
    assert by_name["big_needs_term"].field == "term_months"
    assert by_name[base.name].message["zh"] == "改过的提示" and by_name[base.name].formula == base.formula
    assert post(admin, f"{url}/{base.name}/remove", {}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and base.name not in {v.name for v in meta.entity("project").validations}
    assert post(admin, f"{url}/nothing/remove", {}).status_code == 404
    assert {v.name for v in metastore.current(engine).meta.entity("project").validations} >= {base.name}


def test_child_table_columns_and_new_tables_are_edited_in_the_draft(engine, admin):
    page = text(admin.get("/studio/entities/enterprise_customer"))
    assert 'id="field-shareholders__share"' in page and 'id="add-column-shareholders"' in page
    form = text(admin.get("/studio/entities/enterprise_customer/fields/new?table=shareholders"))
    assert 'name="table" value="shareholders"' in form and '<option value="table"' not in form
    assert admin.get("/studio/entities/enterprise_customer/fields/new?table=nothing").status_code == 404
    assert admin.get("/studio/entities/enterprise_customer/fields/shareholders.nothing").status_code == 404
    url = "/studio/entities/enterprise_customer/fields"
    resp = post(admin, url, {"table": "shareholders", "name": "share", "type": "text", "label_zh": "重复"})
    assert resp.status_code == 422 and 'id="e-name"' in text(resp)                  # a column of that name
    resp = post(admin, url, {"table": "shareholders", "name": "nationality", "type": "text", "label_zh": "国籍",
                             "max_length": "30"})
    assert resp.status_code == 302 and resp.location.endswith("#field-shareholders__nationality")
    edit = text(admin.get("/studio/entities/enterprise_customer/fields/shareholders.share"))
    assert 'name="original" value="share"' in edit and 'name="table" value="shareholders"' in edit
    share = dict(re.findall(r'name="(label_zh|max)" id="f-\1" value="([^"]*)"', edit))
    assert post(admin, url, {"table": "shareholders", "original": "share", "type": "percent",
                             "label_zh": share["label_zh"], "max": "90"}).status_code == 302
    resp = post(admin, url, {"name": "visits", "type": "table", "label_zh": "走访记录"})
    assert resp.status_code == 422 and 'id="e-column_name"' in text(resp)           # its first column
    assert post(admin, url, {"name": "visits", "type": "table", "label_zh": "走访记录", "column_name": "visited_on",
                             "column_label_zh": "走访日期"}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    holders = meta.entity("enterprise_customer").field("shareholders")
    assert holders.child("nationality").max_length == 30 and holders.child("share").max == 90
    assert [c.name for c in meta.entity("enterprise_customer").field("visits").fields] == ["visited_on"]
    assert post(admin, "/studio/entities/enterprise_customer/fields/shareholders.nationality/remove",
                {}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and "nationality" not in [c.name for c in meta.entity("enterprise_customer")
                                                     .field("shareholders").fields]


def test_a_rollup_field_is_created_and_an_existing_one_round_trips(engine, admin):
    url = "/studio/entities/project/fields"
    page = text(admin.get("/studio/entities/project/fields/repaid"))
    assert 'value="principal"' in page and 'id="f-from"' in page and "status == &#34;confirmed&#34;" in page
    resp = post(admin, url, {"name": "visits", "type": "rollup", "label_zh": "走访次数", "aggregate": "sum"})
    assert resp.status_code == 422 and 'id="e-from"' in text(resp) and 'id="e-rollup_field"' in text(resp)
    assert post(admin, url, {"name": "visits", "type": "rollup", "label_zh": "走访次数", "from": "followup",
                             "link": "project", "aggregate": "count", "result": "integer"}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    visits = meta.entity("project").field("visits")
    assert (visits.rollup.source, visits.rollup.link, visits.rollup.aggregate) == ("followup", "project", "count")
    # an existing rollup saved as its form shows it writes nothing
    data = {k: html.unescape(v) for k, v in re.findall(
        r'name="(label_zh|label_en|help_zh|help_en|link|rollup_field)" id="f-\1" value="([^"]*)"', page)}
    assert data["label_zh"] == "已还本金" and data["link"] == "project" and data["rollup_field"] == "principal"
    data["from"], data["aggregate"] = "repayment", "sum"
    assert post(admin, url, {"original": "repaid", "type": "rollup", **data,
                             "where": 'status == "confirmed"'}).status_code == 302
    overlay = read(drafts.current(engine).sources, "company", "entities/project.yaml")
    assert "repaid" not in (overlay.get("change_fields") or {})


def test_a_rollups_condition_is_checked_on_the_records_it_aggregates_and_validations_are_tried(admin):
    page = text(admin.get("/studio/entities/project/fields/repaid"))
    assert 'hx-post="/studio/entities/repayment/formula"' in page                  # `where`: on repayments
    page = text(admin.get("/studio/entities/project/validations/new"))
    assert 'id="f-record"' in page and 'hx-include="#f-record"' in page and 'id="formula-help"' in page


def test_a_new_field_may_take_a_plugins_field_type(engine, admin):
    form = text(admin.get("/studio/entities/bank/fields/new"))
    assert '<option value="bank_account"' in form and '<option value="table"' in form
    assert post(admin, "/studio/entities/bank/fields", {"name": "settlement", "type": "bank_account",
                                                        "label_zh": "结算账户"}).status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources, field_types={"bank_account": "text"})
    assert problems == [] and meta.entity("bank").field("settlement").type == "bank_account"
