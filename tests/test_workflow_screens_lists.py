"""The workflow lists over HTTP: 待办, 已办, 我发起的, 抄送我的, overdue tasks, and the counts in the
navigation (the `flow` test pack on a real database)."""
from __future__ import annotations

import re

from core import metastore
from core.users import create_user
from metadata.source import read_pack_dir
from ui.app import create_app

from .conftest import PACKS
from .test_workflow_screens_fixtures import site, text  # noqa: F401 (fixture)


def row(html: str, row_id: str) -> str:
    m = re.search(rf'<tr[^>]*id="{row_id}".*?</tr>', html, re.S)
    assert m, f"no row {row_id}"
    return m.group(0)


def test_todo_done_started_and_the_counts(site):
    flow = site.flow
    first = flow.start()                          # li's drafts: li holds both
    second = flow.start(name="第二个项目")
    flow.act("li", "submit", first)
    pma = site.as_("pma")
    html = text(pma.get("/flow/todo"))
    task = flow.task("pma", first)
    line = row(html, f"flow-row-{task.id}")
    rec_id = flow.wf.instance(first.id).record_id
    assert f'href="/e/project/{rec_id}"' in line and "DB2026-0001" in line
    assert "担保业务审批" in line and "初审" in line and "LI" in line and "2026-03-15 09:30" in line
    assert 'id="nav-count-todo">1<' in html and 'aria-current="page">待办' in html
    assert 'class="on" aria-current="page">待办' in html                       # the tab
    li = text(site.as_("li").get("/flow/started"))
    assert 'id="nav-count-started">2<' in li and 'id="nav-count-todo">1<' in li   # li still holds the second draft
    assert "PMA, PMB" in row(li, f"flow-row-{first.id}") and "LI" in row(li, f"flow-row-{second.id}")
    site.act("pma", first, "approve", _wf_opinion="同意")
    html = text(pma.get("/flow/todo"))
    assert "暂无内容" in html and 'id="nav-count-todo"' not in html
    done = text(pma.get("/flow/done"))
    line = row(done, f"flow-row-{task.id}")
    assert "同意" in line and "初审" in line and "进行中" in line


def test_overdue_tasks_are_marked(site, clock):
    flow = site.flow
    inst = flow.start()
    for who in ("li", "pma", "pmb"):
        flow.act(who, "approve" if who != "li" else "submit", inst)
    assert flow.state(inst) == ("running", "risk_review")         # due in two days
    html = text(site.as_("risk1").get("/flow/todo"))
    assert "已超期" not in html and "2026-03-17 09:30" in html
    clock.advance(days=3)
    site.sign_in_again()                                          # three idle days end a session
    html = text(site.as_("risk1").get("/flow/todo"))
    assert 'class="overdue"' in html and "已超期" in html
    started = text(site.as_("li").get("/flow/started"))
    assert 'class="overdue"' in started and "RISK1, RISK2" in started


def test_english_lists(site):
    site.flow.start()
    li = site.as_("li")
    li.post("/lang", {"lang": "en"}, htmx=False)
    html = text(li.get("/flow/todo"))
    assert "Guarantee approval" in html and "Application" in html and ">Running<" in html


def test_no_workflow_no_navigation(engine, clock, tmp_path):
    """Where no workflow is installed, the navigation shows no approval links."""
    metastore.install(engine, [read_pack_dir(PACKS / "mini")], clock=clock)
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "t", "CLOCK": clock, "INSTANCE_DIR": str(tmp_path)})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(client.get("/login"))).group(1)
    client.post("/login", data={"username": "li", "password": "right-pass", "csrf_token": token})
    html = text(client.get("/"))
    assert "李经理" in html and 'id="nav-flow"' not in html
    assert client.get("/flow/todo").status_code == 200             # the list itself still answers (empty)
