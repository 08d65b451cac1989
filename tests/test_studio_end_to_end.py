"""A new guarantee product defined entirely in the studio over HTTP, then used by staff (issue 7's
"done when"): an administrator adds a code list, a field using it, a form section holding the field,
a three-step workflow with a condition, a scorecard, a warning rule and the product tying them
together — all in one draft that staff do not see — and publishes; a project manager then runs an
application through the product's workflow, the condition routes it, the rule raises its warning and
the scorecard scores the customer. (SQLite and PostgreSQL)"""
from __future__ import annotations

import random

from core import metastore, sampledata
from core.scoring_runs import run
from core.store import Actor, Store
from core.warnings import listing, scan
from core.workflow import Workflows

from .test_records import text
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)
from .test_studio_products import form_of, replaced, send
from .test_studio_workflows import HX, add_step, new_workflow, post, save_step


def define_the_product(c):
    ok = 302
    # a code list and a field using it
    assert post(c, "/studio/codelists", {"name": "green_level", "zh": "绿色等级", "en": "Green level"}).status_code == ok
    for code, zh in (("a", "一级"), ("b", "二级")):
        assert post(c, "/studio/codelists/green_level/items",
                    {"code": code, "zh": zh, "mode": "new", "active": "1"}).status_code == ok
    assert post(c, "/studio/entities/project/fields", {"name": "green_level", "type": "choice", "label_zh": "绿色等级",
                                                       "codelist": "green_level", "after": "amount"}).status_code == ok
    # a form section holding it
    assert post(c, "/studio/forms/project/tabs/application/sections",
                {"name": "green", "label_zh": "绿色信息", "columns": "2"}).status_code == ok
    assert post(c, "/studio/forms/project/sections/green/fields", {"field": "green_level"}).status_code == ok
    # start → review (risk) → gm above 1,000,000 → approved
    assert new_workflow(c, name="green_flow", label_zh="绿色贷款审批").status_code == ok
    assert add_step(c, "review", label="风控审查", workflow="green_flow").status_code == ok
    assert add_step(c, "gm", label="总经理审批", workflow="green_flow").status_code == ok
    assert save_step(c, "start", [("review", "")], workflow="green_flow", kind="task", label_zh="申请",
                     assignees_initiator="1").status_code == ok
    assert save_step(c, "review", [("gm", "amount > 1000000"), ("approved", "")], workflow="green_flow",
                     label_zh="风控审查", assignees_roles="risk").status_code == ok
    assert save_step(c, "gm", [("approved", "")], workflow="green_flow", label_zh="总经理审批",
                     assignees_roles="gm").status_code == ok
    # a scorecard and a warning rule
    assert post(c, "/studio/scorecards", {"name": "green_card", "label_zh": "绿色评分", "label_en": "Green",
                                          "entity": "enterprise_customer"}).status_code == ok
    assert post(c, "/studio/rules", {
        "name": "green_large", "entity": "project", "level": "orange", "label_zh": "大额二级绿色项目",
        "condition": 'green_level == "b" and amount > 3000000', "message_zh": "{{ number }} 金额 {{ amount }}",
        "recipients-0-kind": "role", "recipients-0-value": "risk", "run_daily": "1", "enabled": "1"}).status_code == ok
    # the product tying them together
    assert post(c, "/studio/products", {"name": "green_loan", "label_zh": "绿色贷款担保", "label_en": "Green loan",
                                        "business_type": "loan", "workflow": "green_flow"}).status_code == ok
    url = "/studio/products/green_loan"
    pairs = replaced(form_of(text(c.get(url)), "product-form"), roles=["pm"], scorecard="green_card")
    assert send(c, url, pairs, url).status_code == ok


def test_a_product_defined_in_the_studio_is_used_by_staff_once_published(engine, clock, admin, installed):  # noqa: F811
    pm = client_for(engine, clock, "li", ["pm"])
    risk = client_for(engine, clock, "risk1", ["risk"])
    client_for(engine, clock, "boss", ["gm"])
    define_the_product(admin)

    review = text(admin.get("/studio/draft"))
    assert 'id="draft-problems"' not in review and 'id="draft-publish"' in review
    assert "+green_level" in review
    assert 'value="green_loan"' not in text(pm.get("/e/project/new"))          # staff: nothing yet
    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    published = metastore.current(engine)
    assert published.version == installed.version + 1
    new_form = text(pm.get("/e/project/new"))
    assert 'value="green_loan"' in new_form and 'id="sec-green"' in new_form and 'name="green_level"' in new_form

    store = Store(engine, published.meta, clock=clock, meta_version=published.version)
    customer = sampledata.enterprise(random.Random(5), clock.today())
    customer.pop("legal_rep_id_number", None)
    company = store.create("enterprise_customer", customer).id
    bank = store.create("bank", {"name": "中国工商银行", "credit_line": "1", "credit_line_end": "2027-12-31"}).id
    li = Actor("li", {"pm"})
    rid = store.create("project", {"customer_type": "enterprise", "enterprise": company, "bank": bank,
                                   "business_type": "loan", "product": "green_loan", "amount": 4000000,
                                   "term_months": 12, "green_level": "b"}, actor=li).id
    # the application runs through the product's workflow; above 1,000,000 it goes on to the manager
    panel = text(pm.get(f"/flow/panel/project/{rid}", headers=HX))
    assert 'value="green_flow"' in panel
    assert post(pm, f"/flow/start/project/{rid}", {"_wf_workflow": "green_flow"}, "/", HX).status_code == 200
    wf = Workflows(store)
    inst = wf.instance_for("project", rid)
    for client, user, action in ((pm, "li", "submit"), (risk, "risk1", "approve")):
        task = next(i.task for i in wf.todo(user) if i.instance.id == inst.id)
        assert post(client, f"/flow/task/{task.id}/act", {"_wf_action": action}, "/", HX).status_code == 200
    inst = wf.instance_for("project", rid)
    assert (inst.workflow, inst.state, inst.step) == ("green_flow", "running", "gm")
    # the rule raises its warning for this project
    scan(engine, published.meta, clock=clock)
    (warning,) = listing(engine, rule="green_large")
    assert warning.record_id == rid and warning.level == "orange"
    # the scorecard scores the customer
    scored = run(store, "green_card", "enterprise_customer", company, {"overall": "good"}, li)
    assert store.get("score_run", scored.id).values["grade"]
