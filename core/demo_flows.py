"""Demo guarantee projects in every stage of the standard flows, with their workflow instances.

Each project is created by the demo project manager A角 (`pm_a`) and driven through the standard
pack's workflow by the demo users themselves, action by action, so the to-do lists, histories and
records are exactly what the screens would have produced: `pm_a` has applications to submit,
`pm_b` first reviews, `risk` second reviews, the committee members votes, `gm` approvals, `finance`
fees, and some projects are in force, one rejected. Everything goes through the Store and the
workflow engine; the same random generator state gives the same projects.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from . import sampledata
from .files import attach, save_upload
from .query import Query, find
from .store import Actor, Store
from .users import list_users
from .workflow import Workflows

# (workflow, the step to stop at, what the project looks like); "rejected" is reached by a failed vote
PLAN: tuple[tuple[str, str, str], ...] = (
    ("guarantee", "application", "plain"),
    ("guarantee", "application", "plain"),
    ("guarantee", "first_review", "plain"),
    ("guarantee", "risk_review", "plain"),
    ("guarantee", "risk_review", "plain"),
    ("guarantee", "committee", "plain"),
    ("guarantee", "committee", "first_vote"),
    ("guarantee", "gm_approval", "large"),
    ("guarantee", "fee", "plain"),
    ("guarantee", "fee", "green"),
    ("guarantee", "signing", "plain"),
    ("guarantee", "release", "plain"),
    ("guarantee", "in_force", "plain"),
    ("guarantee", "in_force", "large"),
    ("guarantee", "in_force", "green"),
    ("guarantee_sequential", "in_force", "plain"),
    ("guarantee", "rejected", "plain"),
)
AMOUNTS = (500_000, 800_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 4_000_000)
PURPOSES = ("流动资金周转", "采购原材料", "设备购置", "支付工程款", "扩大经营规模", "偿还到期贷款（续贷）")
INITIATOR = "pm_a"
PDF = b"%PDF-1.4\n% danbao demo attachment\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class Documents:
    """The value of a project's attachment field in generated data: one PDF for each of the
    product's required documents `codes`, marked with its code (core/required_documents.py)."""
    codes: tuple[str, ...]

    def refs(self, ref_of) -> list[dict]:
        """The stored references: `ref_of(code)` stores (or shares) a file for a code."""
        return [{**ref_of(code), "doc": code} for code in self.codes]


def product_for(meta, rng, values: dict, workflow: str | None = None):
    """A product of the project entity for the values' business type (running `workflow`, when
    given) whose limits the values meet, chosen at random; None when none fits."""
    def within(p) -> bool:
        return all(values.get(f) is None or ((lim.min is None or Decimal(values[f]) >= lim.min)
                                             and (lim.max is None or Decimal(values[f]) <= lim.max))
                   for f, lim in p.limits.items())
    fits = [p for _, p in sorted(meta.kinds.get("products", {}).items())
            if p.entity == "project" and p.business_type == values.get("business_type")
            and (workflow is None or p.workflow == workflow) and within(p)]
    return rng.choice(fits) if fits else None


def with_product(meta, rng, values: dict, workflow: str | None = None, documents: float = 1.0) -> dict:
    """The values with a fitting product and its documents (a share `documents` of them, the
    first ones) when the pack has one."""
    product = product_for(meta, rng, values, workflow) if meta.entity("project").has("product") else None
    if product is None:
        return values
    codes = tuple(d.code for d in product.documents)[:round(len(product.documents) * documents)]
    return {**values, "product": product.name, **({"attachments": Documents(codes)} if codes else {})}


def can_load(store: Store) -> bool:
    """The installed metadata has the standard project and flows."""
    flows = store.meta.kinds.get("workflows", {})
    return "project" in store.meta.entities and all(name in flows for name, _, _ in PLAN)


def load_projects(store: Store, rng: random.Random, today: date) -> int:
    """Create the projects of PLAN and drive each to its stage (needs `can_load` and the demo
    users); returns how many were created."""
    users = {u.username: u for u in list_users(store.engine) if u.active}
    if not {"pm_a", "pm_b", "committee1"} <= set(users):
        return 0
    actors = {name: Actor(name, u.roles) for name, u in users.items()}
    wf = Workflows(store)
    enterprises = [r.id for r in find(store.engine, store.meta, Query("enterprise_customer", limit=500))]
    individuals = [r.id for r in find(store.engine, store.meta, Query("individual_customer", limit=500))]
    banks = [r.id for r in find(store.engine, store.meta, Query("bank", limit=100))]
    if not enterprises or not individuals:
        return 0
    gm_limit = Decimal(str(store.functions["LOOKUP"]("approval_threshold", "gm", "amount") or 5_000_000))
    for workflow, target, kind in PLAN:
        values = _application(rng, kind, enterprises, individuals, banks, gm_limit, users)
        # an application not yet submitted may still lack documents; later steps have them all
        values = with_product(store.meta, rng, values, workflow, 0.5 if target == "application" else 1.0)
        with store.transaction() as conn:
            if isinstance(values.get("attachments"), Documents):
                values["attachments"] = values["attachments"].refs(lambda code: document_pdf(store, conn, code))
            rec = store.create("project", values, actor=actors[INITIATOR], conn=conn)
            attach(conn, "project", rec.id, rec.values)
        for cg in _counter_guarantees(store, rng, rec.values, today):
            store.create("counter_guarantee", {**cg, "project": rec.id}, actor=actors[INITIATOR])
        inst = wf.start("project", rec.id, workflow, actors[INITIATOR])
        _drive(wf, inst.id, target, kind, actors, rng, today)
    return len(PLAN)


def document_pdf(store: Store, conn, code: str) -> dict:
    return save_upload(conn, entity="project", field="attachments", name=f"{code}.pdf",
                       content_type="application/pdf", data=PDF, uploaded_by=INITIATOR, clock=store.clock)


def _application(rng, kind, enterprises, individuals, banks, gm_limit, users) -> dict:
    person = rng.random() < 0.25
    values = {
        "customer_type": "individual" if person else "enterprise",
        "business_type": "loan",
        "bank": rng.choice(banks) if banks else None,
        "amount": Decimal(rng.choice(AMOUNTS)),
        "term_months": rng.choice((6, 12, 12, 24, 36)),
        "purpose": rng.choice(PURPOSES),
        "repayment_method": rng.choice(("monthly_interest", "quarterly_interest", "equal_installment")),
        "pm_a": users["pm_a"].id,
        "pm_b": users["pm_b"].id,
        "department": users["pm_a"].department,
        "renewal": kind == "green" or rng.random() < 0.2,
        "overdue_history": False,
    }
    values["individual" if person else "enterprise"] = rng.choice(individuals if person else enterprises)
    if kind == "large":
        values["amount"] = gm_limit + Decimal(rng.choice((1_000_000, 3_000_000, 5_000_000)))
    elif kind == "green":
        values["amount"] = Decimal(rng.choice((500_000, 1_000_000)))
    else:   # the committee path: not a green-channel case
        values["overdue_history"] = values["renewal"]
    return {k: v for k, v in values.items() if v is not None}


COLLATERAL = (("residential", "西湖区文三路{n}号{m}室住宅"), ("commercial", "上城区解放路{n}号商铺"),
              ("industrial", "萧山经济技术开发区{n}号厂房"), ("land", "余杭区仓前街道{n}号地块"))


def _counter_guarantees(store: Store, rng, project: dict, today: date) -> list[dict]:
    """A mortgage worth 1.2–2 times the amount and, half the time, a person's surety (the
    counter_guarantee records of the standard pack, when it has them)."""
    if "counter_guarantee" not in store.meta.entities:
        return []
    kind, where = rng.choice(COLLATERAL)
    appraised = (project["amount"] * Decimal(rng.choice(("1.2", "1.5", "1.8", "2")))).quantize(Decimal("1"))
    out = [{"kind": "mortgage", "provider": project.get("applicant_name") or "申请人", "collateral_type": kind,
            "location": where.format(n=rng.randint(1, 300), m=rng.randint(101, 2802)),
            "property_cert_no": f"浙({today.year - rng.randint(1, 8)})杭州市不动产权第{rng.randint(1, 99999):07d}号",
            "appraiser": "浙江中联资产评估有限公司", "appraised_value": appraised,
            "appraisal_date": today - timedelta(days=rng.randint(10, 60)), "status": "effective",
            "registration_status": "registered"}]
    if rng.random() < 0.5:
        person = sampledata.person(rng, today)
        out.append({"kind": "surety", "provider": person["name"], "guarantor_type": "person",
                    "guarantor_id_number": person["id_number"], "guarantor_relation": "actual_controller",
                    "net_worth": Decimal(rng.randint(20, 300) * 10000), "status": "effective"})
    return out


def _drive(wf: Workflows, instance_id: int, target: str, kind: str, actors: dict, rng, today: date) -> None:
    """Act as the holders of each step until the instance reaches `target`."""
    inst = wf.instance(instance_id)
    while inst.running and inst.step != target:
        record = wf.store.get("project", inst.record_id).values
        for task in [t for t in wf.tasks(instance_id) if t.state == "open" and t.kind != "cc"]:
            action, values, extra = _step_action(inst.step, target, record, rng, today, instance_id)
            wf.act(task.id, actors[task.assignee], action, values=values, **extra)
            if wf.instance(instance_id).step != inst.step:
                break
        inst = wf.instance(instance_id)
    if kind == "first_vote":    # the meeting has begun: one member has voted
        vote, = [t for t in wf.tasks(instance_id) if t.assignee == "committee1" and t.state == "open"]
        wf.act(vote.id, actors["committee1"], "vote", choice="approve", opinion="同意")


def _step_action(step: str, target: str, record: dict, rng, today: date, instance_id: int):
    """(action, values, extra keyword arguments) for a holder of `step`."""
    if step == "committee":
        if target == "rejected":
            return "vote", None, {"choice": "reject", "opinion": "不同意，反担保措施不足"}
        return "vote", None, {"choice": "approve", "opinion": "同意"}
    if step == "application":
        return "submit", None, {"opinion": "请审批"}
    if step == "first_review":
        return "approve", {"due_diligence": "实地走访，经营正常，现金流可覆盖还款"}, {"opinion": "同意"}
    if step == "risk_review":
        return "approve", {"risk_opinion": "风险可控，同意提交审保会"}, {"opinion": "同意"}
    if step == "fee":   # 1.5% a year of the amount
        fee = (record["amount"] * Decimal("0.015") * record["term_months"] / 12).quantize(Decimal("0.01"))
        return "submit", {"fee_receipt": f"SF{today:%Y%m%d}{instance_id:04d}", "fee_amount": fee}, {}
    if step == "release":
        released = today - timedelta(days=rng.randint(5, 200))
        return "submit", {"loan_no": f"JK{released:%Y%m%d}{instance_id:04d}", "release_date": released,
                          "release_amount": record["amount"]}, {}
    return ("submit" if step == "signing" else "approve"), None, {"opinion": "同意"}
