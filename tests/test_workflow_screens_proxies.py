"""Standing proxies and reminders on the screens, over HTTP: 我的审批代理 (grant, refusals, revoke),
the proxy's to-do rows and panel forms marked 代 <name>, acting without a password, and reminded
tasks marked 已催办 in the to-do list. The `flow` test pack on a real database."""
from __future__ import annotations

import re

from .test_workflow_runtime import AUTO
from .test_workflow_screens import submitted
from .test_workflow_screens_fixtures import make_site, site, text  # noqa: F401 (fixture)
from .test_workflow_fixtures import flow_pack
from .test_workflow_screens_lists import row


def grant(site, principal: str, **form):
    data = {"proxy": "dh", "starts": "2026-03-15T09:00", "ends": "2026-03-20T18:00", **form}
    return site.as_(principal).post("/flow/proxies", data, htmx=False)


def test_grant_act_and_revoke_a_standing_proxy(site, clock):
    rec, inst = submitted(site)
    pma = site.as_("pma")
    html = text(pma.get("/flow/proxies"))
    assert 'id="nav-flow-proxies"' in html and 'aria-current="page">我的审批代理' in html
    assert 'id="proxy-grant"' in html and 'value="2026-03-15T09:30"' in html          # from: now
    assert '<option value="dh">DH（dh）</option>' in html and '<option value="pma">' not in html
    resp = grant(site, "pma", workflows=["guarantee"])
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/flow/proxies")
    html = text(pma.get("/flow/proxies"))
    assert "DH 现在可以代您审批" in html
    (auth,) = site.flow.wf.authorisations("pma")
    line = row(html, f"proxy-{auth.id}")
    assert "PMA" in line and "DH" in line and "担保业务审批" in line and "生效中" in line
    assert "2026-03-20 18:00" in line and f'id="proxy-revoke-{auth.id}"' in line
    # dh's to-do and panel: pma's first review, marked as held for PMA; dh acts without a password
    dh = site.as_("dh")
    task = site.task_of("pma", inst)
    line = row(text(dh.get("/flow/todo")), f"flow-row-{task}")
    assert "初审" in line and "代 PMA" in line
    html = dh.panel(rec.id)
    assert f'id="flow-behalf-{task}">代 PMA<' in html and f'id="flow-proxy-password-{task}"' not in html
    html = text(dh.act(task, "approve", _wf_opinion="代为同意"))
    assert "代为同意" in html
    log = [a for a in site.flow.wf.timeline(inst.id) if a["action"] == "approve"][0]
    assert (log["actor"], log["on_behalf_of"]) == ("dh", "pma")
    # dh sees the authorisation received, without a revoke button; only pma revokes it
    line = row(text(dh.get("/flow/proxies")), f"proxy-{auth.id}")
    assert "生效中" in line and "proxy-revoke" not in line
    assert dh.post(f"/flow/proxies/{auth.id}/revoke", htmx=False).status_code == 403
    assert pma.post("/flow/proxies/999999/revoke", htmx=False).status_code == 404
    resp = pma.post(f"/flow/proxies/{auth.id}/revoke", htmx=False)
    assert resp.status_code == 302
    html = text(pma.get("/flow/proxies"))
    assert "已撤销" in row(html, f"proxy-{auth.id}") and f'id="proxy-revoke-{auth.id}"' not in html
    rec2, inst2 = submitted(site)
    assert "代 PMA" not in text(dh.get("/flow/todo"))            # revoked: pma's new task is not dh's


def test_refused_authorisations_keep_the_input(site):
    for form, words in (({"proxy": "pma"}, "不能授权给自己"),
                        ({"ends": "2026-03-14T09:00"}, "结束时间必须晚于开始时间"),
                        ({"ends": "下周"}, "请按日期和时间填写"),
                        ({"ends": "2026-03-20T18:00+08:00"}, "请按日期和时间填写"),
                        ({"ends": ""}, "请填写代理的结束时间")):
        resp = grant(site, "pma", **form)
        assert resp.status_code == 422, form
        html = text(resp)
        assert 'id="proxy-message"' in html and words in html, (form, words)
    html = text(grant(site, "pma", proxy="risk1", ends="2026-03-14T09:00", workflows=["guarantee"]))
    assert '<option value="risk1" selected>' in html and 'value="2026-03-14T09:00"' in html
    assert re.search(r'id="proxy-wf-guarantee" checked', html)
    assert site.flow.wf.authorisations("pma") == []


def test_an_expired_or_future_authorisation_is_shown_as_such(site, clock):
    grant(site, "pma", starts="2026-03-16T09:00", ends="2026-03-17T09:00")
    (auth,) = site.flow.wf.authorisations("pma")
    line = row(text(site.as_("pma").get("/flow/proxies")), f"proxy-{auth.id}")
    assert "未生效" in line and "全部流程" in line
    clock.advance(days=3)
    site.sign_in_again()
    line = row(text(site.as_("pma").get("/flow/proxies")), f"proxy-{auth.id}")
    assert "已过期" in line and "proxy-revoke" not in line


def test_reminded_tasks_are_marked_in_the_todo_list(engine, clock, tmp_path):
    site = make_site(engine, clock, tmp_path, flow_pack({"workflows/auto.yaml": AUTO}))
    inst = site.flow.start("auto")
    clock.advance(hours=5)
    site.flow.wf.run_deadlines()                         # review auto-approved: notice opens for c2
    task = site.task_of("c2", inst)
    assert "已催办" not in row(text(site.as_("c2").get("/flow/todo")), f"flow-row-{task}")
    clock.advance(hours=2)
    site.flow.wf.run_deadlines()                         # an hour overdue: c2 is reminded
    site.sign_in_again()
    line = row(text(site.as_("c2").get("/flow/todo")), f"flow-row-{task}")
    assert "已催办" in line and "flow-reminded" in line
