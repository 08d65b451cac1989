"""The warning scan: raise, refresh, dedup on re-scan, auto-resolve, escalation with an injected
clock, a broken rule reported and skipped while the others run, keys, deleted records and removed
rules; two scans at once raise nothing twice (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from core.warnings import scan

from .test_rules_fixtures import BIG, INSTALLMENT, OVERDUE, World, world  # noqa: F401


def test_a_scan_raises_a_warning_filled_from_the_record_for_its_recipients(world):
    cust = world.customer()
    loan = world.loan(customer=cust, amount="1250000")
    world.loan(title="L2", due=date(2026, 4, 1))            # not due yet
    world.loan(title="L3", paid=True)                        # paid
    result = world.scan()
    assert (result.records, result.counts.raised) == (3, 1)
    [w] = world.warnings()
    assert (w.rule, w.entity, w.record_id, w.key, w.level, w.state) == ("loan_overdue", "loan", loan.id, "", "red", "open")
    assert w.message == {"zh": "L1 逾期 14 天，金额 1,250,000.00 元，客户 华星公司",
                         "en": "L1 is 14 day(s) overdue, 1,250,000.00 yuan, customer 华星公司"}
    assert world.recipients(w.id) == [("li", False), ("wang", False)]


def test_rescanning_never_duplicates_and_refreshes_the_message(world):
    loan = world.loan()
    world.scan()
    world.clock.advance(days=1)
    result = world.scan()
    assert (result.counts.raised, result.counts.refreshed) == (0, 1)
    [w] = world.warnings()
    assert "15 天" in w.message["zh"] and w.last_seen_at == world.clock.now()
    assert w.raised_at < w.last_seen_at
    world.store.update("loan", loan.id, {"owner": world.users["gm"]}, version=loan.version)
    world.scan()
    assert world.recipients(w.id) == [("gm", False)]        # recipients follow the record


def test_a_warning_resolves_itself_when_the_condition_no_longer_holds(world):
    loan = world.loan()
    world.scan()
    world.store.update("loan", loan.id, {"paid": True}, version=loan.version)
    result = world.scan()
    assert result.counts.resolved == 1
    [w] = world.warnings()
    assert (w.state, w.resolved_at) == ("resolved", world.clock.now())
    loan = world.store.get("loan", loan.id)
    world.store.update("loan", loan.id, {"paid": False}, version=loan.version)
    world.scan()                                             # holds again: a new warning
    assert [w.state for w in world.warnings()] == ["resolved", "open"]


def test_warnings_of_deleted_records_and_removed_rules_are_resolved(engine, clock):
    w1 = World(engine, clock, loan_overdue=OVERDUE, big_loan=BIG)
    a, b = w1.loan("A"), w1.loan("B")
    w1.scan()
    assert len(w1.warnings(state="open")) == 4
    w1.store.delete("loan", a.id, version=a.version)
    w1.scan()
    assert {(w.record_id, w.state) for w in w1.warnings()} == {(a.id, "resolved"), (b.id, "open")}
    w2 = World(engine, clock, loan_overdue=OVERDUE)          # big_loan removed from the pack
    w2.scan()
    assert {w.rule for w in w2.warnings(state="open")} == {"loan_overdue"}
    assert w2.scan(rules=["loan_overdue"]).counts.raised == 0


def test_escalation_after_n_days_adds_the_escalation_recipients_once(world):
    world.loan()
    world.scan()
    world.clock.advance(days=2)
    assert world.scan().escalated == 0
    world.clock.advance(days=1)
    assert world.scan().escalated == 1
    [w] = world.warnings()
    assert w.escalated_at == world.clock.now()
    assert world.recipients(w.id) == [("gm", True), ("li", False)]
    world.clock.advance(days=5)
    assert world.scan().escalated == 0


def test_a_broken_rule_is_reported_to_administrators_and_skipped_while_the_others_run(engine, clock):
    w = World(engine, clock, loan_overdue=OVERDUE, big_loan=BIG)
    good = w.loan("G", amount="5000")
    bad = w.loan("Z", rate="0")                              # amount / 0
    result = w.scan()
    errors = w.warnings(key="!error")
    assert [(e.rule, e.record_id, e.level) for e in errors] == [("big_loan", bad.id, "red")]
    assert "big_loan" in errors[0].error and f"#{bad.id}" in errors[0].error and "division by zero" in errors[0].error
    assert "计算出错" in errors[0].message["zh"]
    assert w.recipients(errors[0].id) == [("admin", False)]
    assert result.counts.errors == 1 and len(result.failures) == 1
    assert {(x.rule, x.record_id) for x in w.warnings(key="")} == {
        ("loan_overdue", good.id), ("loan_overdue", bad.id), ("big_loan", good.id)}
    bad = w.store.get("loan", bad.id)
    w.store.update("loan", bad.id, {"rate": "1"}, version=bad.version)
    w.scan()                                                 # fixed: the report resolves itself
    assert w.warnings(key="!error")[0].state == "resolved"


def test_a_key_tells_several_warnings_of_one_record_apart(engine, clock):
    w = World(engine, clock, installment_late=INSTALLMENT)
    loan = w.loan(installments=[{"seq": 1}], actor="li")
    w.scan()
    w.store.update("loan", loan.id, {"installments": [{"seq": 1}, {"seq": 2}]}, version=loan.version)
    w.scan()
    first, second = w.warnings()
    assert [(x.key, x.state) for x in (first, second)] == [("1", "resolved"), ("2", "open")]
    assert second.message == {"zh": "第 2 期", "en": "installment 2"}
    assert w.recipients(second.id) == [("li", False)]            # creator: true


def test_batches_stream_every_record(world):
    for i in range(7):
        world.loan(f"L{i}")
    result = world.scan(batch=3)
    assert (result.records, result.counts.raised) == (7, 7)


def test_two_scans_at_once_raise_nothing_twice(world):
    for i in range(40):
        world.loan(f"L{i}", amount=Decimal(1000 + i))
    errors = []

    def run():
        try:
            scan(world.engine, world.meta, clock=world.clock, batch=7)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    live = world.warnings(state="open")
    assert len(live) == 40 and len({x.record_id for x in live}) == 40
    assert all(world.recipients(x.id) == [("li", False)] for x in live)


def test_the_scan_refreshes_the_warning_tables_statistics_as_it_fills_them(world, monkeypatch):
    """On PostgreSQL, whenever the warnings have grown by half (and by ANALYZE_EVERY): the lookups of
    a first scan would otherwise be planned as if the tables were still empty."""
    import importlib
    scan_module = importlib.import_module("core.warnings.scan")
    calls = []
    monkeypatch.setattr(scan_module, "ANALYZE_EVERY", 2)
    monkeypatch.setattr(scan_module, "analyze", lambda engine, tables: calls.append(tables))
    for i in range(6):
        world.loan(f"L{i}")
    world.scan(batch=2)                                      # 2 new warnings a batch
    postgres = world.engine.dialect.name == "postgresql"
    assert len(calls) == (3 if postgres else 0)             # 2 ≥ max(2, 0 // 2), then 2 ≥ 1, then 2 ≥ 2
    assert all(t == ("warnings", "warning_recipients", "messages", "message_recipients") for t in calls)
