"""The scoring screens (ui/scoring_view.py) over HTTP with the standard pack: 评分 on a customer and on
a project (its applicant, its product's scorecard), the reviewer's answers from the scorecard's
options, the stored run explained (the hand-worked example of tests/test_scoring.py: total 83.35,
grade AA), 复算 showing the stored result reproduced — or not, when the stored result was tampered
with — permissions and bad answers."""
from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from core import sampledata
from core.query import Query, count
from core.scoring_runs import run
from core.store import SYSTEM, Actor

from .test_scoring_runs import ANSWERS, STATEMENTS
from .test_workflow_screens_fixtures import text
from .test_workflow_screens_standard import Office


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    o = Office(engine, clock, tmp_path, standard)
    values = sampledata.enterprise(random.Random(11), clock.today())
    values.pop("legal_rep_id_number", None)
    o.customer = o.store.create("enterprise_customer", {**values, "established_on": "2018-03-15",
                                                        "financial_statements": STATEMENTS}).id
    return o


def _answers(**kw) -> dict:
    return {"_card": "enterprise_standard", "_action": "score", **{f"a.{k}": v for k, v in {**ANSWERS, **kw}.items()}}


def test_score_a_customer_from_its_page_and_read_the_explanation(office):
    pm = office.site.as_("pm_a")
    page = text(pm.get(f"/e/enterprise_customer/{office.customer}"))
    assert f'id="score-action" href="/score/enterprise_customer/{office.customer}"' in page
    form = text(pm.get(f"/score/enterprise_customer/{office.customer}"))
    # the reviewer answers the non-financial indicators, with the scorecard's options; formulas are not asked
    assert 'name="a.management"' in form and 'name="a.debt_ratio"' not in form
    assert re.search(r'<option value="good"[^>]*>[^<]+（\d+）</option>', form)
    resp = pm.post(f"/score/enterprise_customer/{office.customer}", _answers(), htmx=False)
    assert resp.status_code == 302
    run_id = int(re.search(r"/score/run/(\d+)$", resp.headers["Location"]).group(1))
    html = text(pm.get(f"/score/run/{run_id}"))
    assert re.search(r'id="score-total">83\.35', html) and 'id="score-grade">AA<' in html
    assert 'id="ind-debt_ratio"' in html and 'id="ind-management"' in html and 'id="ind-collateral"' in html
    row = re.search(r'<tr id="ind-debt_ratio".*?</tr>', html, re.S).group(0)
    # 5,500,000 / 10,000,000 = 55%: band [50, 60) gives 75 points, × weight 15 / 100 = 11.25
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[:6] == ["资产负债率", "55.00", "[50, 60)", "75.00", "15.00", "11.25"]
    # a reviewer's answer reads as it was offered (its label in the stored definition), not its code
    row = re.search(r'<tr id="ind-management".*?</tr>', html, re.S).group(0)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[:3] == ["管理层素质", "良好", "良好"]
    assert "企业客户信用评分卡" in html and "enterprise_standard" in html
    digest = office.store.meta.kinds["scorecards"]["enterprise_standard"].digest
    assert digest[:12] in html
    assert 'id="score-caps">无<' in html or 'id="score-caps">None<' in html
    # 复算: scored again from the stored definition and inputs
    check = text(pm.get(f"/score/run/{run_id}/reproduce", htmx=True))
    assert 'id="score-reproduced"' in check and "AA" in check
    # the run is listed on the customer (its related section) and on the scoring page
    rel = text(pm.get(f"/e/enterprise_customer/{office.customer}/related/score_runs", htmx=True))
    assert f'id="rel-score_runs-{run_id}"' in rel and "83.35" in rel
    assert f'id="score-run-{run_id}"' in text(pm.get(f"/score/enterprise_customer/{office.customer}"))
    # the run's own record page links to the explanation
    assert f'id="score-explain" href="/score/run/{run_id}"' in text(pm.get(f"/e/score_run/{run_id}"))


def test_a_tampered_run_is_shown_as_not_reproduced(office):
    rec = run(office.store, "enterprise_standard", "enterprise_customer", office.customer, ANSWERS,
              Actor("pm_a", {"pm"}))
    office.store.update("score_run", rec.id, {"total": "90"}, version=rec.version, actor=SYSTEM)
    html = text(office.site.as_("risk").get(f"/score/run/{rec.id}/reproduce", htmx=True))
    assert 'id="score-differs"' in html and "total: stored" in html


def test_a_project_scores_its_applicant_with_its_products_scorecard(office):
    pid = office.store.create("project", {
        "customer_type": "enterprise", "enterprise": office.customer, "business_type": "loan", "bank": office.bank,
        "product": "working_capital_loan", "amount": "3000000", "term_months": 12, "purpose": "流动资金周转",
        "repayment_method": "monthly_interest", "pm_a": int(office.uid("pm_a")), "pm_b": int(office.uid("pm_b"))}).id
    risk = office.site.as_("risk")
    assert f'id="score-action" href="/score/project/{pid}"' in text(risk.get(f"/e/project/{pid}"))
    form = text(risk.get(f"/score/project/{pid}"))
    assert 'name="_card" value="enterprise_standard"' in form      # the product's card, no choice
    resp = risk.post(f"/score/project/{pid}", _answers(), htmx=False)
    assert resp.status_code == 302
    v = office.store.get("score_run", int(resp.headers["Location"].rsplit("/", 1)[1])).values
    assert v["enterprise"] == office.customer and v["total"] == Decimal("83.35") and v["scored_by"] == "risk"


def test_bad_answers_come_back_at_the_indicator_and_nothing_is_stored(office):
    pm = office.site.as_("pm_a")
    resp = pm.post(f"/score/enterprise_customer/{office.customer}", _answers(management="superb"), htmx=False)
    assert resp.status_code == 422
    html = text(resp)
    assert 'id="err-a-management"' in html and "superb" in html and 'id="score-errors"' in html
    assert re.search(r'<option value="stable" selected', html)         # the other answers are kept
    assert count(office.engine, office.store.meta, Query("score_run")) == 0
    assert pm.post(f"/score/enterprise_customer/{office.customer}", {**_answers(), "_card": "nosuch"},
                   htmx=False).status_code == 400


def test_who_may_score(office):
    # finance reads customers but may not create runs: no button, and the engine refuses a forged post
    finance = office.site.as_("finance")
    assert 'id="score-action"' not in text(finance.get(f"/e/enterprise_customer/{office.customer}"))
    assert finance.post(f"/score/enterprise_customer/{office.customer}", _answers(), htmx=False).status_code == 403
    # a record that links to no customer has nothing to score
    assert office.site.as_("pm_a").get(f"/score/bank/{office.bank}").status_code == 404
