"""The demo's guarantee projects (core/demo_flows.py): every stage of the standard flows, each demo
user with something to do, written through the Store and the workflow engine, the same for a seed."""
from __future__ import annotations

from collections import Counter

import pytest

from core import metastore
from core.db import create_schema, make_engine
from core.demo import load_demo
from core.query import Filter, Query, find
from core.required_documents import checklist
from core.store import Store
from core.workflow import Workflows
from plugins.manager import build_registry


def demo_store(engine, clock, standard) -> Store:
    inst = metastore.install(engine, [standard], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version, registry=build_registry())
    load_demo(store, seed=7, enterprises=6, individuals=4, banks=2)
    return store


def projects(store: Store) -> list[dict]:
    return [{**r.values, "id": r.id} for r in find(store.engine, store.meta, Query("project", sort=["number"], limit=100))]


@pytest.fixture
def store(engine, clock, standard):
    return demo_store(engine, clock, standard)


def test_every_demo_user_has_work_and_every_stage_has_projects(store):
    wf = Workflows(store)
    todo = {u: Counter(i.instance.step for i in wf.todo(u))
            for u in ("pm_a", "pm_b", "risk", "committee1", "committee2", "committee3", "gm", "finance")}
    assert todo["pm_a"]["application"] == 2 and todo["pm_a"]["signing"] == 1
    assert todo["pm_b"]["first_review"] == 1
    assert todo["risk"]["risk_review"] == 2
    assert todo["committee1"]["committee"] == 1           # has voted on the other meeting already
    assert todo["committee2"]["committee"] == todo["committee3"]["committee"] == todo["gm"]["committee"] == 2
    assert todo["gm"]["gm_approval"] == 1
    assert todo["finance"]["fee"] == 2 and todo["finance"]["release"] == 1
    # projects in every stage, written by the flow
    rows = projects(store)
    stages = Counter(p["status"] for p in rows)
    assert stages == {"application": 2, "first_review": 1, "risk_review": 2, "committee": 2, "gm_approval": 1,
                      "fee": 2, "signing": 1, "release": 1, "in_force": 4, "rejected": 1}
    in_force = [p for p in rows if p["status"] == "in_force"]
    assert all(p["contract_no"] and p["fee_paid"] and p["balance"] == p["release_amount"] > 0 for p in in_force)
    assert any(p["green_channel"] for p in in_force) and any(p["needs_gm_approval"] for p in in_force)
    assert all(p["applicant_name"] for p in rows)
    rejected = next(p for p in rows if p["status"] == "rejected")
    inst = wf.instance_for("project", rejected["id"])
    assert inst.state == "rejected"
    actors = {a["actor"] for a in wf.timeline(inst.id)}
    assert {"pm_a", "pm_b", "risk", "committee1", "committee2"} <= actors    # acted by the people, not raw SQL
    history = store.history("project", rejected["id"])
    assert len(history) > 3


def test_demo_projects_run_their_products_with_their_documents(store):
    wf = Workflows(store)
    rows = projects(store)
    assert all(p["product"] for p in rows)
    assert {p["product"] for p in rows} == {"working_capital_loan", "sme_loan"}
    for p in rows:
        product = store.meta.kinds["products"][p["product"]]
        assert wf.instance_for("project", p["id"]).workflow == product.workflow
        present = [s.present for s in checklist(store.meta, "project", p)]
        # drafts not yet submitted lack some documents; every project past 申请 has them all
        assert all(present) if p["status"] != "application" else not all(present)
    # the fee schedule of a project past 收费 comes from its product's fee rules
    paid = next(p for p in rows if p["status"] == "in_force")
    fees = find(store.engine, store.meta, Query("fee_schedule", [Filter("project", "eq", paid["id"])], limit=50))
    assert {r.values["rule"] for r in fees} >= {f.name for f in store.meta.kinds["products"][paid["product"]].fees
                                                if f.kind == "guarantee_fee"}


def test_same_seed_same_projects(store, clock, standard, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'again.sqlite'}")
    create_schema(other)
    again = demo_store(other, clock, standard)
    keys = ("number", "status", "amount", "applicant_name", "term_months", "contract_no", "release_date")
    assert [[p[k] for k in keys] for p in projects(store)] == [[p[k] for k in keys] for p in projects(again)]
    other.dispose()
