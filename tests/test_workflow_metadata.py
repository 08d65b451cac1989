"""The workflow kind: the schema and every semantic check, reported with file:line:path."""
from __future__ import annotations

import pytest

from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.workflow import fraction

from .test_workflow_fixtures import flow_pack

GOOD = """\
name: simple
entity: project
start: draft
steps:
  - {name: draft, kind: task, transitions: [{to: review}]}
  - name: review
    kind: approval
    assignees: [{role: risk}]
    transitions: [{to: done}]
  - {name: done, kind: end, outcome: approved}
"""


def problems(text: str) -> list[str]:
    try:
        load_packs([flow_pack({"workflows/x.yaml": text})])
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


def test_the_test_pack_and_a_minimal_workflow_compile():
    meta = load_packs([flow_pack({"workflows/x.yaml": GOOD})])
    wf = meta.kinds["workflows"]["simple"]
    assert [s.name for s in wf.steps] == ["draft", "review", "done"]
    assert wf.step("review").transitions[0].on == "approve"
    assert meta.kinds["workflows"]["guarantee"].step("committee").pass_ratio == fraction("2/3")


@pytest.mark.parametrize("replace, expected", [
    (("entity: project", "entity: nosuch"), "x.yaml:2 entity: no entity 'nosuch'"),
    (("start: draft", "start: nosuch"), "x.yaml:3 start: no step 'nosuch'"),
    (("[{to: review}]", "[{to: revue}]"), "x.yaml:5 steps.draft.transitions.0.to: no step 'revue'"),
    (("    transitions: [{to: done}]\n", ""), "steps.review.transitions: step 'review' has no way out"),
    (("    assignees: [{role: risk}]\n", ""), "x.yaml:6 steps.review: an approval step needs assignees"),
    (("[{role: risk}]", "[{formula: 'amout > 1'}]"), "x.yaml:8 steps.review.assignees.0.formula: unknown field 'amout'"),
    (("[{role: risk}]", "[{field: amount}]"), "steps.review.assignees.0.field: 'amount' is a money field"),
    (("[{role: risk}]", "[{field: nosuch}]"), "steps.review.assignees.0.field: entity 'project' has no field 'nosuch'"),
    (("kind: approval\n", "kind: approval\n    editable: [nosuch]\n    required: [receipt, nope]\n"),
     "x.yaml:9 steps.review.required: entity 'project' has no field 'nope'"),
    (("[{to: review}]", "[{to: review, when: 'amount >> 1'}]"), "x.yaml:5 steps.draft.transitions.0.when: '>>' is not supported"),
    (("kind: approval\n", "kind: approval\n    on_enter: [{set: {nosuch: '1'}}]\n"),
     "steps.review.on_enter.0.set.nosuch: entity 'project' has no field 'nosuch'"),
    (("[{to: done}]", "[{to: done}]\n  - {name: island, kind: task, transitions: [{to: done}]}"),
     "x.yaml:10 steps.island: step 'island' cannot be reached from the start step 'draft'"),
    (("- {name: done, kind: end, outcome: approved}", "- {name: done, kind: end, outcome: approved}\n"
      "  - {name: done, kind: end, outcome: rejected}"), "x.yaml:11 steps.done.name: step 'done' is defined twice"),
    (("outcome: approved", "label: 完"), "steps.done: an end step needs an outcome"),
    (("kind: approval\n", "kind: approval\n    mode: ratio\n"), "steps.review.mode: mode 'ratio' needs 'ratio'"),
    (("kind: approval\n", "kind: approval\n    deadline: {hours: 4, action: escalate}\n"),
     "steps.review.deadline: escalate needs 'to'"),
    (("kind: approval\n", "kind: approval\n    bogus: 1\n"), "x.yaml:8 steps.review.bogus: unknown property 'bogus'"),
])
def test_semantic_checks_name_file_line_and_path(replace, expected):
    old, new = replace
    assert old in GOOD
    found = problems(GOOD.replace(old, new))
    assert any(expected in p for p in found), found


def test_vote_checks():
    text = """\
name: v
entity: project
start: vote
steps:
  - name: vote
    kind: vote
    options: [reject, abstain, reconsider]
    veto: true
    transitions: [{to: done, on: approve}]
  - {name: done, kind: end, outcome: approved}
"""
    found = "\n".join(problems(text))
    assert "steps.vote: a vote step needs members" in found
    assert "steps.vote.options: a vote needs the option 'approve'" in found
    assert "'reconsider' needs 'reconsider_to'" in found
    assert "steps.vote.veto: a veto needs a 'chair'" in found
    assert "steps.vote.transitions.0.on: 'approve' does not apply to a vote step" in found
    assert "step 'vote' has no way out: add a transition with on: pass" in found


def test_all_problems_are_reported_at_once():
    found = problems(GOOD.replace("entity: project", "entity: nosuch").replace("[{to: review}]", "[{to: x}]"))
    assert len(found) >= 2


def test_fractions():
    assert fraction("2/3") * 3 == 2 and fraction("50%") == fraction("0.5") == fraction("1/2")
