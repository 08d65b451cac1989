"""The engine's runtime guarantees, seen through the screens over HTTP: an overdue task escalated by
the deadline job (injected clock) lands in the new assignee's to-do; an instance keeps running on
its workflow version when a changed pack is installed mid-flow; two approvers posting at the same
moment on a `mode: any` step move the instance once (threads, real database: SQLite and
PostgreSQL), the loser told to reload."""
from __future__ import annotations

import re
import threading

import yaml
from sqlalchemy import func, select

from core.db import wf_actions
from core.workflow import Workflows

from .test_workflow_fixtures import flow_pack
from .test_workflow_screens import started, submitted
from .test_workflow_screens_fixtures import site, task_ids, text  # noqa: F401 (fixture)
from .test_workflow_screens_lists import row


def at_risk_review(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    assert site.flow.state(inst) == ("running", "risk_review") and site.flow.holders(inst) == ["risk1", "risk2"]
    return rec, inst


def test_an_overdue_task_is_escalated_into_the_new_assignees_todo(site, clock):
    rec, inst = at_risk_review(site)                   # risk review: escalated to riskboss after two days
    assert "暂无内容" in text(site.as_("riskboss").get("/flow/todo"))
    clock.advance(days=1)
    assert Workflows(site.flow.store).run_deadlines() == []          # not due yet
    clock.advance(days=2)
    handled = Workflows(site.flow.store).run_deadlines()
    assert [h["instance"] for h in handled] == [inst.id, inst.id]    # risk1's and risk2's tasks
    site.sign_in_again()                                             # three idle days end a session
    boss = site.as_("riskboss")
    html = text(boss.get("/flow/todo"))
    task = site.task_of("riskboss", inst)
    line = row(html, f"flow-row-{task}")
    assert "复审" in line and "升级" in line and 'id="nav-count-todo">1<' in html
    assert "暂无内容" in text(site.as_("risk1").get("/flow/todo"))
    panel = boss.panel(rec.id)
    assert task_ids(panel) == [task]
    assert re.search(r'class="tl-escalate">.*?升级 <span class="muted">→ RISKBOSS</span>', panel, re.S)   # the timeline
    site.act("riskboss", inst, "approve", _wf_opinion="已督办，同意上会")
    assert site.flow.state(inst) == ("running", "committee")


def test_an_instance_keeps_its_version_when_a_new_one_is_installed(site):
    rec, old = submitted(site)                                      # at the first review
    # version 2 of the workflow: no first review, the application goes straight to the risk review
    data = dict(site.flow.store.meta.kinds["workflows"]["guarantee"].source)
    data["steps"] = [s for s in data["steps"] if s["name"] != "first_review"]
    data["steps"][0] = {**data["steps"][0], "transitions": [{"to": "risk_review"}]}
    site.flow.install(flow_pack({"workflows/guarantee.yaml": yaml.safe_dump(data, allow_unicode=True)}))
    html = site.as_("pma").panel(rec.id)
    assert 'id="flow-step">初审<' in html and 'data-step="first_review"' in html     # drawn from its own version
    site.act("pma", old, "approve")
    site.act("pmb", old, "approve")
    assert site.flow.state(old) == ("running", "risk_review")
    rec2, new = started(site)                                       # a new instance runs on version 2
    html = site.act("li", new, "submit")
    assert site.flow.state(new) == ("running", "risk_review") and 'data-step="first_review"' not in html
    assert site.flow.wf.instance(old.id).definition != site.flow.wf.instance(new.id).definition


def test_concurrent_approvals_over_http_move_the_instance_once(site):
    rec, inst = at_risk_review(site)                   # mode any: the first decision decides
    people = ("risk1", "risk2")
    tasks = {who: site.task_of(who, inst) for who in people}
    browsers = {who: site.as_(who) for who in people}               # signed in before the race
    barrier = threading.Barrier(len(people))
    answers: dict = {}

    def approve(who: str) -> None:
        barrier.wait()
        answers[who] = browsers[who].act(tasks[who], "approve", _wf_opinion=f"{who} 同意")
    threads = [threading.Thread(target=approve, args=(who,)) for who in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(answers[who].status_code for who in people)
    assert codes == [200, 422], codes
    (loser,) = [who for who in people if answers[who].status_code == 422]
    html = text(answers[loser])
    assert 'id="flow-message"' in html and "请刷新" in html and task_ids(html) == []
    assert site.flow.state(inst) == ("running", "committee")
    with site.flow.engine.connect() as c:
        moves = c.execute(select(func.count()).select_from(wf_actions).where(
            wf_actions.c.instance_id == inst.id, wf_actions.c.action == "move",
            wf_actions.c.from_step == "risk_review")).scalar_one()
    assert moves == 1
    approvals = [a["actor"] for a in site.flow.wf.timeline(inst.id) if a["action"] == "approve"
                 and a["from_step"] == "risk_review"]
    assert approvals == [who for who in people if who != loser]
