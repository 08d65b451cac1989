"""The committee screen (审保会) over HTTP: members, who has voted, the live tally, the outcome and
resolution; votes pass, fail, and are decided early; the ballot stays secret until decided (except
to the chair). The `flow` pack's committee: c1–c4 and the chair, quorum 3, pass at 2/3, chair veto."""
from __future__ import annotations

import re

from .test_workflow_screens import to_committee
from .test_workflow_screens_fixtures import site, text  # noqa: F401 (fixture)


def committee(site, inst, username: str, live: bool = False) -> str:
    url = f"/flow/instance/{inst.id}/committee" + ("?part=live" if live else "")
    resp = site.as_(username).get(url, htmx=live)
    assert resp.status_code == 200
    return text(resp)


def vote(site, inst, username: str, choice: str, opinion: str = "") -> str:
    """`username` votes through the committee screen's form (HTMX): the screen's body comes back."""
    html = committee(site, inst, username)
    task = int(re.search(r'id="vote-(\d+)"', html).group(1))
    resp = site.as_(username).act(task, choice, _wf_view="committee", _wf_opinion=opinion)
    assert resp.status_code == 200, text(resp)[:1000]
    return text(resp)


def member(html: str, username: str) -> str:
    return re.search(rf'<tr id="member-{username}".*?</tr>', html, re.S).group(0)


def running(site):
    inst = site.flow.start()
    to_committee(site, inst)
    return inst


def test_the_committee_screen_and_a_vote_that_passes(site):
    inst = running(site)
    html = committee(site, inst, "c1")
    for m in ("c1", "c2", "c3", "c4", "chair"):
        assert f'id="member-{m}"' in html
    assert "主任委员" in member(html, "chair") and 'id="tally-quorum">3<' in html
    assert "赞成票不少于已投票数的 2 / 3" in html and "主任委员有一票否决权" in html
    assert 'id="vote-approve"' in html and 'id="vote-reconsider"' in html
    assert 'hx-trigger="every 5s"' in html                                     # live until decided
    body = vote(site, inst, "c1", "approve", "项目风险可控")
    assert "赞成：已完成" in body and 'id="vote-approve"' not in body
    assert "赞成" in member(body, "c1") and "项目风险可控" in member(body, "c1")    # one's own vote
    # another member sees that c1 voted, not how, nor the counts per choice
    html = committee(site, inst, "c2")
    assert "已投票" in member(html, "c1") and "保密" in member(html, "c1")
    assert "项目风险可控" not in html and 'id="tally-secret"' in html and 'id="tally-approve"' not in html
    assert 'id="tally-cast">1 / 5<' in html
    # the chair conducts the meeting: every vote and opinion as it is cast
    html = committee(site, inst, "chair")
    assert "项目风险可控" in member(html, "c1") and 'id="tally-approve">1<' in html
    vote(site, inst, "c2", "approve")
    vote(site, inst, "c3", "approve", "同意，放款前落实抵押登记")
    body = vote(site, inst, "chair", "approve")      # 4 of 5 in favour: c4 could not change it, no veto left
    assert site.flow.state(inst) == ("running", "fee")
    assert 'id="committee-result">通过<' in body
    # decided: everyone sees every vote, the resolution, and the screen stops refreshing itself
    live = committee(site, inst, "c4", live=True)
    assert live.lstrip().startswith('<div class="committee-live"') and "hx-trigger" not in live
    assert "同意，放款前落实抵押登记" in member(live, "c3") and 'id="tally-approve">4<' in live
    assert "决议" in live and "赞成 4 票，反对 0 票，弃权 0 票" in live
    assert "已关闭" in member(live, "c4")                                       # closed before voting
    # the record's panel links here, and its timeline has the resolution
    rec_id = site.flow.wf.instance(inst.id).record_id
    panel = site.as_("li").panel(rec_id)
    assert f'href="/flow/instance/{inst.id}/committee"' in panel and "决议" in panel


def test_a_vote_that_fails(site):
    inst = running(site)
    for m in ("c1", "c2", "c3"):
        vote(site, inst, m, "approve")
    vote(site, inst, "c4", "reject", "担保余额过高")
    assert site.flow.state(inst) == ("running", "committee")
    body = vote(site, inst, "chair", "abstain")          # 3 of 5 in favour: short of 2/3
    assert site.flow.state(inst) == ("rejected", "rejected")
    assert 'id="committee-result">未通过<' in body and "担保余额过高" in body


def test_a_vote_decided_early(site):
    inst = running(site)
    vote(site, inst, "c1", "reject")
    html = committee(site, inst, "c3", live=True)
    assert 'id="committee-pending">' in html and "还有 4 人未投票" in html
    vote(site, inst, "c2", "reject")
    assert site.flow.state(inst) == ("running", "committee")          # the others might still ask to reconsider
    body = vote(site, inst, "c3", "reject")       # 2 in favour at most, and rejections outnumber any reconsider
    assert site.flow.state(inst) == ("rejected", "rejected")
    assert 'id="committee-result">未通过<' in body
    html = committee(site, inst, "c4")
    assert 'id="vote-approve"' not in html and "已关闭" in member(html, "c4")   # no vote left to cast


def test_votes_are_refused_in_place_and_to_non_members(site):
    inst = running(site)
    task = site.flow.task("c1", inst).id
    resp = site.as_("outsider").act(task, "approve", _wf_view="committee")
    assert resp.status_code == 403 and site.flow.wf.tally(inst.id).cast == 0
    resp = site.as_("c1").act(task, "submit", _wf_view="committee", _wf_opinion="我的意见")
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="committee-message"' in body and ">我的意见</textarea>" in body


def test_an_instance_without_a_vote(site):
    inst = site.flow.start()
    html = committee(site, inst, "li")
    assert 'id="committee-none"' in html
    assert site.as_("li").get("/flow/instance/999999/committee").status_code == 404
