"""The workflow screens in a real browser, on the `flow` test pack: the to-do list leading to the
record, an approval with an opinion from the record's panel (loaded lazily, answered by HTMX), and
the committee screen: a vote cast in one session, the live tally updating itself in another.
Screenshots: docs/screenshots/flow-todo.png, flow-panel.png (an approver's panel), flow-committee.png."""
from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from core.db import users
from ui.app import create_app

from ..test_workflow_fixtures import PASSWORD, make_flow
from .conftest import screenshot, settle, sign_in


@pytest.fixture
def flow_site(engine, clock, tmp_path):
    """(base URL, Flow): the app on a loopback port with the flow test pack and its users."""
    flow = make_flow(engine, clock)
    with engine.begin() as c:           # every user may sign in (a cheap hash: many sign-ins)
        c.execute(update(users).values(password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")))
    app = create_app({"ENGINE": engine, "SECRET_KEY": "browser-flow", "CLOCK": clock, "INSTANCE_DIR": str(tmp_path)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", flow
    server.shutdown()
    thread.join(5)


def submitted(flow):
    inst = flow.start(name="杭州恒信精密机械流动资金贷款担保", amount="3000000")
    flow.act("li", "submit", inst, opinion="尽调完成，请初审")
    return inst


def test_todo_list_leads_to_the_record(flow_site, new_page):
    base, flow = flow_site
    inst = submitted(flow)
    page = new_page()
    sign_in(page, base, "pma", PASSWORD)
    expect(page.locator("#nav-count-todo")).to_have_text("1")
    page.click("#nav-flow-todo")
    row = page.locator("#flow-todo tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("DB2026-0001")
    expect(row.first).to_contain_text("初审")
    screenshot(page, "flow-todo")
    row.first.locator("a").click()
    expect(page).to_have_url(re.compile(rf"/e/project/{flow.wf.instance(inst.id).record_id}$"))
    expect(page.locator("#flow-step")).to_have_text("初审")             # the panel, loaded after the page
    expect(page.locator("#flow-timeline")).to_contain_text("尽调完成，请初审")


def test_approval_with_an_opinion(flow_site, new_page):
    base, flow = flow_site
    inst = submitted(flow)
    record_id = flow.wf.instance(inst.id).record_id
    task = flow.task("pma", inst).id
    page = new_page()
    sign_in(page, base, "pma", PASSWORD)
    page.goto(f"{base}/e/project/{record_id}")
    page.fill(f"#flow-opinion-{task}", "同意。反担保措施充分，建议进入复审。")
    screenshot(page, "flow-panel")
    page.click(f"#flow-approve-{task}")
    expect(page.locator("#flow-notice")).to_contain_text("同意")
    settle(page)
    expect(page.locator("#flow-timeline")).to_contain_text("同意。反担保措施充分，建议进入复审。")
    expect(page.locator(f"#flow-act-{task}")).to_have_count(0)              # nothing left for pma
    assert flow.holders(inst) == ["pmb"]
    flow.act("pmb", "approve", inst, opinion="同意")
    page.reload()
    expect(page.locator("#flow-step")).to_have_text(flow.wf.workflow("guarantee").step("risk_review").label["zh"])
    expect(page.locator("#flow-diagram svg")).to_be_visible()


def test_committee_vote_and_live_tally(flow_site, new_page):
    base, flow = flow_site
    inst = submitted(flow)
    for who in ("pma", "pmb", "risk1"):
        flow.act(who, "approve", inst)
    url = f"{base}/flow/instance/{inst.id}/committee"
    chair = new_page()
    sign_in(chair, base, "chair", PASSWORD)
    chair.goto(url)
    expect(chair.locator("#tally-cast")).to_have_text("0 / 5")
    member = new_page()
    sign_in(member, base, "c1", PASSWORD)
    member.goto(url)
    member.fill("textarea[name=_wf_opinion]", "项目风险可控，同意担保。")
    member.click("#vote-approve")
    expect(member.locator("#committee-notice")).to_contain_text("赞成")
    expect(member.locator("#member-c1")).to_contain_text("项目风险可控，同意担保。")
    # the chair's screen refreshes itself: the vote and its opinion appear without a reload
    expect(chair.locator("#tally-cast")).to_have_text("1 / 5", timeout=12_000)
    expect(chair.locator("#member-c1")).to_contain_text("项目风险可控，同意担保。")
    for m in ("c2", "c3"):
        flow.act(m, "vote", inst, choice="approve", opinion="同意")
    expect(chair.locator("#tally-cast")).to_have_text("3 / 5", timeout=12_000)
    screenshot(chair, "flow-committee")


def test_an_approval_with_an_attachment(flow_site, new_page, tmp_path):
    """Files chosen in the action form upload at once and go with the approval into the timeline."""
    base, flow = flow_site
    inst = submitted(flow)
    record_id = flow.wf.instance(inst.id).record_id
    task = flow.task("pma", inst).id
    report = tmp_path / "尽调报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    page = new_page()
    sign_in(page, base, "pma", PASSWORD)
    page.goto(f"{base}/e/project/{record_id}")
    page.set_input_files(f"#flow-upload-{task}", str(report))
    expect(page.locator(f"#flow-files-{task} .dbf-name")).to_have_text("尽调报告.pdf")
    page.fill(f"#flow-opinion-{task}", "尽调报告见附件。")
    screenshot(page, "flow-attachment")
    page.click(f"#flow-approve-{task}")
    expect(page.locator("#flow-notice")).to_contain_text("同意")
    link = page.locator("#flow-timeline a", has_text="尽调报告.pdf")
    expect(link).to_have_count(1)
    assert flow.wf.timeline(inst.id)[-1]["attachments"] == [int(link.get_attribute("href").rsplit("/", 1)[1])]


def test_the_committee_poll_leaves_alerts_alone(flow_site, new_page):
    """The live tally asks for itself every few seconds; an error shown meanwhile stays until the
    user's own next request."""
    base, flow = flow_site
    inst = submitted(flow)
    for who in ("pma", "pmb", "risk1"):
        flow.act(who, "approve", inst)
    chair = new_page()
    sign_in(chair, base, "chair", PASSWORD)
    chair.goto(f"{base}/flow/instance/{inst.id}/committee")
    settle(chair)
    chair.evaluate("""() => { const p = document.createElement('p'); p.id = 'kept-alert';
        p.className = 'alert error'; p.textContent = '网络错误'; document.getElementById('alerts').append(p); }""")
    with chair.expect_response(lambda r: "part=live" in r.url, timeout=12_000):
        pass
    settle(chair)
    expect(chair.locator("#kept-alert")).to_have_count(1)              # the poll left it
    chair.click("#vote-approve")                                       # the user's own request clears it
    expect(chair.locator("#committee-notice")).to_be_visible()
    expect(chair.locator("#kept-alert")).to_have_count(0)


def test_authorise_a_proxy(flow_site, new_page):
    """我的审批代理: pma authorises dh, who then finds pma's review in the to-do list, marked 代 PMA."""
    base, flow = flow_site
    inst = submitted(flow)
    page = new_page()
    sign_in(page, base, "pma", PASSWORD)
    page.click("#nav-flow-proxies")
    page.select_option("#proxy-user", "dh")
    page.fill("#proxy-ends", "2026-03-20T18:00")
    page.check("#proxy-wf-guarantee")
    page.click("#proxy-submit")
    expect(page.locator("#proxy-list tbody tr").first).to_contain_text("生效中")
    screenshot(page, "flow-proxies")
    dh = new_page()
    sign_in(dh, base, "dh", PASSWORD)
    dh.click("#nav-flow-todo")
    expect(dh.locator(f"#flow-row-{flow.task('pma', inst).id}")).to_contain_text("代 PMA")
