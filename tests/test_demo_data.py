"""The demo-data generator (core/demo_data.py, core/demo_bulk.py): sizes, every installed lifecycle
stage, valid records, the same data for a seed, and bulk documents equal to the store's."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from core import demo_data, metastore
from core.db import create_schema, make_engine, records, sequences
from core.demo_bulk import BulkWriter, insert_projects, project_docs
from core.query import Query, count, find
from core.store import Store
from plugins.manager import build_registry

POST_LOAN = {"in_force", "overdue", "released", "compensated", "written_off"}
APPROVAL = set(demo_data.APPROVAL_WEIGHTS)
EVERY = ("counter_guarantee", "customer_deposit", "ledger_entry", "enterprise_change")
SKIP_KEYS = {"number", "contract_no", "project", "bank_proof", "documents"}   # differ by design


def make_store(engine, clock, standard) -> Store:
    inst = metastore.install(engine, [standard], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version, registry=build_registry())


def docs(engine, entity: str) -> list[dict]:
    with engine.connect() as c:
        return [r.data for r in c.execute(select(records.c.data).where(records.c.entity == entity)
                                          .order_by(records.c.id))]


def revalidate(store: Store, entity: str, n: int = 15) -> None:
    """A sample of the entity's records saved again through the store: no errors."""
    for rec in find(store.engine, store.meta, Query(entity, limit=n, sort=["-id"])):
        p = store.preview(entity, {}, record_id=rec.id)
        assert not p.errors, (entity, rec.id, p.errors)


def test_plan_and_sizes():
    assert sum(demo_data.plan(13).values()) == 13 and all(demo_data.plan(13).values())
    assert demo_data.plan(1000) == {"in_force": 480, "overdue": 100, "released": 300, "compensated": 70,
                                    "written_off": 50}
    assert demo_data.sizes(1000) == {"enterprise_customer": 350, "individual_customer": 150, "bank": 10}


def test_write_mode(engine, clock, standard):
    store = make_store(engine, clock, standard)
    report = demo_data.generate(store, 30, seed=3)
    assert report.skipped == []
    assert report.records["project"] == 30 == count(engine, store.meta, Query("project"))
    for entity, n in demo_data.sizes(30).items():
        assert report.records[entity] == n == count(engine, store.meta, Query(entity))
    projects = [r.values for r in find(engine, store.meta, Query("project", limit=100))]
    statuses = Counter(p["status"] for p in projects)
    assert {"application", "committee", "in_force", "rejected", "released", "compensated", "written_off"} <= set(statuses)
    assert POST_LOAN <= set(report.stages)
    overdue = [p for p in projects if p.get("days_overdue")]
    assert overdue and all(p["current_class"] in ("special_mention", "substandard", "doubtful", "loss") for p in overdue)
    compensated = [p for p in projects if p["status"] in ("compensated", "written_off")]
    assert compensated and all(p["compensated"] > 0 for p in compensated)
    assert all(p["balance"] == 0 for p in projects if p["status"] == "released")
    written = next(p for p in projects if p["status"] == "written_off")
    assert written["compensation_balance"] == 0                       # recovered + written off = compensated
    enterprise = find(engine, store.meta, Query("enterprise_customer", limit=1))[0].values
    assert [s["period_type"] for s in enterprise["financial_statements"]][:3] == ["year"] * 3
    assert store.history("project", find(engine, store.meta, Query("project", limit=1))[0].id)
    # the company's net assets, so the regulatory figures and the dashboard have their ratios
    [books] = [r.values for r in find(engine, store.meta, Query("company_finance"))]
    assert books["net_assets"] == demo_data.NET_ASSETS and books["period_end"] == date(2025, 12, 31)
    from core.regulatory import company_figures
    assert company_figures(store, clock.today()).leverage is not None
    for entity in ("project", "enterprise_customer", "repayment", "followup", "classification", "compensation",
                   "recovery", "write_off", "guarantee_release") + EVERY:
        assert count(engine, store.meta, Query(entity)) > 0, entity
        revalidate(store, entity, 8)


def test_bulk_mode(engine, clock, standard):
    store = make_store(engine, clock, standard)
    report = demo_data.generate(store, 400, seed=5, bulk=True, batch=150)
    assert report.records["project"] == 400 == count(engine, store.meta, Query("project"))
    assert report.stages == demo_data.bulk_plan(400)
    assert set(report.stages) == POST_LOAN | APPROVAL and sum(report.stages.values()) == 400
    for entity, n in demo_data.sizes(400).items():
        assert count(engine, store.meta, Query(entity)) == n
    for entity in ("repayment", "followup", "classification", "compensation", "recovery", "write_off",
                   "guarantee_release") + EVERY:
        assert report.records[entity] == count(engine, store.meta, Query(entity)) > 0
        revalidate(store, entity)
    revalidate(store, "project", 40)
    projects = [r.values for r in find(engine, store.meta, Query("project", limit=1000))]
    assert APPROVAL <= {p["status"] for p in projects}
    assert not any(p.get("contract_no") for p in projects if p["status"] in ("application", "committee"))
    # counter-guarantees: coverage spread around 100 %, some below
    covered = [p["cg_coverage"] for p in projects if p.get("cg_coverage") is not None and p["status"] != "released"]
    assert sum(c < 100 for c in covered) > 10 and sum(c >= 100 for c in covered) > 10
    assert all(p["cg_count"] >= 1 for p in projects if p["status"] in ("in_force", "compensated"))
    # deposits received and returned or offset, never overdrawn
    assert all(p["deposit_balance"] == 0 for p in projects if p["status"] == "released")
    assert any(p["deposit_balance"] > 0 for p in projects if p["status"] == "in_force")
    ledger = Counter((r.values["kind"], r.values["status"]) for r in find(engine, store.meta, Query("ledger_entry", limit=10_000)))
    assert {k for k, st in ledger if st == "posted"} >= {"guarantee_fee", "customer_deposit_in", "loan_release", "release",
                                                          "customer_deposit_out", "compensation", "recovery", "write_off"}
    assert {st for _, st in ledger} >= {"posted", "draft", "risk_review", "finance_review"}
    changes = [r.values for r in find(engine, store.meta, Query("enterprise_change", limit=10_000))]
    recent = [c for c in changes if (clock.today() - c["changed_on"]).days < 90]
    assert {"lawsuit", "key_person"} <= {c["kind"] for c in recent}
    revalidate(store, "enterprise_customer")
    # child rows are mirrored, numbers continue after the bulk load
    from core.query import Filter
    distressed = count(engine, store.meta, Query("enterprise_customer", filters=[
        Filter("financial_statements.debt_ratio", "gt", 70)]))
    assert 0 < distressed < 140
    with engine.connect() as c:
        assert c.execute(select(sequences.c.value).where(sequences.c.name.like("project:number:%"))).first()
    before = {p.values["number"] for p in find(engine, store.meta, Query("project", limit=1000))}
    ent = find(engine, store.meta, Query("enterprise_customer", limit=1))[0]
    bank = find(engine, store.meta, Query("bank", limit=1))[0]
    new = store.create("project", {"enterprise": ent.id, "bank": bank.id, "amount": 1000000, "term_months": 12})
    assert new.values["number"] not in before


def test_same_seed_same_data(clock, standard, tmp_path):
    def load(name, seed):
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        create_schema(engine)
        demo_data.generate(make_store(engine, clock, standard), 60, seed=seed, bulk=True)
        out = {e: docs(engine, e) for e in ("enterprise_customer", "project", "repayment", "recovery")}
        engine.dispose()
        return out
    first = load("a.sqlite", 11)
    assert first == load("b.sqlite", 11)
    assert first != load("c.sqlite", 12)


@pytest.mark.parametrize("stage", sorted(POST_LOAN) + ["committee", "signing"])
def test_bulk_documents_equal_the_stores(engine, clock, standard, stage):
    store = make_store(engine, clock, standard)
    demo_data.generate(store, 0, seed=1, bulk=True)           # customers, banks and users only
    refs = demo_data.refs_of(store)
    names = {(e, i): {"id": i, "name": n} for e, pairs in (("enterprise_customer", refs.enterprises),
                                                           ("individual_customer", refs.individuals)) for i, n in pairs}
    today = clock.today()
    for seed in range(2):
        bundle = demo_data.project_bundle(store.meta, random.Random(seed), today, stage, refs,
                                          demo_data.gm_limit(store))
        pid, child_ids = demo_data.write_bundle(store, bundle)              # the store's write path
        w = BulkWriter(store, today)
        with store.transaction() as conn:
            made = [(clock.now(), *project_docs(w, conn, bundle, names, clock.now()))]
            bulk_pid, = insert_projects(w, conn, made)
            w.finish(conn)
        with engine.connect() as c:
            def doc(rid):
                data = c.execute(select(records.c.data).where(records.c.id == rid)).scalar_one()
                out = {k: v for k, v in data.items() if k not in SKIP_KEYS}
                if "attachments" in out:     # bulk mode shares one file: compare what each is for
                    out["attachments"] = [r.get("doc") for r in out["attachments"]]
                return out
            assert doc(bulk_pid) == doc(pid)
            bulk_children = c.execute(select(records.c.id).where(records.c.entity != "project")
                                      .where(records.c.id > bulk_pid).order_by(records.c.id)).scalars().all()

            def by_entity(ids):     # bulk mode inserts entity by entity, the store in the bundle's order
                out: dict = {}
                for i in ids:
                    entity = c.execute(select(records.c.entity).where(records.c.id == i)).scalar_one()
                    out.setdefault(entity, []).append(doc(i))
                return out
            mine, theirs = by_entity(bulk_children), by_entity(child_ids)
            assert mine == theirs
            assert {"counter_guarantee", "ledger_entry"} <= set(mine) or stage in ("committee", "signing")
