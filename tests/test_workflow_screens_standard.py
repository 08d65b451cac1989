"""The standard pack's guarantee flow through the screens, over HTTP, by the demo users in their demo
roles (core/demo.py): the project manager A角 creates the project with the record form and submits
it from the panel, B角 reviews (A角 may not review their own application), risk control reviews, the
committee votes on the committee screen, finance enters the fee receipt, the A角 signs (the
contract is numbered) and confirms the release: in force. And the green channel, from the first
review straight to the fee. (seed/standard; docs/workflow.md, "The standard flows")"""
from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from core import metastore, sampledata
from core.db import users
from core.demo import create_demo_users
from core.store import Store
from core.users import get_user
from core.workflow import Workflows
from ui.app import create_app

from .test_workflow_fixtures import PASSWORD
from .test_workflow_screens_fixtures import Site, task_ids, text
from .test_workflow_screens_votes import vote


class Office:
    """The standard pack behind the app, the demo users signed in on demand."""

    def __init__(self, engine, clock, tmp_path, standard, *overlays):
        installed = metastore.install(engine, [standard, *overlays], clock=clock)
        self.store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
        self.wf = Workflows(self.store)
        create_demo_users(engine)
        with engine.begin() as c:           # a cheap hash: many sign-ins
            c.execute(update(users).values(password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")))
        self.company = self.store.create("enterprise_customer", sampledata.enterprise(random.Random(5), clock.today())).id
        self.bank = self.store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
        app = create_app({"ENGINE": engine, "SECRET_KEY": "standard-flow", "CLOCK": clock, "INSTANCE_DIR": str(tmp_path)})
        self.site = Site(None, app)
        self.engine = engine

    def uid(self, username: str) -> str:
        return str(get_user(self.engine, username=username).id)

    def create(self, **values) -> int:
        """pm_a creates a project with the record form: its id."""
        form = {"customer_type": "enterprise", "enterprise": str(self.company), "business_type": "loan",
                "bank": str(self.bank), "amount": "3,000,000", "term_months": "12", "purpose": "流动资金周转",
                "repayment_method": "monthly_interest", "pm_a": self.uid("pm_a"), "pm_b": self.uid("pm_b"),
                "department": "business_1", **values}
        resp = self.site.as_("pm_a").post("/e/project/new", form, htmx=False)
        assert resp.status_code == 302, text(resp)[:3000]
        return int(re.search(r"/e/project/(\d+)$", resp.headers["Location"]).group(1))

    def apply(self, **values) -> int:
        """pm_a creates a project with the record form and submits it for approval from its panel."""
        record_id = self.create(**values)
        resp = self.site.as_("pm_a").post(f"/flow/start/project/{record_id}", {"_wf_workflow": "guarantee"})
        assert resp.status_code == 200 and 'id="flow-step">申请<' in text(resp)
        return record_id

    def act(self, username: str, record_id: int, action: str, **form) -> str:
        """`username` acts on their one open task from the record's panel."""
        browser = self.site.as_(username)
        (task,) = task_ids(browser.panel(record_id))
        resp = browser.act(task, action, **form)
        assert resp.status_code == 200, text(resp)[:3000]
        return text(resp)

    def instance(self, record_id: int):
        return self.wf.instance_for("project", record_id)

    def step(self, record_id: int) -> str:
        return self.instance(record_id).step

    def record(self, record_id: int) -> dict:
        return self.store.get("project", record_id).values


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Office(engine, clock, tmp_path, standard)


def fee_sign_release(office, rid: int, released: str = "2,800,000") -> str:
    """收费 → 签约 → 放款确认, each by its demo user with the data the step requires."""
    assert office.step(rid) == "fee"
    html = office.site.as_("finance").panel(rid)
    assert 'id="f-fee_receipt"' in html and 'id="f-fee_amount"' in html
    office.act("finance", rid, "submit", _wf_opinion="评审费及担保费已收", fee_receipt="SF-2026-001", fee_amount="45,000")
    assert office.step(rid) == "signing"
    office.act("pm_a", rid, "submit", _wf_opinion="合同已签署")
    contract = office.record(rid)["contract_no"]
    assert re.fullmatch(r"DBHT2026\d{5}", contract or "")
    assert office.step(rid) == "release"
    return office.act("pm_a", rid, "submit", _wf_opinion="银行已放款", loan_no="JK-2026-018",
                      release_date="2026-03-20", release_amount=released)


def test_the_standard_flow_from_application_to_in_force(office):
    rid = office.apply()
    office.act("pm_a", rid, "submit", _wf_opinion="资料齐全，请审批")
    assert office.step(rid) == "first_review"
    assert task_ids(office.site.as_("pm_a").panel(rid)) == []          # no self-review: B角 reviews alone
    office.act("pm_b", rid, "approve", _wf_opinion="同意", due_diligence="经营稳定，现金流充足")
    assert office.step(rid) == "risk_review"
    office.act("risk", rid, "approve", risk_opinion="风险可控，同意上会")
    assert office.step(rid) == "committee"
    inst = office.instance(rid)
    for member in ("committee1", "committee2", "committee3"):
        vote(office.site, inst, member, "approve", f"{member} 同意")
    assert office.step(rid) == "committee"                              # the chair may still veto
    body = vote(office.site, inst, "gm", "approve", "同意，落实反担保")
    assert 'id="committee-result">通过<' in body
    html = fee_sign_release(office, rid)                                 # 3,000,000: no GM approval step
    assert 'id="flow-state">已通过' in html and "在保" in html
    values = office.record(rid)
    assert values["status"] == "in_force" and values["balance"] == Decimal("2800000.00")
    assert values["fee_receipt"] == "SF-2026-001" and values["fee_paid"] is True
    assert values["maturity_date"] == date(2027, 3, 20) and "表决通过" in values["committee_resolution"]
    page = text(office.site.as_("gm").get(f"/e/project/{rid}"))
    assert values["contract_no"] in page and "在保" in page
    steps = [a["to_step"] for a in office.wf.timeline(inst.id) if a["action"] == "move"]
    assert steps == ["first_review", "risk_review", "committee", "fee", "signing", "release", "in_force"]
    done = text(office.site.as_("committee1").get("/flow/done"))
    assert "审保会" in done and "赞成" in done


def test_the_green_channel_skips_the_risk_review_and_the_committee(office):
    rid = office.apply(renewal="true", overdue_history="false", amount="2,000,000")
    assert office.record(rid)["green_channel"] is True
    office.act("pm_a", rid, "submit")
    office.act("pm_b", rid, "approve", due_diligence="续贷客户，历史还款良好")
    assert office.step(rid) == "fee"
    html = fee_sign_release(office, rid, released="1,800,000")
    assert 'id="flow-state">已通过' in html
    inst = office.instance(rid)
    steps = [a["to_step"] for a in office.wf.timeline(inst.id) if a["action"] == "move"]
    assert steps == ["first_review", "fee", "signing", "release", "in_force"]
    assert office.record(rid)["balance"] == Decimal("1800000.00")
