"""The workflow panel on a record, over HTTP (Flask's test client, real database, the `flow` test
pack): start, approve all the way with opinions and editable fields, reject, return and resubmit,
withdraw, transfer, delegate and hand back, add a signer, CC, proxy acting, refusals in place, and
a crafted POST by someone who is not an assignee."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from .test_workflow_screens_fixtures import field_value, site, task_ids, text  # noqa: F401 (fixture)


def started(site, **values):
    """A project started by li through the screens (li then holds its draft step)."""
    rec = site.flow.project(**values)
    li = site.as_("li")
    html = li.panel(rec.id)
    assert 'id="flow-start"' in html and "提交审批" in html
    resp = li.post(f"/flow/start/project/{rec.id}", {"_wf_workflow": "guarantee", "_wf_opinion": "请审批"})
    assert resp.status_code == 200 and "已提交审批" in text(resp)
    return rec, site.flow.wf.instance_for("project", rec.id)


def submitted(site):
    """A project at its first review (pma and pmb hold it)."""
    rec, inst = started(site)
    site.act("li", inst, "submit")
    return rec, inst


def to_committee(site, inst):
    site.act("li", inst, "submit")
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    site.act("risk1", inst, "approve")
    assert site.flow.state(inst) == ("running", "committee")


def test_the_record_page_loads_the_panel_lazily(site):
    rec = site.flow.project()
    html = text(site.as_("li").get(f"/e/project/{rec.id}"))
    assert f'hx-get="/flow/panel/project/{rec.id}"' in html and 'hx-trigger="load"' in html
    panel = site.as_("li").panel(rec.id)
    assert 'id="flow-panel"' in panel and "担保业务审批" in panel          # the workflow to choose
    assert 'id="flow-none"' in panel                                   # nothing started yet


def test_approve_all_the_way(site, clock):
    rec, inst = started(site)
    li = site.as_("li")
    html = li.panel(rec.id)
    assert "申请" in html and 'id="flow-submit-' in html and 'id="f-amount"' in html   # the draft's fields
    # li changes the amount while submitting: saved with the action
    html = site.act("li", inst, "submit", _wf_opinion="资料齐全，请审批", amount="2,000,000")
    assert "初审" in html and "资料齐全，请审批" in html
    assert site.flow.record(inst)["amount"] == Decimal("2000000")
    html = site.as_("pma").panel(rec.id)
    assert 'id="flow-approve-' in html and "同意" in html and "不同意" in html and "退回" in html
    site.act("pma", inst, "approve", _wf_opinion="同意，风险可控")
    site.act("pmb", inst, "approve")
    site.act("risk2", inst, "approve", _wf_opinion="反担保充足")
    for member in ("c1", "c2", "c3", "chair"):
        resp = site.as_(member).act(site.task_of(member, inst), "approve", _wf_view="committee",
                                    _wf_opinion=f"{member} 赞成")
        assert resp.status_code == 200 and 'id="committee"' in text(resp)
    assert site.flow.state(inst) == ("running", "fee")
    fin = site.as_("fin")
    task = site.task_of("fin", inst)
    # the receipt is required before leaving the fee step: a message at the field, the opinion kept
    resp = fin.act(task, "submit", _wf_opinion="已收费", receipt="")
    assert resp.status_code == 422
    html = text(resp)
    assert 'id="flow-message"' in html and "收费凭证: 离开「收费」前必须填写" in html
    assert 'id="err-receipt"><div>' in html and ">已收费</textarea>" in html
    assert site.flow.state(inst) == ("running", "fee")
    html = text(fin.act(task, "submit", _wf_opinion="已收费", receipt="R-2026-001"))
    assert 'id="flow-state">已通过' in html
    values = site.flow.record(inst)
    assert values["receipt"] == "R-2026-001" and values["fee_paid"] is True and values["approved_on"] == date(2026, 3, 15)
    # the timeline: every action with its actor, steps and opinion
    html = li.panel(rec.id)
    for words in ("资料齐全，请审批", "同意，风险可控", "反担保充足", "c1 赞成", "已收费", "决议", "通过"):
        assert words in html, words
    assert 'id="flow-start"' in html            # ended: li may submit the record again


def test_reject_ends_the_instance(site):
    rec, inst = submitted(site)
    html = site.act("pma", inst, "reject", _wf_opinion="资料不全")
    assert 'id="flow-state">已否决' in html and "资料不全" in html
    assert site.flow.state(inst) == ("rejected", "rejected")
    assert task_ids(site.as_("pmb").panel(rec.id)) == []                 # pmb's task is closed


def test_return_to_an_earlier_step_and_resubmit(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    html = site.as_("risk1").panel(rec.id)
    assert '<option value="first_review">初审</option>' in html and 'value="initiator"' in html
    site.act("risk1", inst, "return", _wf_to="first_review", _wf_opinion="补充尽调")
    assert site.flow.state(inst) == ("running", "first_review") and site.flow.holders(inst) == ["pma", "pmb"]
    html = site.act("pma", inst, "return", _wf_to="initiator", _wf_opinion="请补充材料")
    assert site.flow.state(inst) == ("running", "draft") and site.flow.holders(inst) == ["li"]
    assert "请补充材料" in html and "退回" in html
    site.act("li", inst, "submit", _wf_opinion="已补充")
    assert site.flow.state(inst) == ("running", "first_review")


def test_withdraw(site):
    rec, inst = submitted(site)
    li = site.as_("li")
    html = li.panel(rec.id)
    assert 'id="flow-withdraw"' in html
    assert 'id="flow-withdraw"' not in site.as_("pma").panel(rec.id)        # only the initiator
    resp = li.post(f"/flow/instance/{inst.id}/withdraw", {"_wf_opinion": "暂缓申请"})
    assert resp.status_code == 200 and 'id="flow-state">已撤回' in text(resp)
    assert site.flow.state(inst) == ("withdrawn", "withdrawn")
    assert 'id="flow-withdraw"' not in li.panel(rec.id)             # ended
    # once someone has acted on the current step it is too late: a message, nothing changes
    rec2, inst2 = started(site)
    site.act("li", inst2, "submit")
    assert 'id="flow-withdraw"' in li.panel(rec2.id)
    site.act("pma", inst2, "approve")
    assert 'id="flow-withdraw"' not in li.panel(rec2.id)           # the button only where the engine allows it
    assert not site.flow.wf.can_withdraw(inst2.id, "li")
    resp = li.post(f"/flow/instance/{inst2.id}/withdraw", {"_wf_opinion": "撤回"})
    assert resp.status_code == 422 and "已有人处理" in text(resp)
    assert site.flow.state(inst2) == ("running", "first_review")
    # not the initiator: 403
    assert site.as_("pmb").post(f"/flow/instance/{inst2.id}/withdraw").status_code == 403


def test_transfer(site):
    rec, inst = submitted(site)
    html = site.as_("pma").panel(rec.id)
    assert '<option value="dh">DH（dh）</option>' in html and 'id="flow-transfer-' in html
    site.act("pma", inst, "transfer", _wf_user="dh", _wf_opinion="出差，转部门负责人")
    assert site.flow.holders(inst) == ["dh", "pmb"]
    html = site.act("dh", inst, "approve")
    assert "转办" in html and "出差，转部门负责人" in html
    site.act("pmb", inst, "approve")
    assert site.flow.state(inst) == ("running", "risk_review")


def test_delegate_and_hand_back(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "delegate", _wf_user="dh")
    html = site.as_("dh").panel(rec.id)
    mine = site.task_of("dh", inst)
    assert f'id="flow-hand_back-{mine}"' in html and f'id="flow-approve-{mine}"' not in html   # a delegate cannot approve
    assert task_ids(site.as_("pma").panel(rec.id)) == []                          # pma waits
    site.act("dh", inst, "hand_back", _wf_opinion="已核实，建议同意")
    html = site.as_("pma").panel(rec.id)
    assert "交还" in html and "已核实，建议同意" in html and 'id="flow-approve-' in html
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    assert site.flow.state(inst) == ("running", "risk_review")


def test_add_signer_before(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "add_signer:before", _wf_user="dh", _wf_opinion="请部门负责人先看")
    assert task_ids(site.as_("pma").panel(rec.id)) == []
    html = site.act("dh", inst, "approve")
    assert "前加签" in html and "请部门负责人先看" in html
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    assert site.flow.state(inst) == ("running", "risk_review")


def test_add_signer_after_must_approve_too(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "add_signer:after", _wf_user="dh")
    site.act("pma", inst, "approve")
    site.act("pmb", inst, "approve")
    assert site.flow.state(inst) == ("running", "first_review") and site.flow.holders(inst) == ["dh"]
    site.act("dh", inst, "approve")
    assert site.flow.state(inst) == ("running", "risk_review")


def test_a_crafted_post_by_a_non_assignee_is_refused(site):
    rec, inst = submitted(site)
    task = site.task_of("pma", inst)
    before = site.flow.wf.timeline(inst.id)
    for who in ("outsider", "li", "risk1"):
        resp = site.as_(who).act(task, "approve", _wf_opinion="我来批")
        assert resp.status_code == 403 and 'class="alert error"' in text(resp)
        assert resp.headers["HX-Retarget"] == "#alerts"
    resp = site.as_("outsider").act(task, "approve", _wf_proxy_password="wrong-pw")
    assert resp.status_code == 403
    assert site.flow.holders(inst) == ["pma", "pmb"] and site.flow.wf.timeline(inst.id) == before
    assert task_ids(site.as_("outsider").panel(rec.id)) == []      # no buttons for a non-assignee
    # without the CSRF token nothing happens either
    resp = site.as_("pma").client.post(f"/flow/task/{task}/act", data={"_wf_action": "approve"})
    assert resp.status_code == 400 and site.flow.holders(inst) == ["pma", "pmb"]


def test_proxy_acts_with_the_absent_approvers_password(site):
    rec, inst = submitted(site)
    html = site.as_("dh").panel(rec.id)
    assert 'id="flow-proxy"' in html and "PMA 的密码" in html
    task = site.task_of("pma", inst)
    resp = site.as_("dh").act(task, "approve", _wf_opinion="代批", _wf_proxy_password="secret-pw")
    assert resp.status_code == 200
    row = [a for a in site.flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert row["actor"] == "dh" and row["on_behalf_of"] == "pma"
    assert "代 PMA" in text(resp)


def test_editable_values_are_checked_and_kept(site):
    rec, inst = started(site)
    task = site.task_of("li", inst)
    resp = site.as_("li").act(task, "submit", _wf_opinion="请审批", amount="很多")
    assert resp.status_code == 422
    html = text(resp)
    assert field_value(html, "f-amount") == "很多" and 'id="err-amount"><div>' in html
    assert site.flow.state(inst) == ("running", "draft")
    # fields the step does not make editable are ignored, even when posted
    site.act("li", inst, "submit", receipt="偷偷填写", amount="3000000")
    assert site.flow.record(inst)["receipt"] is None and site.flow.record(inst)["amount"] == Decimal("3000000")


def test_cc_and_the_read_mark(site):
    rec, inst = submitted(site)
    site.act("pma", inst, "cc", _wf_users=["risk1", "gm"], _wf_opinion="请知悉")
    risk1 = site.as_("risk1")
    html = text(risk1.get("/flow/cc"))
    # the CC's own mark (the header's message count says 未读 too: the CC arrived as a message)
    assert "DB2026-0001" in html and '<span class="badge info">未读</span>' in html and 'id="nav-count-cc">1<' in html
    task = [i.task for i in site.flow.wf.cc_to("risk1")][0]
    resp = risk1.get(f"/flow/cc/{task.id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/e/project/{rec.id}")
    html = text(risk1.get("/flow/cc"))
    assert '<span class="badge info">未读</span>' not in html and "已阅" in html and 'id="nav-count-cc"' not in html
    assert site.as_("gm").get(f"/flow/cc/{task.id}/open").status_code == 404     # someone else's CC


def test_errors_are_messages_not_pages(site):
    rec, inst = started(site)
    task = site.task_of("li", inst)
    resp = site.as_("li").act(task, "approve")                     # not an action of a task step
    assert resp.status_code == 422 and 'id="flow-message"' in text(resp)
    resp = site.as_("li").act(task, "transfer")                     # nobody chosen
    assert resp.status_code == 422 and "不存在或已停用" in text(resp)
    # a plain form post (no HTMX) is redirected back to the record with the message flashed
    resp = site.as_("li").post(f"/flow/task/{task}/act", {"_wf_action": "approve"}, htmx=False)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/e/project/{rec.id}")
    assert site.as_("li").post("/flow/task/999999/act", {"_wf_action": "approve"}).status_code == 404
    # starting twice: the record already has a running workflow
    resp = site.as_("li").post(f"/flow/start/project/{rec.id}", {"_wf_workflow": "guarantee"})
    assert resp.status_code == 422 and "已有进行中的流程" in text(resp)


def test_english(site):
    rec, inst = started(site)
    li = site.as_("li")
    li.post("/lang", {"lang": "en"}, htmx=False)
    html = li.panel(rec.id)
    assert "Your task: Application" in html and "Submit" in html and "Opinion" in html
    html = text(li.get("/flow/todo"))
    assert "To do" in html and "Guarantee approval" in html
