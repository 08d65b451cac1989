"""The edit form's fast path (core/edit_state.py) against the full `Store.preview`: for records of
the standard pack the two must give the same values, field states (hidden, required_if,
readonly_if, child rows) and errors, and the fast path must step aside whenever it could not."""
from __future__ import annotations

import random
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from core import metastore
from core.checksums import make_id_number, make_uscc
from core.clock import FixedClock
from core import demo, demo_flows
from core.edit_state import field_states, preview_stored, stored_states, volatile
from core.store import SYSTEM, Actor, Store
from core.users import create_user
from metadata.source import PackSource
from plugins.manager import build_registry
from ui.app import create_app

ACTOR = Actor("li", roles=["pm", "risk", "gm", "finance", "legal", "admin", "committee", "chair", "dept_head"])


def _id(seq: int, gender: str = "male") -> str:
    return make_id_number("330106", date(1976, 5, 4), seq, gender)


def enterprise(name: str, n: int, *, unlimited: bool, premises: str, shareholders, statements=(), loans=()) -> dict:
    d = {"name": name, "uscc": make_uscc(f"91330106MA2B3C4D{n}"), "legal_rep": "陈志远",
         "company_type": "private", "industry": "C34", "region": "330106", "status": "active",
         "registered_capital": Decimal("5000000"), "paid_in_capital": Decimal("4000000"),
         "established_on": date(2009, 4, 21), "business_term_unlimited": unlimited, "premises": premises}
    if not unlimited:
        d["business_term_end"] = date(2039, 4, 20)
    if premises == "leased":
        d["lease_end"] = date(2029, 12, 31)
    d["shareholders"] = list(shareholders)
    d["financial_statements"] = list(statements)
    d["loans"] = list(loans)
    return d


def person(name, share, seq):
    return {"name": name, "kind": "person", "id_number": _id(seq), "share": Decimal(share)}


def company(name, share, body):
    return {"name": name, "kind": "company", "uscc": make_uscc(body), "share": Decimal(share)}


def statement(period, audited):
    m = Decimal(1_000_000)
    row = {"period": period, "period_type": "year", "audited": audited, "total_assets": 150 * m,
           "current_assets": 80 * m, "inventory": 20 * m, "total_liabilities": 75 * m,
           "current_liabilities": 50 * m, "net_assets": 75 * m, "revenue": 160 * m}
    if audited:
        row["auditor"] = "天健会计师事务所"
    return row


ENTERPRISES = [
    enterprise("杭州恒信精密机械有限公司", 1, unlimited=True, premises="leased",
               shareholders=[company("杭州恒信控股集团有限公司", "45", "91330100MA27XY123"),
                             person("陈志远", "25", 31), person("王晓梅", "12.5", 42)],
               statements=[statement(date(2023, 12, 31), True), statement(date(2024, 12, 31), False)],
               loans=[{"lender": "杭州银行", "amount": Decimal("3000000"), "balance": Decimal("2500000"),
                       "guarantee_method": "guarantee", "guarantor": "杭州恒信控股集团有限公司"},
                      {"lender": "工商银行", "amount": Decimal("1000000"), "balance": Decimal("800000"),
                       "guarantee_method": "credit"}]),
    enterprise("宁波海曙织造有限公司", 2, unlimited=False, premises="owned",
               shareholders=[person("刘建国", "60", 17), person("赵敏", "40", 18)]),
    enterprise("温州瓯海五金有限公司", 3, unlimited=False, premises="leased", shareholders=[]),
]


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 15, 9, 30))


@pytest.fixture
def store(engine, clock, standard):
    """Records of the standard pack: the enterprises above, generated customers and banks, two
    projects (not taken through their flow) and a repayment entered and one confirmed."""
    inst = metastore.install(engine, [standard], clock=clock)
    st = Store(engine, inst.meta, clock=clock, meta_version=inst.version, registry=build_registry())
    rng, today, meta = random.Random(5), clock.today(), st.meta
    users = {name: create_user(engine, name, name=name, roles=["pm"], department="business_1")
             for name in ("pm_a", "pm_b")}
    for data in ENTERPRISES:
        st.create("enterprise_customer", data, actor=ACTOR)
    for _ in range(2):
        st.create("enterprise_customer", demo.enterprise_values(meta, rng, today), actor=SYSTEM)
        st.create("individual_customer", demo.individual_values(meta, rng, today), actor=SYSTEM)
    used: set = set()
    banks = [st.create("bank", demo.bank_values(meta, rng, today, used), actor=SYSTEM).id for _ in range(2)]
    enterprises = [r.id for r in _records(st, "enterprise_customer")]
    individuals = [r.id for r in _records(st, "individual_customer")]
    project = meta.entity("project")
    in_force = {k: v for k, v in {"balance": Decimal("100000"), "release_amount": Decimal("100000")}.items()
                if project.has(k) and not project.field(k).is_computed}
    projects = [st.create("project", {**demo_flows._application(rng, kind, enterprises, individuals, banks,
                                                               Decimal(5_000_000), users), "status": status,
                                      **in_force}, actor=SYSTEM).id
                for kind, status in (("plain", "in_force"), ("large", "application"))]
    if "repayment" in meta.entities:
        for status in ("entered", "confirmed"):      # readonly_if: status != "entered"
            st.create("repayment", {"project": projects[0], "principal": Decimal("1000"), "status": status,
                                    "repaid_on": date(2026, 3, 1)}, actor=SYSTEM)
    return st


def _records(store, entity: str):
    from sqlalchemy import select

    from core.db import records
    with store.engine.connect() as c:
        ids = c.execute(select(records.c.id).where(records.c.entity == entity, records.c.deleted.is_(False))
                        .order_by(records.c.id)).scalars().all()
    return [store.get(entity, i) for i in ids]


def _all(store):
    for name in store.meta.entities:
        for rec in _records(store, name):
            yield name, rec


def test_fast_path_gives_exactly_the_full_preview_of_standard_records(store):
    """The state rules of the fast path against `validate._check_field`, on every record of the
    standard pack (whether or not its entity may take the fast path): they must not drift; and
    where the fast path answers, everything it answers is what the full preview gives."""
    seen = {"hidden": set(), "required_if": set(), "readonly_if": set(), "child": set()}
    n = 0
    for name, rec in _all(store):
        p = store.preview(name, {}, record_id=rec.id, actor=ACTOR)
        states, errors = field_states(store, name, rec, p.values, actor=ACTOR)
        assert states == p.states, (name, rec.id, {k: (v, p.states.get(k)) for k, v in states.items()
                                                   if p.states.get(k) != v})
        assert not errors
        entity = store.meta.entity(name)
        for path, st in states.items():
            parts = path.split(".")
            f = entity.field(parts[0]) if len(parts) == 1 else entity.field(parts[0]).child(parts[2])
            if not st.visible:
                seen["hidden"].add(f"{name}.{path}")
            if st.visible and st.required and not f.required:
                seen["required_if"].add(f"{name}.{path}")
            if st.visible and st.readonly and f.readonly_if and not (f.readonly or f.is_computed):
                seen["readonly_if"].add(f"{name}.{path}")
            if len(parts) == 3 and (f.visible_if or f.required_if or f.readonly_if):
                seen["child"].add(f"{name}.{path}")
        n += 1
    assert n >= 11
    assert all(seen.values()), {k: len(v) for k, v in seen.items()}
    taken = set()
    for name, rec in _all(store):
        fast = stored_states(store, name, rec, actor=ACTOR)
        if fast is None:
            continue
        full = store.preview(name, {}, record_id=rec.id, actor=ACTOR)
        assert repr(fast.values) == repr(full.values), (name, rec.id)
        assert fast.states == full.states, (name, rec.id)
        assert fast.errors == full.errors == {}
        assert fast.cleared == full.cleared == []
        taken.add(name)
    # enterprise customers (hidden fields, required_if, child rows with conditions) and banks take it
    assert {"enterprise_customer", "bank"} <= taken
    rich = next(r for r in _records(store, "enterprise_customer") if r["name"] == "杭州恒信精密机械有限公司")
    states = stored_states(store, "enterprise_customer", rich, actor=ACTOR).states
    assert not states["business_term_end"].visible and states["lease_end"].visible
    assert states["shareholders.0.uscc"].required and not states["shareholders.0.id_number"].visible
    assert states["shareholders.1.id_number"].required and not states["shareholders.1.uscc"].visible
    assert states["financial_statements.0.auditor"].visible and not states["financial_statements.1.auditor"].visible
    assert states["loans.0.guarantor"].visible and not states["loans.1.guarantor"].visible
    assert states["total_share"].readonly
    other = next(r for r in _records(store, "enterprise_customer") if r["name"] == "宁波海曙织造有限公司")
    states = stored_states(store, "enterprise_customer", other, actor=ACTOR).states
    assert states["business_term_end"].visible and states["business_term_end"].required
    assert not states["lease_end"].visible


def test_records_the_fast_path_cannot_answer_get_the_full_preview(store, engine, clock, standard):
    # a computed field that reads today's date (age) or a linked record (a project's applicant)
    for name in ("individual_customer", "project"):
        rec = _records(store, name)[0]
        assert stored_states(store, name, rec, actor=ACTOR) is None
        assert repr(preview_stored(store, name, rec, actor=ACTOR)) == \
            repr(store.preview(name, {}, record_id=rec.id, actor=ACTOR))
    # a rule that reads today's date is evaluated again: a clock before the founding date fails it
    rec = _records(store, "enterprise_customer")[0]
    early = Store(engine, store.meta, clock=FixedClock(datetime(1990, 1, 1)), meta_version=store.meta_version)
    assert stored_states(early, "enterprise_customer", rec, actor=ACTOR) is None
    p = preview_stored(early, "enterprise_customer", rec, actor=ACTOR)
    assert p.errors and p.errors == early.preview("enterprise_customer", {}, record_id=rec.id, actor=ACTOR).errors
    # written under another metadata version
    inst = metastore.install(engine, [standard, TIMED], clock=clock)
    newer = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    assert inst.version != rec.meta_version
    assert stored_states(newer, "enterprise_customer", rec, actor=ACTOR) is None


TIMED = PackSource("timed", {
    "pack.yaml": "name: timed\nversion: 1.0.0\n",
    "entities/offer.yaml": """
name: offer
label: {zh: 报价, en: Offer}
title_field: subject
permissions: {read: [pm], create: [pm], update: [pm], delete: [pm]}
fields:
  - {name: subject, type: text, label: {zh: 主题, en: Subject}}
  - {name: status, type: choice, label: {zh: 状态, en: Status}, options: [{value: open, label: 开放}, {value: closed, label: 关闭}]}
  - {name: amount, type: money, label: {zh: 金额, en: Amount}, readonly_if: status == "closed"}
  - {name: early_note, type: text, label: {zh: 早期备注, en: Early note}, visible_if: 'TODAY() < DATE(2026, 4, 1)'}
  - {name: owner_note, type: text, label: {zh: 经办备注, en: Owner note}, required_if: updated_by == "li"}
  - name: items
    type: table
    label: {zh: 明细, en: Items}
    fields:
      - {name: what, type: text, label: {zh: 内容, en: What}}
      - {name: price, type: money, label: {zh: 价格, en: Price}, readonly_if: parent.status == "closed"}
      - {name: double, type: computed, result: money, label: {zh: 两倍, en: Double}, formula: price * 2}
  - {name: total, type: computed, result: money, label: {zh: 合计, en: Total}, formula: SUM(items.double)}
""",
})


def test_conditions_reading_the_date_and_the_user_and_a_field_hidden_since(engine, clock):
    inst = metastore.install(engine, [TIMED], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    pm = Actor("li", roles=["pm"])
    rec = store.create("offer", {"subject": "A", "status": "closed", "amount": "100", "early_note": "x",
                                 "owner_note": "n", "items": [{"what": "a", "price": "2.5"}]}, actor=pm)
    fast = stored_states(store, "offer", rec, actor=pm)
    full = store.preview("offer", {}, record_id=rec.id, actor=pm)
    assert fast is not None and fast.states == full.states and repr(fast.values) == repr(full.values)
    assert fast.states["amount"].readonly and fast.states["items.0.price"].readonly
    assert fast.states["owner_note"].required and fast.states["early_note"].visible
    assert fast.values["total"] == Decimal("5.00")
    other = Actor("zhao", roles=["pm"])      # required_if reads the user: decided again for each
    assert not stored_states(store, "offer", rec, actor=other).states["owner_note"].required
    # after 1 April the note is hidden but still holds its value: only the full evaluation clears it
    later = Store(engine, inst.meta, clock=FixedClock(datetime(2026, 4, 2)), meta_version=inst.version)
    assert stored_states(later, "offer", rec, actor=pm) is None
    p = preview_stored(later, "offer", rec, actor=pm)
    assert p.cleared == ["early_note"] and not p.states["early_note"].visible


def test_volatile_formulas():
    assert volatile("established_on <= TODAY()")
    assert volatile("IF(id, 1, 0)") and volatile("updated_at")
    assert volatile("customer.name", links={"customer"})
    assert volatile("RATE(x)", functions={"RATE", "LOOKUP"})
    assert not volatile("SUM(loans.balance) + ROUND(a / b, 2)", links={"customer"})
    assert not volatile('LOOKUP("region", region)', functions={"LOOKUP"})


def test_edit_screen_is_the_same_page_with_either_path(engine, clock, standard, monkeypatch):
    inst = metastore.install(engine, [standard], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    create_user(engine, "li", name="李经理", roles=["pm", "admin"], password="right-pass")
    rec = store.create("enterprise_customer", ENTERPRISES[0], actor=ACTOR)
    assert stored_states(store, "enterprise_customer", rec, actor=ACTOR) is not None
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    tok = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "li", "password": "right-pass", "csrf_token": tok}).status_code == 302
    url = f"/e/enterprise_customer/{rec.id}/edit"

    def page_of():
        resp = client.get(url)
        assert resp.status_code == 200
        return re.sub(r'(csrf_token" value="|X-CSRFToken&#34;: &#34;|"X-CSRFToken": ")[^"&]+', r"\1", resp.get_data(as_text=True))

    fast = page_of()
    import ui.records
    monkeypatch.setattr(ui.records, "preview_stored",
                        lambda st, name, r, actor: st.preview(name, {}, record_id=r.id, actor=actor))
    assert page_of() == fast
    assert 'id="w-business_term_end" hidden' in fast and 'id="w-shareholders-0-id_number" hidden' in fast
