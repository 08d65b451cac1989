"""The studio's scorecard editor over HTTP (ui/studio_scorecards.py): administrators only, CSRF;
a scorecard created and edited in the draft is invisible to staff until published, then scores a
customer as the scoring engine does; another pack's scorecard is changed by overlay (the forms
round-trip what is installed); bad input is refused in place with what was typed kept, and what
only the whole scorecard shows (weights) is listed as the draft's problem. (SQLite and PostgreSQL)"""
from __future__ import annotations

import random
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest

from core import drafts, metastore, sampledata
from core.scoring_runs import run
from core.store import Actor, Store

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)


class _Form(HTMLParser):
    """The values a browser would submit from the form `form_id` (submit buttons left out)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.values, self.select, self.textarea = form_id, False, {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if tag == "option" and self.inside and self.select and ("selected" in a or not self.values[self.select]):
            self.values[self.select] = [a.get("value") or ""]
        if not self.inside or not a.get("name"):
            return
        if tag == "input" and a.get("type") not in ("submit", "checkbox") or \
                tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.values.setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self.select = a["name"]
            self.values.setdefault(self.select, [])
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values[a["name"]] = [""]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] = [self.values[self.textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_values(html: str, form_id: str) -> dict:
    parser = _Form(form_id)
    parser.feed(html)
    assert parser.values, form_id
    return parser.values


def post(c, url, data, page="/studio"):
    return c.post(url, data={"csrf_token": token_of(text(c.get(page))), **data})


def resubmit(c, page_url, form_id, action, **changes):
    """GET a form, change some inputs, POST it as a browser would."""
    values = form_values(text(c.get(page_url)), form_id)
    values.update({k: [v] if isinstance(v, str) else v for k, v in changes.items()})
    return c.post(action, data=values)


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


def new_card(c, **values):
    return post(c, "/studio/scorecards", {"name": "size_card", "label_zh": "规模评分", "label_en": "Size",
                                          "entity": "enterprise_customer", **values})


STAFF = {"name": "staff", "group": "main", "label_zh": "员工人数", "formula": "employees",
         "unit": "人", "scoring": "bands",
         "bands-0-low_kind": "min", "bands-0-low": "", "bands-0-high_kind": "below", "bands-0-high": "50",
         "bands-0-points": "40",
         "bands-1-low_kind": "min", "bands-1-low": "50", "bands-1-high_kind": "below", "bands-1-high": "",
         "bands-1-points": "100"}


def test_only_administrators_use_the_scorecard_editor(pm):
    for url in ("/studio/scorecards", "/studio/scorecards/enterprise_standard",
                "/studio/scorecards/enterprise_standard/indicators/new",
                "/studio/scorecards/enterprise_standard/indicators/roe"):
        assert pm.get(url).status_code == 403, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/scorecards", "/studio/scorecards/enterprise_standard",
                "/studio/scorecards/enterprise_standard/indicators",
                "/studio/scorecards/enterprise_standard/indicators/roe/remove"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url


def test_a_new_scorecard_scores_customers_only_once_published(engine, clock, admin, installed):  # noqa: F811
    assert admin.post("/studio/scorecards", data={"name": "size_card"}).status_code == 400      # no CSRF token
    resp = new_card(admin)
    assert resp.status_code == 302 and resp.location.endswith("/studio/scorecards/size_card")
    assert post(admin, "/studio/scorecards/size_card/indicators", STAFF).status_code == 302     # weighs 0
    page = text(admin.get("/studio/scorecards/size_card"))
    assert 'id="indicator-staff"' in page and 'id="remove-staff"' in page and 'id="remove-overall"' not in page
    url = "/studio/scorecards/size_card/weights"
    resp = post(admin, url, {"weight-overall": "60", "weight-staff": "50"})
    assert resp.status_code == 422 and 'id="e-weights"' in text(resp) and "110" in text(resp)
    assert 'value="50"' in text(resp)                                                   # kept
    assert post(admin, url, {"weight-overall": "60", "weight-staff": "40"}).status_code == 302
    page = text(admin.get("/studio/scorecards/size_card"))
    assert 'id="scorecard-problems"' not in page and 'id="remove-staff"' not in page
    assert 'id="e-remove"' in text(post(admin, "/studio/scorecards/size_card/indicators/staff/remove", {}))
    assert "size_card" not in metastore.current(engine).meta.kinds["scorecards"]                # staff: not yet

    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    now = metastore.current(engine)
    store = Store(engine, now.meta, clock=clock, meta_version=now.version)
    values = sampledata.enterprise(random.Random(11), clock.today())
    values.pop("legal_rep_id_number", None)
    big = store.create("enterprise_customer", {**values, "employees": 120})
    rec = run(store, "size_card", "enterprise_customer", big.id, {"overall": "average"}, Actor("li", {"pm"}))
    v = store.get("score_run", rec.id).values
    assert (v["total"], v["grade"]) == (D("76"), "A")             # 60 × 60% + 100 × 40%
    assert {r["indicator"]: r["points"] for r in v["indicators"]} == {"overall": D("60"), "staff": D("100")}


def test_another_packs_scorecard_is_changed_by_overlay_and_the_forms_round_trip(engine, admin, installed):  # noqa: F811
    url = "/studio/scorecards/enterprise_standard"
    resp = resubmit(admin, url + "/indicators/debt_ratio", "indicator-form", url + "/indicators")
    assert resp.status_code == 302
    resp = resubmit(admin, url, "scorecard-form", url)
    assert resp.status_code == 302
    sources = drafts.current(engine).sources
    from core.studio_pack import read
    assert read(sources, "company", "scorecards/enterprise_standard.yaml") == {"overlay": "enterprise_standard"}
    resp = resubmit(admin, url, "weights", url + "/weights",
                    **{"weight-debt_ratio": "25", "weight-revenue_growth": "0"})
    assert resp.status_code == 302
    assert 'id="scorecard-overlay"' in text(admin.get(url))
    assert post(admin, url + "/indicators/revenue_growth/remove", {}).status_code == 302
    resp = resubmit(admin, url, "scorecard-form", url, **{"grades-0-min": "95"})
    assert resp.status_code == 302
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    card = meta.kinds["scorecards"]["enterprise_standard"]
    assert (card.indicator("debt_ratio").weight, card.grades[0].min) == (25, 95)
    assert read(drafts.current(engine).sources, "company", "scorecards/enterprise_standard.yaml") == {
        "overlay": "enterprise_standard", "change_indicators": {"debt_ratio": {"weight": 25}},
        "remove_indicators": ["revenue_growth"], "grades": card.source["grades"]}
    assert metastore.current(engine).meta.kinds["scorecards"]["enterprise_standard"].grades[0].min == 90


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):
    resp = new_card(admin, name="Size Card", label_zh="", entity="nothing")
    page = text(resp)
    assert resp.status_code == 422 and 'value="Size Card"' in page
    assert all(f'id="e-{k}"' in page for k in ("name", "label_zh", "entity"))
    assert new_card(admin, name="enterprise_standard").status_code == 422                       # exists
    assert drafts.current(engine) is None
    url = "/studio/scorecards/enterprise_standard/indicators"
    bad = {**STAFF, "group": "financial", "formula": "employes * 2",
           "bands-1-low": "60", "bands-2-low_kind": "min", "bands-2-low": "", "bands-2-high_kind": "below",
           "bands-2-high": "", "bands-2-points": "abc"}
    page = text(resp := post(admin, url, bad))
    assert resp.status_code == 422
    assert 'id="e-formula"' in page and "employees" in page and 'value="employes * 2"' in page     # a suggestion
    assert 'id="e-bands-2-points"' in page and 'value="abc"' in page
    page = text(resp := post(admin, url, {**STAFF, "group": "financial", "bands-1-low": "60"}))
    assert resp.status_code == 422 and 'id="e-bands-1-low"' in page and "no band" in page       # a gap
    page = text(resp := post(admin, url, {**STAFF, "group": "financial", "scoring": "options"}))
    assert resp.status_code == 422 and 'id="e-options-0-value"' in page
    card = "/studio/scorecards/enterprise_standard"
    values = form_values(text(admin.get(card)), "scorecard-form")
    values.update({"caps-0-grade": ["Z"], "caps-0-when": ["debt_ratoi > 90"], "grades-0-min": ["x"],
                   "grades-1-grade": ["AAA"], "caps-1-name": ["high_debt"], "table": [""]})
    page = text(resp := admin.post(card, data=values))
    assert resp.status_code == 422
    assert "debt_ratoi &gt; 90" in page or "debt_ratoi > 90" in page                            # kept
    assert all(f'id="e-{k}"' in page for k in ("caps-0-grade", "caps-0-when", "grades-0-min", "grades-1-grade",
                                                "caps-1-name", "table"))
    values = form_values(text(admin.get(card)), "scorecard-form")
    page = text(resp := admin.post(card, data={**values, "grades-1-min": "95"}))
    assert resp.status_code == 422 and 'id="e-grades-1-min"' in page and 'id="e-grades-6-min"' not in page
    page = text(resp := admin.post(card, data={**values, "grades-6-min": "5"}))                 # no 0 at the end
    assert resp.status_code == 422 and 'id="e-grades-6-min"' in page
    assert drafts.current(engine) is None                                                       # nothing saved
    new_card(admin)
    post(admin, "/studio/scorecards/size_card/indicators", STAFF)
    card = "/studio/scorecards/size_card"
    page = text(resp := resubmit(admin, card, "scorecard-form", card, entity="individual_customer"))
    assert resp.status_code == 422 and 'id="e-entity"' in page and "staff" in page    # its formula would not fit


def test_rows_are_added_and_removed(engine, admin):
    card = "/studio/scorecards/enterprise_standard"
    values = form_values(text(admin.get(card)), "scorecard-form")
    resp = admin.post(card, data={**values, "add": "vetoes"})
    page = text(resp)
    assert resp.status_code == 200 and 'id="vetoes-2"' in page and 'id="vetoes-3"' not in page   # one more row
    assert drafts.current(engine) is None
    values.update({"caps-0-name": [""], "caps-0-label_zh": [""], "caps-0-label_en": [""], "caps-0-when": [""],
                   "caps-0-grade": [""]})                                          # a cleared row: removed
    assert admin.post(card, data=values).status_code == 302
    meta, _problems = drafts.check(drafts.current(engine).sources)
    assert [c.name for c in meta.kinds["scorecards"]["enterprise_standard"].caps] == ["net_loss", "weak_liquidity"]
    page = text(admin.post(card + "/indicators", data={**form_values(text(admin.get(card + "/indicators/roe")),
                                                                     "indicator-form"), "add": "bands"}))
    n = len(meta.kinds["scorecards"]["enterprise_standard"].indicator("roe").bands)     # and a blank one
    assert f'id="bands-{n + 1}"' in page and f'id="bands-{n + 2}"' not in page


def test_an_indicator_formula_is_checked_as_typed_and_tried_on_a_customer(engine, clock, admin, installed):  # noqa: F811
    page = text(admin.get("/studio/scorecards/enterprise_standard/indicators/debt_ratio"))
    assert 'hx-post="/studio/scorecards/enterprise_standard/formula"' in page and 'id="f-record"' in page
    url = "/studio/scorecards/enterprise_standard/formula"
    bad = text(post(admin, url, {"formula": "latest.total_liabilitys / 2"}))
    assert "total_liabilitys" in bad and 'class="error"' in bad
    assert "✓" in text(post(admin, url, {"formula": "ROUND(latest.total_liabilities / latest.total_assets * 100, 2)"}))
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    values = sampledata.enterprise(random.Random(11), clock.today())
    values.pop("legal_rep_id_number", None)
    values["financial_statements"] = [
        {"period": "2024-12-31", "period_type": "year", "total_assets": "1000", "total_liabilities": "600"},
        {"period": "2025-12-31", "period_type": "year", "total_assets": "1000", "total_liabilities": "450"},
        {"period": "2026-06-30", "period_type": "half_year", "total_assets": "1000", "total_liabilities": "700"}]
    customer = store.create("enterprise_customer", values)
    tried = text(post(admin, url, {"formula": "ROUND(latest.total_liabilities / latest.total_assets * 100, 2)",
                                   "record": str(customer.id)}))
    assert "45" in tried and "60" not in tried and "70" not in tried          # the latest annual statement
    assert "99999" in text(post(admin, url, {"formula": "employees", "record": "99999"}))


def test_caps_vetoes_and_the_statements_filter_are_checked_as_typed_with_their_own_names(admin):
    page = text(admin.get("/studio/scorecards/enterprise_standard"))
    assert 'id="check-where"' in page and 'id="check-caps-0-when"' in page
    url = "/studio/scorecards/enterprise_standard/formula"
    ok = text(post(admin, url, {"which": "caps-0-when", "scope": "rules", "caps-0-when": "total < 60 and points.debt_ratio < 50"}))
    assert "✓" in ok
    bad = text(post(admin, url, {"which": "caps-0-when", "scope": "rules", "caps-0-when": "employees > 3"}))
    assert "employees" in bad and 'class="error"' in bad                       # a cap sees the indicators only
    assert "✓" in text(post(admin, url, {"which": "where", "scope": "rows", "where": 'period_type == "year"'}))
    assert 'class="error"' in text(post(admin, url, {"which": "where", "scope": "rows", "where": "latest.revenue > 0"}))
