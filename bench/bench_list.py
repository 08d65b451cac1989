"""List-screen query benchmark: the first page of a filtered, sorted list over many records.

    python bench/bench_list.py --url sqlite:////tmp/danbao_bench.sqlite --records 100000
    python bench/bench_list.py --url postgresql://postgres@127.0.0.1:5432/danbao_bench --records 1000000

Fills `records` with N generated enterprise customers (core.sampledata.enterprise), bulk-inserted
with SQLAlchemy core in batches; the documents are encoded with core.codec.encode, exactly as the
store writes them, and the standard pack is installed first (core.metastore.install) so its
expression indexes (single-field and composite) exist while loading, as in production. The first
record goes through Store.create and its document is compared with the bulk encoding. The bulk
load bypasses the CLI, so afterwards the script refreshes the planner statistics with the app's
own core.db.analyze, as `danbao import` does.

When the database already holds exactly N enterprise customers the data is reused (--reload
forces a new load): if the installed metadata is not the current seed/standard, or one of its
indexes is missing, the pack is installed again (metastore.install creates the new indexes on the
existing rows and runs ANALYZE); otherwise core.db.analyze is run.

Then times core.query.find (first page, limit 20), core.query.count and core.query.count with
cap=10001 for a few list queries and prints median and p95 in milliseconds, with the query plans
(--explain; EXPLAIN ANALYZE on PostgreSQL).

THE SCHEMA OF THE TARGET DATABASE IS DROPPED when loading: use a database of its own.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from common import (
    DEFAULT_SQLITE,
    ROOT,
    explain,
    fmt,
    machine,
    server_version,
    summary,
    timed,
)
from sqlalchemy import func, insert, select

from core import sampledata
from core.codec import encode
from core.db import (
    analyze,
    create_schema,
    drop_schema,
    expression_indexes,
    make_engine,
    records,
)
from core.metastore import current, install
from core.query import Filter, Query, _Builder, count, find
from core.sqlexpr import wanted_indexes
from core.store import Store
from metadata.loader import load_packs
from metadata.source import read_pack_dir

ENTITY = "enterprise_customer"
TODAY = date(2026, 3, 15)
BATCH = 5000
CAP = 10_001              # a list shows "10,000+" beyond this
COMPUTED = ("loan_balance_total", "guarantee_balance_total", "total_share")

# (label, query). Filters and sorts are on fields seed/standard indexes; the composite indexes it
# declares for enterprise_customer are (region, name), (industry, name) and (status, name).
QUERIES = [
    ("region = 330106 (杭州西湖区, ~5%), sort by name  [index (region, name)]",
     Query(ENTITY, filters=[Filter("region", "eq", "330106")], sort=["name"], limit=20)),
    ("industry = C34 (~4%), sort by name  [index (industry, name)]",
     Query(ENTITY, filters=[Filter("industry", "eq", "C34")], sort=["name"], limit=20)),
    ("status = active (~60%), sort by name  [index (status, name)]",
     Query(ENTITY, filters=[Filter("status", "eq", "active")], sort=["name"], limit=20)),
    ("region = 330106 and industry = C34, sort by name  [index (region, name)]",
     Query(ENTITY, filters=[Filter("region", "eq", "330106"), Filter("industry", "eq", "C34")],
           sort=["name"], limit=20)),
    ("industry = C34 (~4%), sort by number desc  [no composite index]",
     Query(ENTITY, filters=[Filter("industry", "eq", "C34")], sort=["-number"], limit=20)),
    ("size = micro (~21%), sort by name  [no composite index]",
     Query(ENTITY, filters=[Filter("size", "eq", "micro")], sort=["name"], limit=20)),
    ("no filter, sort by id desc (the list screen's order)",
     Query(ENTITY, sort=["-id"], limit=20)),
    ("no filter, sort by number desc",
     Query(ENTITY, sort=["-number"], limit=20)),
]
SEARCH = ("search '恒信' (LIKE over 5 search fields, not indexed), sort by id desc",
          Query(ENTITY, search="恒信", sort=["-id"], limit=20))


def size_of(employees: int) -> str:
    # 《统计上大中小微型企业划分办法》, simplified to headcount
    return "large" if employees >= 1000 else "medium" if employees >= 300 else "small" if employees >= 20 else "micro"


def customers(n: int, seed: int):
    """N enterprise customers as typed values (numbers QY{YYYY}{MM}-{SEQ:5}, 120 months back)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    months = 120
    per_month = -(-n // months)
    first = date(TODAY.year - 10, TODAY.month, 1)
    for i in range(n):
        v = sampledata.enterprise(rng, TODAY)
        while v["uscc"] in seen:                      # uscc is unique: redraw on a (rare) collision
            v = sampledata.enterprise(rng, TODAY)
        seen.add(v["uscc"])
        m = i // per_month
        year, month = first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1
        created = datetime(year, month, 1, 9) + timedelta(minutes=i % per_month)
        v["number"] = f"QY{year:04d}{month:02d}-{i % per_month + 1:05d}"
        v["size"] = size_of(v["employees"])
        v["status"] = rng.choices(("active", "in_force", "prospect", "closed"), (60, 25, 10, 5))[0]
        v["business_term_unlimited"] = True
        v["is_high_tech"] = rng.random() < 0.1
        v["is_agricultural"] = v["industry"].startswith("A")
        v["paid_in_capital"] = v["registered_capital"]
        for name in COMPUTED:                          # SUM over no child rows
            v[name] = Decimal("0.00")
        yield created, v


def standard_pack():
    return read_pack_dir(ROOT / "seed" / "standard")


def load(engine, n: int, seed: int) -> None:
    drop_schema(engine)
    create_schema(engine)
    installed = install(engine, [standard_pack()], actor="bench")
    entity = installed.meta.entity(ENTITY)
    rows = customers(n, seed)
    start = time.perf_counter()

    # the first record through the store's write path: the bulk documents must be identical
    created, first = next(rows)
    store = Store(engine, installed.meta, meta_version=installed.version)
    rec = store.create(ENTITY, first)
    with engine.connect() as c:
        stored = c.execute(select(records.c.data).where(records.c.id == rec.id)).scalar_one()
    bulk = encode(entity, first)
    if stored != bulk:
        sys.exit(f"bulk encoding differs from the store's document:\n{stored}\n{bulk}")

    done, batch = 1, []
    for created, v in rows:
        batch.append({"entity": ENTITY, "data": encode(entity, v), "version": 1,
                      "meta_version": installed.version, "deleted": False, "created_at": created,
                      "created_by": "bench", "updated_at": created, "updated_by": "bench"})
        if len(batch) == BATCH:
            _flush(engine, batch)
            done += len(batch)
            batch = []
            if done % 100_000 < BATCH:
                rate = done / (time.perf_counter() - start)
                print(f"  {done:>9,} records  ({rate:,.0f}/s)", flush=True)
    if batch:
        _flush(engine, batch)
        done += len(batch)
    print(f"loaded {done:,} records in {time.perf_counter() - start:.0f} s", flush=True)
    timed_step("core.db.analyze (as after `danbao import`)", lambda: analyze(engine))


def reuse(engine) -> None:
    """Existing data: make sure the current standard pack (and so each of its indexes) is installed."""
    pack = standard_pack()
    meta = load_packs([pack])
    installed = current(engine)
    with engine.connect() as c:
        missing = sorted(set(wanted_indexes(engine.dialect.name, meta.entities.values())) - set(expression_indexes(c)))
    if installed is None or installed.meta.digest != meta.digest or missing:
        print(f"installed metadata is not the current seed/standard; missing indexes: {', '.join(missing) or 'none'}")
        timed_step("metastore.install (creates the indexes on the existing rows, then ANALYZE)",
                   lambda: install(engine, [pack], actor="bench"))
    else:
        timed_step("core.db.analyze", lambda: analyze(engine))


def timed_step(label: str, fn) -> None:
    start = time.perf_counter()
    fn()
    print(f"{label}: {time.perf_counter() - start:.1f} s", flush=True)


def _flush(engine, batch):
    with engine.connect().execution_options(danbao_write=True) as c, c.begin():
        c.execute(insert(records), batch)


def existing(engine) -> int:
    try:
        with engine.connect() as c:
            return c.execute(select(func.count()).select_from(records).where(records.c.entity == ENTITY)).scalar_one()
    except Exception:  # noqa: BLE001 - no schema yet
        return -1


def sql_of(engine, meta, q: Query) -> tuple[str, dict]:
    """The SELECT that core.query.find runs for q (for EXPLAIN)."""
    b = _Builder(meta, engine.dialect.name, meta.entity(q.entity))
    where, order = b.where(q), b.order(q.sort)
    sql = (f"SELECT r.id, r.version, r.data, r.created_at, r.updated_at FROM records r WHERE {where} "
           f"ORDER BY {order} LIMIT {int(q.limit)} OFFSET {int(q.offset)}")
    return sql, b.params


def count_sql_of(engine, meta, q: Query, cap: int | None) -> tuple[str, dict]:
    """The SELECT that core.query.count runs for q (for EXPLAIN)."""
    b = _Builder(meta, engine.dialect.name, meta.entity(q.entity))
    where = b.where(q)
    if cap is None:
        return f"SELECT COUNT(*) FROM records r WHERE {where}", b.params
    return f"SELECT COUNT(*) FROM (SELECT 1 FROM records r WHERE {where} LIMIT {int(cap)}) capped", b.params


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--url", default=DEFAULT_SQLITE, help=f"database URL (default {DEFAULT_SQLITE})")
    ap.add_argument("--records", type=int, default=100_000, help="enterprise customers to load (default 100000)")
    ap.add_argument("--reps", type=int, default=60, help="timed repetitions per query (default 60)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reload", action="store_true", help="load even if the database already holds N records")
    ap.add_argument("--explain", action="store_true", help="print the query plans of every query")
    ap.add_argument("--no-search", action="store_true", help="skip the (unindexed) text-search query")
    args = ap.parse_args(argv)

    engine = make_engine(args.url)
    print(f"machine:  {machine()}")
    print(f"database: {server_version(engine)}  ({engine.url.render_as_string(hide_password=True)})")
    have = existing(engine)
    if args.reload or have != args.records:
        print(f"loading {args.records:,} enterprise customers (found {max(have, 0):,}) …", flush=True)
        load(engine, args.records, args.seed)
    else:
        print(f"reusing {have:,} enterprise customers")
        reuse(engine)
    engine.dispose()  # measure with fresh connections, as a newly started app would
    meta = current(engine).meta
    print("indexes: " + ", ".join(sorted(n for n in wanted_indexes(engine.dialect.name, [meta.entity(ENTITY)]))))

    queries = QUERIES + ([] if args.no_search else [SEARCH])
    results = run(engine, meta, queries, args)

    print(f"| query | matches | find median | find p95 | count median | count p95 | count (cap {CAP:,}) median | p95 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, n, page, cnt, capped in results:
        print(f"| {label} | {n:,} | {page['median']:.1f} | {page['p95']:.1f} | {cnt['median']:.1f} | {cnt['p95']:.1f} "
              f"| {capped['median']:.1f} | {capped['p95']:.1f} |")
    return 0


def run(engine, meta, queries, args):
    print(f"\nfirst page (limit 20) of core.query.find, core.query.count, and core.query.count(cap={CAP}); "
          f"{args.reps} repetitions\n")
    results = []
    for label, q in queries:
        reps = args.reps if q.search is None else max(5, args.reps // 6)
        page = summary(timed(lambda q=q: find(engine, meta, q), reps))
        n = count(engine, meta, q)
        cnt = summary(timed(lambda q=q: count(engine, meta, q), reps))
        n_capped = count(engine, meta, q, cap=CAP)
        assert n_capped == min(n, CAP), (n_capped, n)
        capped = summary(timed(lambda q=q: count(engine, meta, q, cap=CAP), reps))
        results.append((label, n, page, cnt, capped))
        print(f"{label}\n  matches {n:,}\n  find   {fmt(page)}\n  count  {fmt(cnt)}\n  capped {fmt(capped)}",
              flush=True)
        if args.explain:
            for what, (sql, params) in (("find", sql_of(engine, meta, q)),
                                        ("count", count_sql_of(engine, meta, q, None)),
                                        (f"count, cap {CAP}", count_sql_of(engine, meta, q, CAP))):
                print(f"  plan ({what}):\n" + "\n".join("    " + line for line in explain(engine, sql, params).splitlines()))
        print()
    return results


if __name__ == "__main__":
    sys.exit(main())
