"""The studio's workflow editor over HTTP (ui/studio_workflows.py): only administrators use it; steps,
who acts and transitions with conditions are edited in the draft beside the flow diagram, drawn again
after every change; bad input is refused in place and keeps what was typed; the draft's problems are
listed at their step; staff see nothing until it is published, then start the new workflow on a
record and it follows its condition; a workflow of the standard pack is changed by overlay, and a
running instance shows in the review's impact. (SQLite and PostgreSQL)"""
from __future__ import annotations

import random
import re

import pytest

from core import drafts, metastore, sampledata
from core import studio_workflows as flows
from core.store import Actor, Store
from core.workflow import Workflows

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)

HX = {"HX-Request": "true"}


def post(c, url, data, page="/studio", headers=None):
    return c.post(url, data={"csrf_token": token_of(text(c.get(page))), **data}, headers=headers or {})


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


def draft_doc(engine, name):
    return flows.document(drafts.current(engine).sources, name)


def new_workflow(c, **values):
    return post(c, "/studio/workflows", {"name": "big_loan", "entity": "project", "label_zh": "大额审批",
                                         "label_en": "Large loans", **values})


def add_step(c, name, kind="approval", label="审查", workflow="big_loan"):
    return post(c, f"/studio/workflows/{workflow}/steps", {"name": name, "kind": kind, "new_label_zh": label})


def save_step(c, step, rows=(), workflow="big_loan", **values):
    data = {"kind": "approval", "label_zh": step, "mode": "any", "rows": str(len(rows)), **values}
    for i, (to, when) in enumerate(rows):
        data.update({f"t{i}_to": to, f"t{i}_when": when})
    return post(c, f"/studio/workflows/{workflow}/steps/{step}", data)


def three_steps(c):
    """start → review (risk) → gm (only above 1,000,000) → approved."""
    assert new_workflow(c).status_code == 302
    assert add_step(c, "review", label="风控审查").status_code == 302
    assert add_step(c, "gm", label="总经理审批").status_code == 302
    assert save_step(c, "start", [("review", "")], kind="task", label_zh="申请",
                     assignees_initiator="1").status_code == 302
    assert save_step(c, "review", [("gm", "amount > 1000000"), ("approved", "")], label_zh="风控审查",
                     assignees_roles="risk").status_code == 302
    assert save_step(c, "gm", [("approved", "")], label_zh="总经理审批", assignees_roles="gm").status_code == 302


def test_only_administrators_use_the_editor(pm):
    for url in ("/studio/workflows", "/studio/workflows/guarantee", "/studio/workflows/guarantee/steps/fee"):
        assert pm.get(url).status_code == 403, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/workflows", "/studio/workflows/guarantee", "/studio/workflows/guarantee/steps",
                "/studio/workflows/guarantee/steps/fee", "/studio/workflows/guarantee/steps/fee/move",
                "/studio/workflows/guarantee/steps/fee/remove", "/studio/workflows/guarantee/formula"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url


def test_every_workflow_is_listed_and_a_new_one_starts_as_the_language_requires(engine, admin):
    page = text(admin.get("/studio/workflows"))
    assert re.search(r'id="workflow-guarantee".*?project.*?<td class="num">11</td><td>standard</td>', page, re.S)
    assert admin.post("/studio/workflows", data={"name": "x"}).status_code == 400          # no CSRF token
    resp = new_workflow(admin)
    assert resp.status_code == 302 and resp.location.endswith("/studio/workflows/big_loan")
    doc = draft_doc(engine, "big_loan")
    assert doc["start"] == "start" and [(s["name"], s["kind"]) for s in doc["steps"]] == [
        ("start", "task"), ("approved", "end"), ("rejected", "end")]
    page = text(admin.get("/studio/workflows/big_loan"))
    assert 'id="step-start"' in page and "<svg" in page and 'data-step="approved"' in page
    assert 'id="workflow-problems"' not in page
    assert re.search(r'id="workflow-big_loan".*?project.*?<td class="num">3</td><td>company</td>',
                     text(admin.get("/studio/workflows")), re.S)


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):
    resp = new_workflow(admin, name="Big Loan", entity="nothing", label_zh="")
    page = text(resp)
    assert resp.status_code == 422 and 'value="Big Loan"' in page
    assert 'id="e-name"' in page and 'id="e-entity"' in page and 'id="e-label_zh"' in page
    assert drafts.current(engine) is None
    assert new_workflow(admin, name="guarantee").status_code == 422                       # exists
    new_workflow(admin)
    resp = add_step(admin, "start")                                                        # exists
    assert resp.status_code == 422 and 'id="e-name"' in text(resp)
    before = drafts.current(engine).sources
    resp = save_step(admin, "start", [("approved", "amout > 1000000"), ("", "amount > 1")], kind="task",
                     assignees_users="li, nobody", assignees_roles="Risk Team")
    page = text(resp)
    assert resp.status_code == 422
    assert re.search(r'id="e-t0_when">[^<]*amout', page) and 'value="amout &gt; 1000000"' in page
    assert 'id="e-t1_to"' in page and 'value="amount &gt; 1"' in page                      # a condition without a step
    assert re.search(r'id="e-assignees_users">[^<]*nobody', page) and 'value="li, nobody"' in page
    assert 'id="e-assignees_roles"' in page
    resp = save_step(admin, "start", [("approved", "")], kind="approval", mode="ratio", ratio="two thirds",
                     assignees_roles="risk")
    assert resp.status_code == 422 and 'id="e-ratio"' in text(resp) and 'value="two thirds"' in text(resp)
    assert drafts.current(engine).sources == before                                        # nothing saved
    resp = post(admin, "/studio/workflows/big_loan/steps/start/remove", {})
    assert resp.status_code == 422 and 'id="e-remove"' in text(resp)


def test_a_three_step_workflow_with_a_condition_reaches_staff_when_published(  # noqa: F811
        engine, clock, admin, pm, installed):
    three_steps(admin)
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    review = meta.kinds["workflows"]["big_loan"].step("review")
    assert [(t.to, t.when) for t in review.transitions] == [("gm", "amount > 1000000"), ("approved", None)]
    page = text(admin.get("/studio/workflows/big_loan"))
    assert re.search(r'class="fc-edge fc-cond" data-from="review" data-to="gm"', page)      # the diagram
    assert "big_loan" not in metastore.current(engine).meta.kinds["workflows"]              # staff: not yet
    assert "big_loan" in text(admin.get("/studio/draft"))
    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    published = metastore.current(engine)
    assert published.version == installed.version + 1 and "big_loan" in published.meta.kinds["workflows"]

    clients = {"li": pm, "risk1": client_for(engine, clock, "risk1", ["risk"])}
    client_for(engine, clock, "boss", ["gm"])
    store = Store(engine, published.meta, clock=clock, meta_version=published.version)
    company = store.create("enterprise_customer", sampledata.enterprise(random.Random(3), clock.today())).id
    bank = store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
    wf = Workflows(store)

    def run(amount):
        rid = store.create("project", {"enterprise": company, "bank": bank, "term_months": 12, "amount": amount}).id
        assert 'value="big_loan"' in text(pm.get(f"/flow/panel/project/{rid}", headers=HX))
        assert post(pm, f"/flow/start/project/{rid}", {"_wf_workflow": "big_loan"}, "/", HX).status_code == 200
        inst = wf.instance_for("project", rid)
        for user, action in (("li", "submit"), ("risk1", "approve")):
            task = next(i.task for i in wf.todo(user) if i.instance.id == inst.id)
            assert post(clients[user], f"/flow/task/{task.id}/act", {"_wf_action": action}, "/", HX).status_code == 200
        return wf.instance_for("project", rid)

    big = run("2000000")
    assert (big.state, big.step) == ("running", "gm")                  # above 1,000,000: the extra approval
    assert any(i.instance.id == big.id for i in wf.todo("boss"))
    small = run("500000")
    assert small.state == "approved"                                  # below: straight through


def test_the_diagram_is_drawn_again_and_problems_are_listed_at_their_step(engine, admin):
    new_workflow(admin)
    add_step(admin, "review")                                  # an approval nobody reaches or leaves yet
    page = text(admin.get("/studio/workflows/big_loan"))
    assert 'id="workflow-problems"' in page and 'id="wf-diagram-note"' in page
    assert re.search(r'id="step-problems-review">.*?no way out', page, re.S)
    assert 'data-step="review"' in page                        # drawn as it stands
    resp = admin.post("/studio/workflows/big_loan/steps/review", headers=HX, data={
        "csrf_token": token_of(page), "kind": "approval", "label_zh": "审查", "mode": "any",
        "assignees_roles": "risk", "rows": "1", "t0_to": "approved"}, follow_redirects=True)
    page = text(resp)                                          # what HTMX swaps in: the editor and its diagram
    assert resp.status_code == 200 and 'data-from="review" data-to="approved"' in page
    assert 'class="fc-step fc-approval fc-current" data-step="review"' in page    # the step being edited
    assert re.search(r'id="step-problems">.*?cannot be reached', page, re.S)
    save_step(admin, "start", [("review", "")], kind="task", label_zh="申请", assignees_initiator="1")
    page = text(admin.get("/studio/workflows/big_loan"))
    assert 'id="workflow-problems"' not in page and 'id="wf-diagram-note"' not in page
    assert 'data-from="start" data-to="review"' in page


def test_steps_are_moved_removed_and_laid_out_for_their_kind(engine, admin):
    new_workflow(admin)
    add_step(admin, "review")
    assert [s["name"] for s in draft_doc(engine, "big_loan")["steps"]] == ["start", "review", "approved", "rejected"]
    assert post(admin, "/studio/workflows/big_loan/steps/review/move", {"by": "-1"}).status_code == 302
    assert [s["name"] for s in draft_doc(engine, "big_loan")["steps"]][:2] == ["review", "start"]
    # the kind select lays the form out again, nothing saved; a transition moves up, nothing saved
    before = drafts.current(engine).sources
    page = text(save_step(admin, "review", [("approved", ""), ("rejected", "amount > 1")], kind="vote", refresh="1"))
    assert 'id="f-pass"' in page and 'id="who-members"' in page and 'id="f-mode"' not in page
    assert '<option value="pass">' in page and 'value="approve"' not in page
    page = text(save_step(admin, "review", [("approved", ""), ("rejected", "amount > 1")], up="1"))
    assert re.search(r'id="f-t0_to">.*?value="rejected" selected', page, re.S) and 'value="amount &gt; 1"' in page
    assert drafts.current(engine).sources == before
    assert save_step(admin, "review", [("approved", "")], kind="vote", label_zh="审保会", members_roles="committee",
                     **{"pass": "2/3", "min_attendance": "3"}).status_code == 302
    vote = next(s for s in draft_doc(engine, "big_loan")["steps"] if s["name"] == "review")
    assert vote == {"name": "review", "kind": "vote", "label": {"zh": "审保会"}, "members": [{"role": "committee"}],
                    "pass": "2/3", "min_attendance": 3, "transitions": [{"to": "approved"}]}     # mode dropped
    save_step(admin, "start", [("review", "")], kind="task", label_zh="申请", assignees_initiator="1")
    assert post(admin, "/studio/workflows/big_loan/steps/review/remove", {}).status_code == 302
    doc = draft_doc(engine, "big_loan")
    assert "review" not in [s["name"] for s in doc["steps"]] and doc["steps"][0].get("transitions") == []


def test_a_standard_workflow_is_changed_by_overlay_and_its_running_instances_show(  # noqa: F811
        engine, clock, admin, installed):
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    company = store.create("enterprise_customer", sampledata.enterprise(random.Random(3), clock.today())).id
    bank = store.create("bank", {"name": "中国工商银行", "status": "active"}).id
    rid = store.create("project", {"enterprise": company, "bank": bank, "term_months": 12, "amount": "100"}).id
    Workflows(store).start("project", rid, "guarantee", Actor("root", ["admin"]))
    page = text(admin.get("/studio/workflows/guarantee/steps/risk_review"))
    assert 'value="risk"' in page and 'id="f-t0_to"' in page
    resp = save_step(admin, "risk_review", [("committee", "")], workflow="guarantee", label_zh="复审",
                     label_en="Risk review", mode="all", assignees_roles="risk")
    assert resp.status_code == 302
    own = flows.read(drafts.current(engine).sources, "company", "workflows/guarantee.yaml")
    assert own == {"overlay": "guarantee", "change_steps": {"risk_review": {"mode": "all"}}}
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [] and meta.kinds["workflows"]["guarantee"].step("risk_review").mode == "all"
    assert 'id="impact-workflow-guarantee"' in text(admin.get("/studio/draft"))


def test_conditions_are_checked_as_typed(admin):
    token = token_of(text(admin.get("/studio")))
    resp = admin.post("/studio/workflows/guarantee/formula", headers=HX,
                      data={"csrf_token": token, "which": "t0_when", "t0_when": "amout > 1000000"})
    assert resp.status_code == 200 and "amout" in text(resp) and 'class="error"' in text(resp)
    resp = admin.post("/studio/workflows/guarantee/formula", headers=HX, data={
        "csrf_token": token, "which": "t0_when", "t0_when": "amount > 1000000 and initiator == actor"})
    assert 'class="ok"' in text(resp)


def test_a_condition_is_tried_on_a_record_as_if_the_administrator_acted(engine, clock, admin, installed):  # noqa: F811
    page = text(admin.get("/studio/workflows/guarantee/steps/application"))
    assert 'hx-include="#f-record"' in page and 'id="f-record"' in page
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    company = store.create("enterprise_customer", sampledata.enterprise(random.Random(3), clock.today())).id
    bank = store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
    rid = store.create("project", {"enterprise": company, "bank": bank, "term_months": 12, "amount": 2000000}).id
    token = token_of(text(admin.get("/studio")))
    data = {"csrf_token": token, "which": "t0_when", "record": str(rid)}
    tried = text(admin.post("/studio/workflows/guarantee/formula", headers=HX,
                            data={**data, "t0_when": "amount > 1000000 and initiator == \"root\""}))
    assert "True" in tried or "是" in tried
    tried = text(admin.post("/studio/workflows/guarantee/formula", headers=HX, data={**data, "t0_when": "amount / 4"}))
    assert "500000" in tried


def test_the_label_and_start_step_are_set_and_a_step_that_is_not_one_is_refused(engine, admin):
    new_workflow(admin)
    add_step(admin, "intake", kind="task")
    resp = post(admin, "/studio/workflows/big_loan", {"label_zh": "", "label_en": "Big", "start": "nowhere"})
    page = text(resp)
    assert resp.status_code == 422 and 'id="e-label_zh"' in page and 'id="e-start"' in page
    assert 'value="Big"' in page
    assert post(admin, "/studio/workflows/big_loan", {"label_zh": "大额", "start": "intake"}).status_code == 302
    doc = draft_doc(engine, "big_loan")
    assert doc["label"] == {"zh": "大额"} and doc["start"] == "intake"
