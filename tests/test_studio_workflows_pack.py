"""Workflow edits in the studio's pack (core/studio_workflows.py), without a database: a workflow the
studio defines is edited in place; another pack's is changed by the overlay that turns it into the
edited one (steps changed, added where they stand, removed, reordered, replaced when an overlay
cannot take a property away); the merged document is read while the draft has problems."""
from __future__ import annotations

import copy

import pytest

from core import drafts
from core import studio_workflows as flows
from core.studio_pack import read

PACK = "company"
PATH = "workflows/guarantee.yaml"


@pytest.fixture
def sources(standard):
    return [standard]


def names(doc):
    return [s["name"] for s in doc["steps"]]


def step(doc, name):
    return next(s for s in doc["steps"] if s["name"] == name)


def saved(sources, doc):
    """The sources with `doc` saved, checking that the packs merge it back exactly."""
    out = flows.save(sources, PACK, doc)
    assert flows.document(out, doc["name"]) == doc
    return out


def test_a_new_workflow_has_a_start_task_and_the_approved_and_rejected_ends(sources):
    out = flows.create(sources, PACK, "big_loan", "project", {"zh": "大额审批"})
    doc = read(out, PACK, "workflows/big_loan.yaml")
    assert doc["start"] == "start" and [(s["name"], s["kind"], s.get("outcome")) for s in doc["steps"]] == [
        ("start", "task", None), ("approved", "end", "approved"), ("rejected", "end", "rejected")]
    assert flows.owned(out, PACK, "big_loan") and not flows.owned(out, PACK, "guarantee")
    meta, problems = drafts.check(out)
    assert problems == [] and meta.kinds["workflows"]["big_loan"].pack == PACK


def test_a_workflow_the_studio_defines_is_edited_in_place(sources):
    out = flows.create(sources, PACK, "big_loan", "project", {"zh": "大额审批"})
    doc = flows.document(out, "big_loan")
    doc = flows.put_step(doc, {"name": "review", "kind": "approval", "assignees": [{"role": "risk"}],
                               "mode": "any", "transitions": [{"to": "approved"}]})
    assert names(doc) == ["start", "review", "approved", "rejected"]           # before the ends
    doc = flows.move_step(doc, "review", -1)
    assert names(doc)[:2] == ["review", "start"]
    out = saved(out, doc)
    assert read(out, PACK, "workflows/big_loan.yaml") == doc                   # the file is the document


def test_changing_a_step_of_another_pack_writes_only_what_differs(sources):
    doc = flows.document(sources, "guarantee")
    changed = flows.put_step(doc, {**step(doc, "risk_review"), "mode": "all", "label": {"zh": "复审", "en": "Review"}})
    out = saved(sources, changed)
    assert read(out, PACK, PATH) == {"overlay": "guarantee", "change_steps": {
        "risk_review": {"label": {"zh": "复审", "en": "Review"}, "mode": "all"}}}
    assert flows.base(out, PACK, "guarantee") == doc                           # the standard pack's, untouched
    meta, problems = drafts.check(out)
    assert problems == [] and meta.kinds["workflows"]["guarantee"].step("risk_review").mode == "all"
    assert read(saved(out, doc), PACK, PATH) is None                           # back as it was: no overlay left


def test_added_removed_and_reordered_steps_of_another_pack(sources):
    doc = flows.document(sources, "guarantee")
    edited = flows.put_step(doc, {"name": "legal", "kind": "approval", "assignees": [{"role": "legal"}],
                                  "transitions": [{"to": "fee"}]})
    edited = flows.remove_step(edited, "gm_approval")
    edited = flows.move_step(edited, "signing", -1)                            # above fee
    out = saved(sources, edited)
    overlay = read(out, PACK, PATH)
    assert "gm_approval" in overlay["remove_steps"]
    assert any(a["step"]["name"] == "legal" and a["after"] == "release" for a in overlay["add_steps"])
    assert names(flows.document(out, "guarantee")) == names(edited)
    assert not any(t["to"] == "gm_approval" for s in edited["steps"] for t in s.get("transitions") or [])
    _meta, problems = drafts.check(out)
    assert [p for p in problems if "gm_approval" in str(p)] == []


def test_a_step_losing_a_property_is_removed_and_added_anew(sources):
    doc = flows.document(sources, "guarantee")
    task = {k: v for k, v in step(doc, "risk_review").items() if k not in ("mode", "deadline")}
    out = saved(sources, flows.put_step(doc, {**task, "kind": "task"}))
    overlay = read(out, PACK, PATH)
    assert overlay["remove_steps"] == ["risk_review"]
    assert overlay["add_steps"] == [{"step": step(flows.document(out, "guarantee"), "risk_review"),
                                     "after": "first_review"}]


def test_when_the_first_step_must_be_added_anew_every_step_is(sources):
    doc = flows.document(sources, "guarantee")
    first = {k: v for k, v in doc["steps"][0].items() if k != "on_enter"}
    out = saved(sources, flows.put_step(doc, first))
    overlay = read(out, PACK, PATH)
    assert overlay["remove_steps"] == names(doc) and "after" not in overlay["add_steps"][0]


def test_a_kind_change_drops_what_the_new_kind_does_not_take(sources):
    doc = flows.document(sources, "guarantee")
    vote = flows.put_step(doc, {**step(doc, "risk_review"), "kind": "vote", "members": [{"role": "committee"}]})
    assert "mode" not in step(vote, "risk_review") and "assignees" not in step(vote, "risk_review")
    assert step(vote, "risk_review")["members"] == [{"role": "committee"}]


def test_the_merged_document_is_read_while_the_draft_has_problems(sources):
    doc = flows.document(sources, "guarantee")
    broken = flows.put_step(doc, {**step(doc, "fee"), "transitions": [{"to": "nowhere"}]})
    out = saved(sources, copy.deepcopy(broken))
    _meta, problems = drafts.check(out)
    assert any("nowhere" in str(p) for p in problems)
    assert step(flows.document(out, "guarantee"), "fee")["transitions"] == [{"to": "nowhere"}]


def test_the_schema_refuses_a_bad_fraction_at_its_property():
    errors = flows.step_errors({"name": "r", "kind": "approval", "mode": "ratio", "ratio": "two thirds",
                                "assignees": [{"role": "risk"}]})
    assert [path for path, _message in errors] == [("ratio",)]
    assert flows.step_errors({"name": "r", "kind": "end", "outcome": "approved"}) == []
