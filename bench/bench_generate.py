"""Bulk demo-data generation: records a second and peak memory of core.demo_data's bulk mode.

    python bench/bench_generate.py --url sqlite:////tmp/danbao_bench_gen.sqlite --projects 100000
    python bench/bench_generate.py --url postgresql://postgres@127.0.0.1:5432/danbao_bench --projects 100000

Drops the schema of the target database, installs seed/standard, then runs
``core.demo_data.generate(store, N, bulk=True)`` (customers with statements, banks and N projects:
6 % in the approval statuses, the others in the post-loan stages with their repayments,
follow-ups, classifications, compensations, recoveries, releases and write-offs; every project
with counter-guarantees, customer deposits and ledger entries, enterprise customers with change
records) and core.db.analyze. Prints records by entity, the wall and
CPU time, records a second and the peak resident memory (ru_maxrss) of the process.

THE SCHEMA OF THE TARGET DATABASE IS DROPPED: use a database of its own.
"""
from __future__ import annotations

import argparse
import resource
import time
from datetime import datetime

from common import DEFAULT_SQLITE, ROOT, machine, server_version

from core import demo_data, metastore
from core.clock import FixedClock
from core.db import analyze, create_schema, drop_schema, make_engine
from core.store import Store
from metadata.source import read_pack_dir
from plugins.manager import build_registry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=DEFAULT_SQLITE)
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args(argv)
    engine = make_engine(args.url)
    print(machine())
    print(server_version(engine))
    drop_schema(engine)
    create_schema(engine)
    clock = FixedClock(datetime(2026, 3, 15, 9, 30))
    inst = metastore.install(engine, [read_pack_dir(ROOT / "seed" / "standard")], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version, registry=build_registry())

    def progress(entity, n):
        if entity == "project" and n % 20_000 < args.batch:
            print(f"  {n:>9,} projects  ({time.perf_counter() - start:.0f} s)", flush=True)
    start, cpu = time.perf_counter(), time.process_time()
    report = demo_data.generate(store, args.projects, seed=args.seed, bulk=True, batch=args.batch, progress=progress)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    a = time.perf_counter()
    analyze(engine)
    total = sum(report.records.values())
    for entity, n in sorted(report.records.items()):
        print(f"{entity:<22} {n:>10,}")
    print(f"projects by stage: {dict(sorted(report.stages.items()))}")
    print(f"{total:,} records in {wall:.0f} s wall, {cpu:.0f} s CPU: {total / wall:,.0f} records/s "
          f"({args.projects / wall:,.0f} projects/s); analyze {time.perf_counter() - a:.1f} s")
    print(f"peak memory (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
