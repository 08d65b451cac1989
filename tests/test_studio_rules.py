"""The studio's warning-rule editor over HTTP (ui/studio_rules.py): administrators only, CSRF; a rule
created in the draft raises nothing until published, then the scan raises it for a matching record
and not for another; another pack's rule is changed by overlay (the form round-trips it) and turned
off and on; bad input is refused in place with what was typed kept. (SQLite and PostgreSQL)"""
from __future__ import annotations

import pytest

from core import drafts, metastore
from core.store import Store
from core.studio_pack import read
from core.warnings import listing, scan

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)
from .test_studio_scorecards import form_values, post, resubmit


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


BIG_LINE = {"name": "big_bank_line", "entity": "bank", "level": "red", "label_zh": "授信额度大", "label_en": "Large line",
            "condition": "credit_line > 5000000", "message_zh": "{{ name }} 授信 {{ credit_line }} 元",
            "message_en": "{{ name }}: credit line {{ credit_line }}", "recipients-0-kind": "users",
            "recipients-0-value": "root", "recipients-1-kind": "role", "recipients-1-value": "risk",
            "run_daily": "1", "enabled": "1"}


def test_only_administrators_use_the_rule_editor(pm):
    for url in ("/studio/rules", "/studio/rules/new", "/studio/rules/overdue"):
        assert pm.get(url).status_code == 403, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/rules", "/studio/rules/overdue/enabled", "/studio/rules/overdue/remove"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url


def test_a_new_rule_raises_warnings_only_once_published(engine, clock, admin, installed):  # noqa: F811
    assert admin.post("/studio/rules", data=BIG_LINE).status_code == 400                       # no CSRF token
    resp = post(admin, "/studio/rules", BIG_LINE)
    assert resp.status_code == 302 and resp.location.endswith("/studio/rules/big_bank_line")
    page = text(admin.get("/studio/rules/big_bank_line"))
    assert 'value="credit_line &gt; 5000000"' in page and 'id="rule-problems"' not in page
    assert 'id="rule-big_bank_line"' in text(admin.get("/studio/rules"))
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    big = store.create("bank", {"name": "工商银行", "credit_line": "8000000", "credit_line_end": "2027-12-31"})
    store.create("bank", {"name": "农商银行", "credit_line": "1000000", "credit_line_end": "2027-12-31"})
    scan(engine, metastore.current(engine).meta, clock=clock)
    assert listing(engine, rule="big_bank_line") == []                                          # not yet

    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    scan(engine, metastore.current(engine).meta, clock=clock)
    [w] = listing(engine, rule="big_bank_line")
    assert (w.record_id, w.level, w.message["zh"]) == (big.id, "red", "工商银行 授信 8,000,000.00 元")
    assert listing(engine, "root", rule="big_bank_line") == [w]


def test_another_packs_rule_is_changed_by_overlay_and_turned_off_and_on(engine, admin, installed):  # noqa: F811
    url = "/studio/rules/overdue"
    page = text(admin.get(url))
    assert 'id="rule-overlay"' in page and 'id="f-entity"' in page and 'id="remove-rule"' not in page
    assert resubmit(admin, url, "rule-form", "/studio/rules").status_code == 302               # unchanged
    assert read(drafts.current(engine).sources, "company", "rules/overdue.yaml") == {"overlay": "overdue"}
    values = form_values(page, "rule-form")
    values.update({"level": ["orange"], "escalate_days": [""], "escalate-0-kind": [""], "escalate-0-value": [""]})
    values.pop("run_save")
    assert admin.post("/studio/rules", data=values).status_code == 302
    assert read(drafts.current(engine).sources, "company", "rules/overdue.yaml") == {
        "overlay": "overdue", "level": "orange", "runs": ["daily"], "escalate": False}

    assert post(admin, "/studio/rules/debt_ratio/enabled", {"enabled": "0"}).status_code == 302
    page = text(admin.get("/studio/rules"))
    assert 'id="toggle-debt_ratio"' in page and 'id="remove-debt_ratio"' not in page
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and meta.kinds["rules"]["debt_ratio"].enabled is False
    assert meta.kinds["rules"]["overdue"].level == "orange" and meta.kinds["rules"]["overdue"].escalate_days is None
    assert metastore.current(engine).meta.kinds["rules"]["debt_ratio"].enabled is True        # staff: not yet
    assert post(admin, "/studio/rules/debt_ratio/enabled", {"enabled": "1"}).status_code == 302
    meta, _problems = drafts.check(drafts.current(engine).sources)
    assert meta.kinds["rules"]["debt_ratio"].enabled is True
    assert post(admin, "/studio/rules/overdue/remove", {}).status_code == 404                  # turned off, not deleted


def test_a_rule_made_in_the_studio_is_edited_in_place_and_deleted(engine, admin):
    post(admin, "/studio/rules", BIG_LINE)
    resp = resubmit(admin, "/studio/rules/big_bank_line", "rule-form", "/studio/rules", level="blue",
                    **{"recipients-1-kind": "", "recipients-1-value": "", "run_save": "1", "key": "name"})
    assert resp.status_code == 302
    doc = read(drafts.current(engine).sources, "company", "rules/big_bank_line.yaml")
    assert (doc["level"], doc["recipients"], doc["runs"], doc["key"]) == ("blue", [{"users": ["root"]}],
                                                                          ["daily", "save"], "name")
    assert post(admin, "/studio/rules/big_bank_line/remove", {}).status_code == 302
    assert read(drafts.current(engine).sources, "company", "rules/big_bank_line.yaml") is None


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):
    bad = {**BIG_LINE, "name": "Big Line", "label_zh": "", "condition": "credit_lin > 1",
           "message_zh": "{{ name } 授信", "recipients-0-kind": "field", "recipients-0-value": "name",
           "recipients-1-kind": "formula", "recipients-1-value": "managr", "run_daily": "",
           "escalate_days": "0", "key": "COUNTX(name)"}
    resp = post(admin, "/studio/rules", bad)
    page = text(resp)
    assert resp.status_code == 422
    for key in ("name", "label_zh", "condition", "message_zh", "recipients-0-value", "recipients-1-value", "runs",
                "escalate_days", "escalate-0-kind", "key"):
        assert f'id="e-{key}"' in page, key
    assert 'value="Big Line"' in page and 'value="credit_lin &gt; 1"' in page and "credit_line" in page   # a suggestion
    assert "{{ name } 授信</textarea>" in page and 'value="managr"' in page
    assert post(admin, "/studio/rules", {**BIG_LINE, "name": "overdue"}).status_code == 422     # exists
    nobody = {**BIG_LINE, "recipients-0-kind": "", "recipients-1-kind": ""}
    assert post(admin, "/studio/rules", nobody).status_code == 422
    assert drafts.current(engine) is None                                                        # nothing saved


def test_a_recipient_row_is_added_without_saving(engine, admin):
    resp = post(admin, "/studio/rules", {**BIG_LINE, "add": "recipients"})
    page = text(resp)
    assert resp.status_code == 200 and 'id="recipients-3"' in page and 'id="recipients-4"' not in page
    assert 'value="risk"' in page and drafts.current(engine) is None


def test_the_condition_is_checked_as_typed_against_the_rules_entity(admin):
    page = text(admin.get("/studio/rules/overdue"))
    assert 'hx-post="/studio/entities/project/formula"' in page and 'id="check-condition"' in page
    assert 'id="f-record"' in page
    resp = post(admin, "/studio/entities/project/formula", {"which": "condition", "condition": "amout > 1"})
    assert "amount" in text(resp) and 'class="error"' in text(resp)
    assert 'hx-post=' not in text(admin.get("/studio/rules/new")).split('id="f-condition"')[1].split(">")[0]


def test_the_key_is_checked_too_and_the_fields_and_functions_are_listed(admin):
    page = text(admin.get("/studio/rules/overdue"))
    assert 'id="check-key"' in page and 'id="formula-help"' in page and "<code>ROUND</code>" in page
