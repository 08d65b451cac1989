"""Benchmark: the warning scan of the standard rules over N projects (and N/4 fee installments,
N/20 enterprise customers with statements) on SQLite or PostgreSQL, with peak memory.

    python bench/bench_rules.py [--records 100000] [--database URL] [--batch 500]

Records are bulk-inserted as stored documents (not through the store, to keep the set-up short);
of the projects in force about 1 in 10 matures within 30 days, 1 in 50 is overdue, 1 in 10 has a
counter-guarantee coverage below 1 and 1 in 10 a follow-up survey overdue, 1 in 10 belongs to a
customer with a recent lawsuit and 1 in 10 to one with a key-person change; 1 in 5 installments is
overdue, 1 in 3 customers has a high or rising debt ratio. The scan runs twice: the first raises, the second (nothing
changed) only refreshes — the daily steady state. Peak memory is the process's peak RSS growth
during the scan (the records are streamed in batches, so it should not grow with N).
"""
from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date, datetime, timedelta

from common import DEFAULT_SQLITE, machine, server_version  # noqa: E402 - sets sys.path

from sqlalchemy import insert

from core import metastore
from core.clock import FixedClock
from core.db import analyze, create_schema, drop_schema, make_engine, records
from core.warnings import scan
from metadata.source import read_pack_dir
from plugins.manager import build_registry

SEED = os.path.join(os.path.dirname(__file__), "..", "seed", "standard")
TODAY = date(2026, 3, 15)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(engine, n: int) -> None:
    now = datetime(2026, 1, 1)
    meta = dict(version=1, deleted=False, created_at=now, updated_at=now, created_by="system", updated_by="system")
    customers = max(1, n // 20)
    with engine.begin() as c:
        rows = []
        for i in range(customers):
            ratio_prev, ratio = (500, 750) if i % 3 == 0 else (500, 550)
            changes = {"last_lawsuit_on": (TODAY - timedelta(days=20)).isoformat(), "last_lawsuit": "借款合同纠纷"} \
                if i % 10 == 0 else {}
            if i % 10 == 5:
                changes["last_key_person_change_on"] = (TODAY - timedelta(days=40)).isoformat()
            rows.append({"entity": "enterprise_customer", "data": {
                "name": f"企业{i}", "status": "active", **changes, "financial_statements": [
                    {"period": "2024-12-31", "period_type": "year", "total_assets": "1000",
                     "total_liabilities": str(ratio_prev), "debt_ratio": str(ratio_prev / 10)},
                    {"period": "2025-12-31", "period_type": "year", "total_assets": "1000",
                     "total_liabilities": str(ratio), "debt_ratio": str(ratio / 10)}]}, **meta})
        c.execute(insert(records), rows)
        company = c.exec_driver_sql("SELECT MIN(id) FROM records WHERE entity = 'enterprise_customer'").scalar_one()
        for start in range(0, n, 5000):
            rows = []
            for i in range(start, min(n, start + 5000)):
                maturity = TODAY + timedelta(days=(i % 300) + 1 if i % 50 else -5)
                secured = "2400000.00" if i % 10 == 3 else "3600000.00"
                rows.append({"entity": "project", "data": {
                    "number": f"DB{i:08d}", "status": "in_force" if i % 4 else "released", "customer_type": "enterprise",
                    "enterprise": company + i % customers, "amount": "3000000.00", "release_amount": "2500000.00",
                    "outstanding": "2500000.00", "balance": "2500000.00", "release_date": "2025-06-01",
                    "maturity_date": maturity.isoformat(), "pm_a": 1, "pm_b": 2, "applicant_name": f"企业{i % customers}",
                    "last_followup": (TODAY - timedelta(days=i % 100)).isoformat(),
                    "next_followup_due": (TODAY + timedelta(days=90 - i % 100)).isoformat(),
                    "cg_secured_total": secured, "cg_coverage": str(round(float(secured) / 30000, 2))},
                    **meta})
            c.execute(insert(records), rows)
        first = c.exec_driver_sql("SELECT MIN(id) FROM records WHERE entity = 'project'").scalar_one()
        for start in range(0, n // 4, 5000):
            rows = []
            for i in range(start, min(n // 4, start + 5000)):
                due = TODAY - timedelta(days=10) if i % 5 == 0 else TODAY + timedelta(days=20)
                rows.append({"entity": "fee_schedule", "data": {
                    "project": first + i, "fee_kind": "guarantee_fee", "seq": 1, "due_date": due.isoformat(),
                    "amount": "30000.00", "paid_amount": "0.00", "outstanding": "30000.00", "status": "unpaid",
                    "title": f"DB{i:08d} 担保费 第1期"}, **meta})
            c.execute(insert(records), rows)
    analyze(engine)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--database", default=os.environ.get("DANBAO_BENCH_URL", DEFAULT_SQLITE))
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    if args.database.startswith("sqlite:///") and os.path.exists(args.database[len("sqlite:///"):]):
        os.remove(args.database[len("sqlite:///"):])
    engine = make_engine(args.database)
    drop_schema(engine)
    create_schema(engine)
    registry = build_registry()
    meta = metastore.install(engine, [read_pack_dir(SEED)], **registry.checks()).meta
    from core.users import create_user
    create_user(engine, "li", name="李", roles=["pm"])
    create_user(engine, "zhao", name="赵", roles=["pm"])
    t = time.perf_counter()
    fill(engine, args.records)
    print(f"{machine()}; {server_version(engine)}")
    print(f"filled {args.records} projects (+{args.records // 4} fee installments, {args.records // 20} customers) "
          f"in {time.perf_counter() - t:.1f} s")
    clock = FixedClock(TODAY)
    for run in ("first scan (raises)", "second scan (refreshes)"):
        before = rss_mb()
        t, cpu = time.perf_counter(), time.process_time()
        result = scan(engine, meta, registry=registry, clock=clock, batch=args.batch)
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(f"{run}: {took:.2f} s ({cpu:.2f} s CPU in this process), {result.records / took:,.0f} records/s; "
              f"{result.summary()}; peak RSS {rss_mb():.0f} MB (+{rss_mb() - before:.0f} MB)")


if __name__ == "__main__":
    main()
