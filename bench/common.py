"""Shared helpers for the benchmark scripts (plain scripts, not pytest tests)."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text

DEFAULT_SQLITE = "sqlite:////tmp/danbao_bench.sqlite"


def timed(fn, reps: int, warmup: int = 3) -> list[float]:
    """Milliseconds of `reps` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> dict:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(ms), "median": statistics.median(ms), "p95": p95, "min": ordered[0], "max": ordered[-1]}


def fmt(s: dict) -> str:
    return f"median {s['median']:8.2f} ms   p95 {s['p95']:8.2f} ms   (min {s['min']:.2f}, max {s['max']:.2f}, n={s['n']})"


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs{mem}"


def server_version(engine) -> str:
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            return "SQLite " + c.execute(text("select sqlite_version()")).scalar_one()
        return c.execute(text("select version()")).scalar_one().split(" on ")[0]


def explain(engine, sql: str, params: dict) -> str:
    """The query plan of a statement (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL)."""
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            rows = c.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
            return "\n".join(f"{'  ' * _depth(rows, r)}{r[3]}" for r in rows)
        rows = c.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql), params).all()
        return "\n".join(r[0] for r in rows)


def _depth(rows, row) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, p = 0, row[1]
    while p in parents:
        depth, p = depth + 1, parents[p]
    return depth
