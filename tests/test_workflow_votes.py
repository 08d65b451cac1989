"""Committee votes (审保会): pass, fail, decided early, quorum, chair veto, reconsider; the tally and
the resolution are recorded."""
from __future__ import annotations

from fractions import Fraction

import pytest

from core.workflow import WorkflowError, votes
from metadata.workflow import Step

from .test_workflow_fixtures import flow, flow_pack, make_flow  # noqa: F401  (fixture)
from .test_workflow_paths import to_committee


def vote(flow, inst, **choices):
    for member, choice in choices.items():
        flow.act(member, "vote", inst, choice=choice, opinion=f"{member}: {choice}")


def test_vote_passes_and_records_the_tally_and_resolution(flow):
    inst = flow.start()
    to_committee(flow, inst)
    vote(flow, inst, c1="approve", c2="approve", c3="abstain", chair="approve")
    assert flow.state(inst) == ("running", "committee")        # 3/4 cast approve, but c4 may still vote
    vote(flow, inst, c4="approve")
    assert flow.state(inst) == ("running", "fee")
    t = flow.wf.tally(inst.id)
    assert (t.approve, t.abstain, t.cast, t.members, t.pending) == (4, 1, 5, 5, 0)
    resolution = [a for a in flow.wf.timeline(inst.id) if a["action"] == "resolution"][0]
    assert resolution["data"]["result"] == "pass" and resolution["data"]["tally"]["approve"] == 4
    assert {v["member"]: v["opinion"] for v in resolution["data"]["tally"]["votes"]}["c3"] == "c3: abstain"


def test_vote_fails(flow):
    inst = flow.start()
    to_committee(flow, inst)
    vote(flow, inst, c1="reject", c2="approve")
    assert flow.state(inst) == ("running", "committee")
    vote(flow, inst, c3="reject")          # at most 3 of 5 can approve now: 3 < 2/3 * 5
    assert flow.state(inst) == ("rejected", "rejected")
    assert flow.wf.todo("c4") == [] and flow.wf.todo("chair") == []


def test_vote_decided_early(flow):
    inst = flow.start()
    to_committee(flow, inst)
    vote(flow, inst, chair="approve", c1="approve", c2="approve", c3="approve")
    # 4 approvals; even if c4 rejects, 4/5 >= 2/3 and the chair has voted: decided
    assert flow.state(inst) == ("running", "fee")
    assert flow.wf.tally(inst.id, "committee").pending == 1


def test_chair_veto(flow):
    inst = flow.start()
    to_committee(flow, inst)
    vote(flow, inst, c1="approve", c2="approve", c3="approve")
    vote(flow, inst, chair="reject")
    assert flow.state(inst) == ("rejected", "rejected")
    assert flow.wf.tally(inst.id).vetoed


def test_reconsider_sends_back_to_the_named_step(flow):
    inst = flow.start()
    to_committee(flow, inst)
    vote(flow, inst, c1="reconsider", c2="reconsider", c3="approve")
    assert flow.state(inst) == ("running", "committee")
    vote(flow, inst, c4="reconsider")     # fails for sure; 3 reconsider > 0 reject + 1 remaining
    assert flow.state(inst) == ("running", "risk_review")
    flow.act("risk2", "approve", inst)
    assert flow.state(inst) == ("running", "committee")
    assert flow.wf.tally(inst.id).cast == 0                  # a fresh holding of the vote


def test_invalid_choice_and_non_member(flow):
    inst = flow.start()
    to_committee(flow, inst)
    with pytest.raises(WorkflowError):
        flow.act("c1", "vote", inst, choice="maybe")


QUORUM = """\
name: quorum
entity: project
start: meeting
steps:
  - name: meeting
    kind: vote
    members: [{users: [c1, c2, c3, c4]}]
    min_attendance: "3/4"
    pass: "2/3"
    deadline: {hours: 2, action: close}
    transitions: [{on: pass, to: done}, {on: no_quorum, to: again}]
  - name: again
    kind: task
    assignees: [{users: [admin]}]
    transitions: [{to: meeting}]
  - {name: done, kind: end, outcome: approved}
"""


def test_quorum_not_reached_at_the_deadline(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/q.yaml": QUORUM}))
    inst = f.start("quorum")
    vote(f, inst, c1="approve", c2="approve")            # 2 of 4 voted; quorum is 3
    assert f.state(inst) == ("running", "meeting")
    clock.advance(hours=3)
    done = f.wf.run_deadlines()
    assert [d["action"] for d in done] == ["close"]
    assert f.state(inst) == ("running", "again")
    assert [a["data"]["result"] for a in f.wf.timeline(inst.id) if a["action"] == "resolution"] == ["no_quorum"]
    assert f.wf.run_deadlines() == []                      # idempotent


def test_quorum_reached_at_the_deadline(engine, clock):
    f = make_flow(engine, clock, flow_pack({"workflows/q.yaml": QUORUM}))
    inst = f.start("quorum")
    vote(f, inst, c1="approve", c2="approve", c3="reject")
    assert f.state(inst) == ("running", "meeting")       # c4 could still make it 2:2, short of 2/3
    clock.advance(hours=3)
    f.wf.run_deadlines()
    assert f.state(inst) == ("approved", "done")


def step(**kw) -> Step:
    from metadata.workflow import _step
    return _step({"name": "v", "kind": "vote", **kw})


def test_decide_rules_without_a_database():
    s = step(**{"pass": "2/3", "min_attendance": 3})
    t = votes.Tally(members=6, approve=4, pending=2, quorum=3)
    assert votes.decide(s, t) == "pass"                   # 4 >= 2/3 * 6
    t = votes.Tally(members=6, approve=3, reject=1, pending=2, quorum=3)
    assert votes.decide(s, t) is None
    t = votes.Tally(members=6, approve=1, reject=3, pending=2, quorum=3)
    assert votes.decide(s, t) == "fail"                   # 3 of 6 < 2/3
    t = votes.Tally(members=6, approve=2, pending=0, quorum=3)
    assert votes.decide(s, t) == "no_quorum"
    assert votes.quorum(step(min_attendance="2/3"), 7) == 5
    assert s.pass_ratio == Fraction(2, 3)
