"""The scoring screen in a real browser: 评分 from a customer's page, the answers chosen in the
selects, the explanation with its indicators, 复算 answered in place (HTMX), and the run in the
customer's related list; screenshots docs/screenshots/scoring-run.png and related-list.png."""
from __future__ import annotations

import random
from datetime import date

from core import metastore, sampledata
from core.store import Store

from ..test_scoring_runs import ANSWERS, STATEMENTS
from .conftest import screenshot, settle, sign_in


def test_score_a_customer_and_recompute(live_server, new_page, engine, clock):
    installed = metastore.current(engine)
    store = Store(engine, installed.meta, meta_version=installed.version)
    values = sampledata.enterprise(random.Random(11), date(2026, 3, 15))
    values.pop("legal_rep_id_number", None)
    cid = store.create("enterprise_customer", {**values, "established_on": "2018-03-15",
                                               "financial_statements": STATEMENTS}).id
    page = new_page()
    sign_in(page, live_server, "risk")
    page.goto(f"{live_server}/e/enterprise_customer/{cid}")
    page.click("#score-action")
    for name, value in ANSWERS.items():
        page.select_option(f"#a-{name}", value)
    page.click("#score-submit")
    page.wait_for_url(lambda url: "/score/run/" in url)
    assert page.inner_text("#score-grade").startswith("AA")
    assert page.inner_text("#score-total") == "83.35"
    page.click("#score-reproduce")
    page.wait_for_selector("#score-reproduced")
    settle(page)
    screenshot(page, "scoring-run")
    page.goto(f"{live_server}/e/enterprise_customer/{cid}#tab-dealings")
    page.wait_for_selector("#rel-table-score_runs")
    settle(page)
    page.locator("#sec-score_runs").scroll_into_view_if_needed()
    screenshot(page, "related-list")
