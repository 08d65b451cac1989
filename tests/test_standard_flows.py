"""The standard pack's guarantee project and its approval flows (seed/standard/workflows), run
through the workflow engine on a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from core import metastore, sampledata
from core.errors import PermissionDenied, ValidationError
from core.files import save_upload
from core.store import Actor, Store
from core.users import create_user, get_user
from core.workflow import Workflows
from plugins.manager import build_registry
from metadata.source import read_pack_dir

from .conftest import PACKS

# username -> roles; "desk" takes applications (受理) so that both A角 and B角 review
ROLES = {"desk": ["pm"], "pm_a": ["pm"], "pm_b": ["pm"], "risk": ["risk"], "c1": ["committee"],
         "c2": ["committee"], "c3": ["committee"], "gm": ["gm", "committee"], "finance": ["finance"]}
COMMITTEE = ["c1", "c2", "c3", "gm"]                 # the general manager sits on it and chairs


@dataclass
class Desk:
    store: Store
    wf: Workflows
    company: int
    bank: int

    def actor(self, name: str) -> Actor:
        return Actor(name, ROLES[name])

    def uid(self, name: str) -> int:
        return get_user(self.store.engine, username=name).id

    def start(self, workflow="guarantee", initiator="desk", documents=True, **values):
        """A project with `values` started on `workflow`; with a product, every document the product
        requires is attached (`documents=False`: none)."""
        data = {"customer_type": "enterprise", "enterprise": self.company, "business_type": "loan",
                "bank": self.bank, "amount": "3000000", "term_months": 12, "purpose": "流动资金周转",
                "repayment_method": "monthly_interest", "pm_a": self.uid("pm_a"), "pm_b": self.uid("pm_b"),
                "department": "business_1", **values}
        product = self.store.meta.kinds["products"].get(values.get("product"))
        if product is not None and documents:
            data["attachments"] = [self.scan(d.code) for d in product.documents]
        rec = self.store.create("project", data, actor=self.actor(initiator))
        return self.wf.start("project", rec.id, workflow, self.actor(initiator))

    def scan(self, code: str) -> dict:
        """An uploaded PDF tagged as the product's required document `code` (core/required_documents.py)."""
        ref = save_upload(self.store.engine, entity="project", field="attachments", name=f"{code}.pdf",
                          content_type="application/pdf", data=b"%PDF-1.4\n", uploaded_by="desk")
        return {**ref, "doc": code}

    def act(self, username: str, action: str, inst, **kw):
        task, = [i.task for i in self.wf.todo(username) if i.instance.id == inst.id]
        return self.wf.act(task.id, self.actor(username), action, **kw)

    def at(self, inst) -> str:
        """The current step, checked against the stage the flow wrote on the project."""
        step = self.wf.instance(inst.id).step
        assert self.record(inst)["status"] == step
        return step

    def holders(self, inst) -> list[str]:
        return sorted(t.assignee for t in self.wf.tasks(inst.id) if t.state == "open" and t.kind != "cc")

    def record(self, inst) -> dict:
        return self.store.get("project", self.wf.instance(inst.id).record_id).values

    # the steps, done the ordinary way
    def apply(self, inst):
        self.act("desk", "submit", inst, opinion="请审批")

    def first_review(self, inst):
        self.act("pm_a", "approve", inst, opinion="同意", values={"due_diligence": "经营稳定，现金流充足"})
        self.act("pm_b", "approve", inst, opinion="同意")

    def risk_review(self, inst):
        self.act("risk", "approve", inst, values={"risk_opinion": "风险可控，同意上会"})

    def vote(self, inst, **choices):
        for member in COMMITTEE:
            if member in choices:
                self.act(member, "vote", inst, choice=choices[member], opinion=f"{member}意见")

    def after_approval(self, inst):
        """收费 → 签约 → 放款确认."""
        self.act("finance", "submit", inst, values={"fee_receipt": "SF-2026-001", "fee_amount": "45000"})
        self.act("pm_a", "submit", inst)
        released = self.record(inst)["amount"] - 200000          # the bank may lend less than guaranteed
        self.act("pm_a", "submit", inst, values={"loan_no": "JK-001", "release_date": "2026-03-20",
                                                  "release_amount": released})


def make_desk(engine, clock, packs) -> Desk:
    inst = metastore.install(engine, packs, clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version, registry=build_registry())
    for name, roles in ROLES.items():
        create_user(engine, name, name=name.upper(), roles=roles, department="business_1")
    rng = random.Random(5)
    company = store.create("enterprise_customer", sampledata.enterprise(rng, clock.today())).id
    bank = store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
    return Desk(store, Workflows(store), company, bank)


@pytest.fixture
def desk(engine, clock, standard):
    return make_desk(engine, clock, [standard])


def test_committee_flow_below_the_gm_threshold_all_the_way_to_in_force(desk):
    inst = desk.start()
    assert desk.at(inst) == "application" and desk.holders(inst) == ["desk"]
    desk.apply(inst)
    assert desk.at(inst) == "first_review" and desk.holders(inst) == ["pm_a", "pm_b"]   # A角 and B角, both
    desk.act("pm_a", "approve", inst, opinion="同意")
    with pytest.raises(ValidationError) as e:            # the step is not left without the due-diligence summary
        desk.act("pm_b", "approve", inst)
    assert set(e.value.errors) == {"due_diligence"}
    assert desk.holders(inst) == ["pm_b"]
    desk.act("pm_b", "approve", inst, values={"due_diligence": "经营稳定，现金流充足"})
    assert desk.at(inst) == "risk_review" and desk.holders(inst) == ["risk"]
    desk.risk_review(inst)
    assert desk.at(inst) == "committee" and desk.holders(inst) == COMMITTEE
    desk.vote(inst, c1="approve", c2="approve", c3="abstain")
    assert desk.at(inst) == "committee"                  # the chair may still veto
    desk.vote(inst, gm="approve")
    assert desk.at(inst) == "fee"                        # 3,000,000 is not above 5,000,000: no GM step
    rec = desk.record(inst)
    assert rec["needs_gm_approval"] is False and rec["approved_on"] == date(2026, 3, 15)
    assert rec["committee_date"] == date(2026, 3, 15) and "表决通过" in rec["committee_resolution"]
    assert desk.wf.tally(inst.id, "committee").approve == 3
    desk.after_approval(inst)
    assert desk.wf.instance(inst.id).state == "approved" and desk.at(inst) == "in_force"
    rec = desk.record(inst)
    assert rec["fee_paid"] is True and rec["fee_paid_on"] == date(2026, 3, 15)
    assert rec["balance"] == Decimal("2800000.00") and rec["maturity_date"] == date(2027, 3, 20)
    assert rec["applicant_name"] and rec["number"] == "DB202600001"
    steps = [a["to_step"] for a in desk.wf.timeline(inst.id) if a["action"] == "move"]
    assert steps == ["first_review", "risk_review", "committee", "fee", "signing", "release", "in_force"]


def test_above_the_gm_threshold_the_general_manager_approves(desk):
    inst = desk.start(amount="8000000")
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="approve")
    assert desk.at(inst) == "gm_approval" and desk.holders(inst) == ["gm"]
    desk.act("gm", "approve", inst, opinion="同意")
    assert desk.at(inst) == "fee"


def test_green_channel_skips_risk_review_and_committee(desk):
    inst = desk.start(renewal=True, amount="2000000")
    assert desk.record(inst)["green_channel"] is True
    desk.apply(inst)
    desk.first_review(inst)
    assert desk.at(inst) == "fee" and desk.holders(inst) == ["finance"]
    # the same renewal by a customer who has been overdue takes the whole road
    other = desk.start(renewal=True, overdue_history=True, amount="2000000")
    assert desk.record(other)["green_channel"] is False
    desk.apply(other)
    desk.first_review(other)
    assert desk.at(other) == "risk_review"
    # and so does a renewal above the green-channel limit (3,000,000)
    large = desk.start(renewal=True, amount="3000000.01")
    assert desk.record(large)["green_channel"] is False


def test_committee_rejects(desk):
    inst = desk.start()
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="reject", c2="reject")            # 2 approvals of 4 can no longer reach 2/3
    assert desk.wf.instance(inst.id).state == "rejected" and desk.at(inst) == "rejected"
    assert desk.holders(inst) == []
    resolution, = [a for a in desk.wf.timeline(inst.id) if a["action"] == "resolution"]
    assert resolution["data"]["result"] == "fail"


def test_chair_veto_rejects_alone(desk):
    inst = desk.start()
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="reject")
    assert desk.at(inst) == "rejected"


def test_committee_asks_to_reconsider_back_to_risk_review(desk):
    inst = desk.start()
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="reconsider", c2="reconsider", c3="reconsider")
    assert desk.at(inst) == "risk_review" and desk.holders(inst) == ["risk"]
    desk.risk_review(inst)                               # resubmitted, voted again
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="approve")
    assert desk.at(inst) == "fee"


def test_fee_refused_without_the_receipt_then_contract_numbered(desk):
    inst = desk.start(renewal=True, amount="1000000")   # green channel: straight to the fee
    desk.apply(inst)
    desk.first_review(inst)
    with pytest.raises(ValidationError) as e:
        desk.act("finance", "submit", inst)
    assert set(e.value.errors) == {"fee_receipt"}
    assert desk.at(inst) == "fee" and desk.record(inst)["fee_paid"] is False
    with pytest.raises(ValidationError):                 # only the step's fields may be changed
        desk.act("finance", "submit", inst, values={"fee_receipt": "SF-1", "amount": "1"})
    desk.act("finance", "submit", inst, values={"fee_receipt": "SF-1"})
    assert desk.at(inst) == "signing" and desk.holders(inst) == ["pm_a"]
    rec = desk.record(inst)              # numbered on entering, so the contract printed for signing has it
    assert rec["contract_no"] == "DBHT202600001" and rec["contract_date"] is None
    desk.act("pm_a", "submit", inst)
    rec = desk.record(inst)
    assert rec["contract_no"] == "DBHT202600001" and rec["contract_date"] == date(2026, 3, 15)
    assert desk.at(inst) == "release" and desk.holders(inst) == ["finance", "pm_a"]


def test_release_confirmation_requires_the_loan_and_puts_the_project_in_force(desk):
    inst = desk.start(renewal=True, amount="1000000", term_months=6)
    desk.apply(inst)
    desk.first_review(inst)
    desk.act("finance", "submit", inst, values={"fee_receipt": "SF-2"})
    desk.act("pm_a", "submit", inst)
    with pytest.raises(ValidationError) as e:
        desk.act("finance", "submit", inst, values={"loan_no": "JK-9"})
    assert set(e.value.errors) == {"release_date", "release_amount"}
    loan = {"loan_no": "JK-9", "release_date": "2026-03-18"}
    with pytest.raises(ValidationError) as e:            # not more than the guaranteed amount
        desk.act("finance", "submit", inst, values={**loan, "release_amount": "1000001"})
    assert "release_amount" in e.value.errors
    desk.act("finance", "submit", inst, values={**loan, "release_amount": "1000000"})
    rec = desk.record(inst)
    assert desk.at(inst) == "in_force" and desk.wf.instance(inst.id).state == "approved"
    assert rec["balance"] == Decimal("1000000.00") and rec["maturity_date"] == date(2026, 9, 18)
    assert desk.wf.todo("pm_a") == []                     # the other holder's task is closed


def test_withdrawn_and_risk_review_escalates_to_the_gm(desk, clock):
    inst = desk.start()
    desk.wf.withdraw(inst.id, desk.actor("desk"), "客户暂不需要")
    assert desk.wf.instance(inst.id).state == "withdrawn" and desk.at(inst) == "withdrawn"
    inst = desk.start()
    desk.apply(inst)
    desk.first_review(inst)
    desk.wf.run_deadlines(clock.now() + timedelta(days=3, minutes=1))
    assert "gm" in desk.holders(inst)
    desk.act("gm", "approve", inst, values={"risk_opinion": "总经理代为复审"})
    assert desk.at(inst) == "committee"


def test_sequential_flow_a_then_b_then_risk_then_gm(desk):
    inst = desk.start("guarantee_sequential", amount="1000000")
    desk.apply(inst)
    assert desk.at(inst) == "first_review" and desk.holders(inst) == ["pm_a"]       # B角 waits for A角
    desk.act("pm_a", "approve", inst, values={"due_diligence": "同意"})
    assert desk.holders(inst) == ["pm_b"]
    desk.act("pm_b", "approve", inst)
    desk.risk_review(inst)
    assert desk.at(inst) == "gm_approval"               # always, whatever the amount; no committee
    desk.act("gm", "approve", inst)
    desk.after_approval(inst)
    assert desk.at(inst) == "in_force"
    steps = [a["to_step"] for a in desk.wf.timeline(inst.id) if a["action"] == "move"]
    assert steps == ["first_review", "risk_review", "gm_approval", "fee", "signing", "release", "in_force"]


def test_initiating_pm_does_not_review_own_application(desk):
    inst = desk.start(initiator="pm_a")
    desk.act("pm_a", "submit", inst, values={"due_diligence": "A角尽调结论"})
    assert desk.holders(inst) == ["pm_b"]


def test_roles_on_projects(desk):
    inst = desk.start()
    rid = desk.wf.instance(inst.id).record_id
    for reader in ("c1", "gm", "finance", "risk"):
        assert desk.store.get("project", rid, actor=desk.actor(reader)).id == rid
    with pytest.raises(PermissionDenied):
        desk.store.create("project", {"amount": "1", "term_months": 1}, actor=desk.actor("finance"))
    with pytest.raises(ValidationError) as e:            # A角 and B角 are two people
        desk.store.create("project", {"enterprise": desk.company, "bank": desk.bank, "amount": "1",
                                      "term_months": 1, "pm_a": desk.uid("pm_a"), "pm_b": desk.uid("pm_a")},
                          actor=desk.actor("desk"))
    assert list(e.value.errors) == ["pm_b"]


def test_company_overlay_raises_the_gm_threshold_in_one_place(engine, clock, standard):
    desk = make_desk(engine, clock, [standard, read_pack_dir(PACKS / "threshold_overlay")])
    assert desk.store.meta.codelists["approval_threshold"].get("gm").data["amount"] == 10000000
    inst = desk.start(amount="8000000")                  # above the standard 5,000,000, below 10,000,000
    assert desk.record(inst)["needs_gm_approval"] is False
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="approve")
    assert desk.at(inst) == "fee"
    big = desk.start(amount="12000000")
    assert desk.record(big)["needs_gm_approval"] is True
