"""Workflow overlays: a company pack (tests/packs/flow_overlay) changes the flow pack's workflow —
start step, step properties, added and removed steps, replaced transitions — and the merged
workflow is checked and runs."""
from __future__ import annotations

import pytest

from core import metastore
from core.store import Store
from core.workflow import Workflows
from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir

from .conftest import PACKS
from .test_workflow_fixtures import flow_pack, make_flow


def overlay_pack(text: str | None = None) -> PackSource:
    base = read_pack_dir(PACKS / "flow_overlay")
    if text is None:
        return base
    return PackSource("flow_overlay", {**base.files, "workflows/guarantee.yaml": text})


def problems(text: str) -> list[str]:
    try:
        load_packs([flow_pack(), overlay_pack(text)])
    except MetadataError as e:
        return [str(p) for p in e.problems]
    return []


OVERLAY = (PACKS / "flow_overlay" / "workflows" / "guarantee.yaml").read_text(encoding="utf-8")


def test_the_overlay_merges_into_the_workflow():
    wf = load_packs([flow_pack(), overlay_pack()]).kinds["workflows"]["guarantee"]
    assert wf.start == "intake"
    assert [s.name for s in wf.steps] == ["draft", "first_review", "risk_review", "legal_review", "committee",
                                          "fee", "approved", "rejected", "withdrawn", "intake"]
    risk = wf.step("risk_review")
    assert risk.mode == "all" and [t.to for t in risk.transitions] == ["legal_review"]
    assert dict(risk.label) == {"zh": "复审", "en": "Second review"}            # labels merge per locale
    assert risk.deadline.action == "remind" and risk.deadline.hours == 8
    assert risk.assignees == load_packs([flow_pack()]).kinds["workflows"]["guarantee"].step("risk_review").assignees
    assert [(t.on, t.to) for t in wf.step("committee").transitions] == [("pass", "fee"), ("fail", "rejected")]
    assert dict(wf.label) == {"zh": "担保业务审批", "en": "Guarantee approval (company)"}
    base = load_packs([flow_pack()]).kinds["workflows"]["guarantee"]
    assert base.has_step("gm") and base.start == "draft" and base.digest != wf.digest


def test_the_merged_workflow_runs(engine, clock):
    f = make_flow(engine, clock)
    installed = metastore.install(engine, [flow_pack(), overlay_pack()], clock=clock)
    f.store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    f.wf = Workflows(f.store)
    inst = f.start(amount="8000000")                   # above 5m: the base flow would go to gm
    assert f.state(inst) == ("running", "intake")
    f.act("li", "submit", inst)
    f.act("li", "submit", inst)
    f.act("pma", "approve", inst)
    f.act("pmb", "approve", inst)
    f.act("risk1", "approve", inst)
    assert f.state(inst) == ("running", "risk_review")  # mode all now: both risk reviewers
    assert f.task("risk2", inst).due_at is not None
    f.act("risk2", "approve", inst)
    assert f.holders(inst) == ["gm"]
    f.act("gm", "approve", inst)
    for member in ("c1", "c2", "c3", "chair"):
        if f.wf.instance(inst.id).step == "committee":
            f.act(member, "vote", inst, choice="approve")
    assert f.state(inst) == ("running", "fee")
    f.act("fin", "submit", inst, values={"receipt": "R-1"})
    assert f.state(inst) == ("approved", "approved")
    assert f.wf.definition(f.wf.instance(inst.id)).start == "intake"


@pytest.mark.parametrize("old, new, expected", [
    ("change_steps:\n  risk_review:", "change_steps:\n  risk_revue:",
     "flow_overlay/workflows/guarantee.yaml:21 change_steps.risk_revue: no step 'risk_revue' in workflow 'guarantee'"),
    ("remove_steps: [gm]", "remove_steps: [gm, gm2]",
     "guarantee.yaml:5 remove_steps.1: no step 'gm2' in workflow 'guarantee'"),
    ("      name: intake", "      name: draft", "add_steps.0.step.name: step 'draft' already exists"),
    ("  - after: risk_review", "  - after: risk", "guarantee.yaml:13 add_steps.1.after: no step 'risk'"),
    ("    mode: all", "    mdoe: all", "change_steps.risk_review.mdoe: unknown property 'mdoe'; did you mean 'mode'?"),
    ("start: intake", "start: nowhere", "guarantee.yaml:4 start: no step 'nowhere'"),
    # semantic checks on the merged result point at whoever wrote the part
    ("      assignees: [{users: [gm]}]", "      assignees: [{field: amount}]",
     "guarantee.yaml:18 steps.legal_review.assignees.0.field: 'amount' is a money field"),
    ("    transitions: [{to: legal_review}]", "    transitions: [{to: legal}]",
     "guarantee.yaml:25 steps.risk_review.transitions.0.to: no step 'legal'"),
    ("  committee:\n    transitions:\n      - {on: pass, to: fee}\n      - {on: fail, to: rejected}\n", "",
     "flow/workflows/guarantee.yaml:41 steps.committee.transitions.0.to: no step 'gm'"),
])
def test_overlay_problems_name_file_line_and_path(old, new, expected):
    assert old in OVERLAY
    found = problems(OVERLAY.replace(old, new))
    assert any(expected in p for p in found), found


def test_an_overlay_needs_to_extend_the_pack():
    loose = PackSource("loose", {"pack.yaml": "name: loose\nversion: 1.0.0\ntitle: x\n",
                                 "workflows/g.yaml": OVERLAY})
    with pytest.raises(MetadataError) as e:
        load_packs([flow_pack(), loose])
    assert "which this pack does not extend" in str(e.value.problems[0])
