"""Workflow benchmark: the to-do list of one user among many instances, and transition throughput.

    python bench/bench_workflow.py                                       # SQLite file in /tmp, 100k instances
    python bench/bench_workflow.py --url postgresql://postgres@127.0.0.1:5432/danbao_bench_wf --explain
    python bench/bench_workflow.py --instances 2000 --flows 10 --reps 1  # a quick run (seconds)

The flow is the workflow test pack's `guarantee` (tests/packs/flow, the complete example of
docs/workflow.md): application → first review by the record's A角 and B角 (all) → risk review
(role, any) → committee vote (7 members and a chair with veto, pass at 2/3, quorum 3) → general
manager above ¥5m → fee collection (a required field, `set` and a contract number on leaving) →
approved; a green channel goes straight to the fee. 200 users: 174 project managers (initiators,
A角/B角), 8 risk officers, 7 committee members and the chair, 6 in finance, 2 general managers and
two department heads. Role steps give a task to every user of the role, as the engine does.

1. Loading. A few instances of each of 14 scenarios (approved, with a CC, via the general
   manager, green channel, returned once, rejected at first review or by the committee, withdrawn,
   and running at every step) go through core.workflow.Workflows with an advancing FixedClock.
   Their rows — the record, its history, the instance, its tasks and its log — are then copied
   until there are N instances, shifted in time over two years (running ones last), with the
   project managers drawn at random and the role users permuted within their role, and ids,
   user ids in the record (A角/B角), record and contract numbers mapped. THE SETUP BYPASSES THE
   ENGINE for speed (bulk INSERTs in batches), but every copied row is a row the engine wrote.
   The planner statistics are refreshed with core.db.analyze (what `danbao import` runs) plus
   ANALYZE of the workflow tables, which that function leaves to PostgreSQL's autovacuum.
2. Reads. Workflows.todo, counts, done_by and cc_to for every user, `--reps` times each: median
   and p95 overall and by group (project managers; role users, who hold a task in almost every
   instance). With --explain, the plans of the statements the engine ran (captured as compiled).
3. Writes. `--flows` new instances driven from start to approval through Workflows.start/act (12
   actions each: start, submit, 2 approvals, 1 risk approval, 6 votes, the fee), one at a time;
   then the same with `--threads` threads, each on its own instances. Prints actions per second
   and the latency of each kind of action.

THE SCHEMA OF THE TARGET DATABASE IS DROPPED: use a database of its own.
"""
from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from datetime import date, datetime, timedelta

from common import DEFAULT_SQLITE, ROOT, explain, fmt, machine, server_version, summary, timed
from sqlalchemy import event, func, insert, select, text

from core.clock import FixedClock
from core.db import analyze, create_schema, drop_schema, history, make_engine, records, wf_actions, wf_instances, \
    wf_tasks
from core.metastore import install
from core.store import Actor, Store
from core.users import create_user
from core.workflow import Workflows
from metadata.source import read_pack_dir

PACK = ROOT / "tests" / "packs" / "flow"
WORKFLOW, ENTITY = "guarantee", "project"
START = datetime(2024, 3, 1, 9, 0)          # the first copied instance; they span two years
SPAN = timedelta(days=730)
BATCH = 1000                                 # instances per INSERT transaction

# user pools by role (username prefix, count, roles, department); `dh` and `riskboss` head the
# departments of the pack's code list, `chair` is named by the committee step
POOLS = {
    "pm": ("pm", 174, ["pm"], "credit"),
    "risk": ("risk", 8, ["risk"], "risk"),
    "committee": ("c", 7, ["committee"], None),
    "finance": ("fin", 6, ["finance"], None),
    "gm": ("gm", 2, ["gm"], None),
}
FIXED = {"dh": (["pm"], "credit"), "riskboss": (["risk_head"], "risk"), "chair": (["chair"], None)}

# (scenario, weight in %, amount, green channel, moves). A move acts on the current step:
# forward (submit / all approve / one approves / the committee passes / the fee is paid), reject,
# partial (some act, the step stays), return (to first review), cc (to the applicant), read (the
# applicant reads the CC), withdraw.
F = "forward"
SCENARIOS = [
    ("approved", 35, "3000000", False, [F] * 5),
    ("approved, CC to the applicant", 10, "2000000", False, [F, F, "cc", F, F, F, "read"]),
    ("approved by the general manager (> ¥5m)", 12, "8000000", False, [F] * 6),
    ("green channel", 10, "800000", True, [F, F]),
    ("returned once by risk review", 5, "3000000", False, [F, F, "return", F, F, F, F]),
    ("rejected by the committee", 6, "4000000", False, [F, F, F, "reject"]),
    ("rejected at first review", 5, "1500000", False, [F, "reject"]),
    ("withdrawn", 4, "1000000", False, [F, "withdraw"]),
    ("running: application", 1, "2000000", False, []),
    ("running: first review, one of two approved", 3, "2000000", False, [F, "partial"]),
    ("running: risk review, CC unread", 3, "2500000", False, [F, F, "cc"]),
    ("running: committee, 3 votes cast", 3, "3000000", False, [F, F, F, "partial"]),
    ("running: general manager", 1, "9000000", False, [F] * 4),
    ("running: fee", 2, "2000000", False, [F] * 4),
]


class Users:
    """The 200 users: names by pool, roles and ids."""

    def __init__(self, engine):
        self.roles: dict[str, list[str]] = {}
        self.ids: dict[str, int] = {}
        self.pools: dict[str, list[str]] = {}
        for pool, (prefix, n, roles, dept) in POOLS.items():
            self.pools[pool] = [f"{prefix}{i:03d}" if pool == "pm" else f"{prefix}{i}" for i in range(1, n + 1)]
            for name in self.pools[pool]:
                self._add(engine, name, roles, dept)
        for name, (roles, dept) in FIXED.items():
            self._add(engine, name, roles, dept)

    def _add(self, engine, name, roles, dept):
        self.ids[name] = create_user(engine, name, name=name.upper(), roles=roles, department=dept).id
        self.roles[name] = roles

    def actor(self, name: str) -> Actor:
        return Actor(name, self.roles[name])

    @property
    def names(self) -> list[str]:
        return list(self.roles)


class Driver:
    """Moves instances along through the engine, timing each call."""

    def __init__(self, wf: Workflows, people: Users, clock: FixedClock | None = None, rng=None):
        self.wf, self.people, self.clock, self.rng = wf, people, clock, rng or random.Random(0)
        self.times: dict[str, list[float]] = {}

    def _timed(self, kind: str, fn):
        start = time.perf_counter()
        out = fn()
        self.times.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
        if self.clock is not None:                  # templates: time passes between actions
            self.clock.advance(hours=self.rng.randint(1, 20))
        return out

    def project(self, store: Store, initiator: str, a: str, b: str, amount: str, green: bool):
        return store.create(ENTITY, {"name": f"{initiator} 的担保项目", "amount": amount, "green": green,
                                     "pm_a": self.people.ids[a], "pm_b": self.people.ids[b]},
                            actor=self.people.actor(initiator))

    def start(self, rec, initiator: str):
        return self._timed("start", lambda: self.wf.start(ENTITY, rec.id, WORKFLOW, self.people.actor(initiator)))

    def act(self, task, action: str, kind: str | None = None, **kw):
        return self._timed(kind or action, lambda: self.wf.act(task.id, self.people.actor(task.assignee), action,
                                                                opinion="同意" if action != "reject" else "不同意",
                                                                **kw))

    def open(self, inst):
        return [t for t in self.wf.tasks(inst.id) if t.state == "open" and t.kind != "cc"]

    def move(self, inst, how: str) -> None:
        inst = self.wf.instance(inst.id)
        step, tasks = inst.step, self.open(inst)
        kind = self.wf.definition(inst).step(step).kind
        if how == "withdraw":
            self._timed("withdraw", lambda: self.wf.withdraw(inst.id, self.people.actor(inst.initiator)))
        elif how == "read":
            cc = next(t for t in self.wf.tasks(inst.id, current=False) if t.kind == "cc" and t.state == "open")
            self.act(cc, "read")
        elif how == "cc":
            self.act(tasks[0], "cc", users=[inst.initiator])
        elif how == "return":
            self.act(tasks[0], "return", to="first_review")
        elif how == "reject":
            while self.wf.instance(inst.id).step == step:
                t = self.open(inst)[0]
                self.act(t, "vote", choice="reject") if kind == "vote" else self.act(t, "reject")
        elif kind == "task":
            values = {"receipt": "SK-2026-0001"} if step == "fee" else None
            self.act(tasks[0], "submit", "submit (fee, with on_leave)" if values else "submit", values=values)
        elif kind == "vote":
            # the chair first (no veto can still come), then members until the motion is decided
            order = sorted(tasks, key=lambda t: t.origin != "chair")
            for i, t in enumerate(order):
                if how == "partial" and i == 3:
                    return
                self.act(t, "vote", choice="abstain" if how == "partial" and i == 2 else "approve")
                if self.wf.instance(inst.id).step != step:
                    return
        else:
            for t in tasks[:1] if how == "partial" else tasks:
                self.act(t, "approve")
                if self.wf.instance(inst.id).step != step:
                    return

    def run(self, store: Store, initiator, a, b, amount, green, moves) -> int:
        rec = self.project(store, initiator, a, b, amount, green)
        inst = self.start(rec, initiator)
        for how in moves:
            self.move(inst, how)
        return inst.id


# -- 1. loading -------------------------------------------------------------------------------

def setup(engine, clock):
    drop_schema(engine)
    create_schema(engine)
    installed = install(engine, [read_pack_dir(PACK)], actor="bench")
    store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
    return store, Users(engine)


def templates(store: Store, people: Users, clock: FixedClock) -> list[dict]:
    """Two instances of each scenario through the engine; their rows, by table."""
    driver = Driver(Workflows(store), people, clock, random.Random(7))
    out = []
    a, b, c = people.pools["pm"][:3]
    for name, weight, amount, green, moves in SCENARIOS:
        for _ in range(2):
            clock.at = START
            iid = driver.run(store, a, b, c, amount, green, moves)
            out.append({"name": name, "weight": weight, "running": name.startswith("running"),
                        **rows_of(store.engine, iid)})
    for t in out:   # check the scenarios end where their names say
        first = t["name"].split()[0].rstrip(":,")
        expected = first if first in ("running", "rejected", "withdrawn") else "approved"
        assert t["wf_instances"][0]["state"] == expected, (t["name"], t["wf_instances"][0]["state"])
    return out


def rows_of(engine, iid: int) -> dict:
    with engine.connect() as c:
        inst = c.execute(select(wf_instances).where(wf_instances.c.id == iid)).mappings().one()
        rid = inst["record_id"]
        return {
            "records": [dict(r) for r in c.execute(select(records).where(records.c.id == rid)).mappings()],
            "history": [dict(r) for r in c.execute(select(history).where(history.c.record_id == rid)
                                                   .order_by(history.c.id)).mappings()],
            "wf_instances": [dict(inst)],
            "wf_tasks": [dict(r) for r in c.execute(select(wf_tasks).where(wf_tasks.c.instance_id == iid)
                                                    .order_by(wf_tasks.c.id)).mappings()],
            "wf_actions": [dict(r) for r in c.execute(select(wf_actions).where(wf_actions.c.instance_id == iid)
                                                      .order_by(wf_actions.c.id)).mappings()],
        }


TABLES = {"records": records, "history": history, "wf_instances": wf_instances, "wf_tasks": wf_tasks,
          "wf_actions": wf_actions}
REFS = {"record_id": "records", "instance_id": "wf_instances", "task_id": "wf_tasks", "waits_for": "wf_tasks"}
USER_IDS = ("pm_a", "pm_b")          # user fields of the project: ids in the record document


class Copier:
    """Copies of template rows with new ids, users, numbers and times."""

    def __init__(self, engine, people: Users, rng: random.Random):
        self.people, self.rng = people, rng
        with engine.connect() as c:
            self.next_id = {t: c.execute(select(func.max(tab.c.id))).scalar_one() + 1 for t, tab in TABLES.items()}
        self.seq: dict[str, int] = {}
        self.plans: dict[int, dict] = {}

    def number(self, prefix: str, at: datetime, width: int) -> str:
        key = f"{prefix}{at.year}"
        self.seq[key] = self.seq.get(key, 0) + 1
        return f"{prefix}{at.year}-{self.seq[key]:0{width}d}"

    def plan(self, tpl: dict) -> dict:
        """Per table, per row: the columns to change in a copy and how (the rest are copied as they are)."""
        data = tpl["records"][0]["data"]
        pools = self.people.pools
        mapped = set(pools["pm"][:3]) | {u for p in ("risk", "committee", "finance", "gm") for u in pools[p]}
        mapped |= {data[k] for k in ("number", "contract_no", "approved_on", "name") if data.get(k)}

        def changes(key, v) -> bool:
            if isinstance(v, str):
                return v in mapped
            if isinstance(v, dict):
                return any(changes(k, x) for k, x in v.items())
            if isinstance(v, list):
                return any(changes(key, x) for x in v)
            return key in USER_IDS and isinstance(v, int)

        out = {}
        for t in TABLES:
            out[t] = []
            for row in tpl[t]:
                ops = {}
                for k, v in row.items():
                    if k == "id" or (k in REFS and v is not None):
                        ops[k] = "id"
                    elif isinstance(v, datetime):
                        ops[k] = "time"
                    elif changes(k, v):
                        ops[k] = "map"
                out[t].append(ops)
        return out

    def copy(self, tpl: dict, started: datetime) -> dict:
        plan = self.plans.get(id(tpl)) or self.plans.setdefault(id(tpl), self.plan(tpl))
        inst = tpl["wf_instances"][0]
        shift = started - inst["started_at"]
        pools = self.people.pools
        pm = self.rng.sample(pools["pm"], 3)
        names = dict(zip(pools["pm"][:3], pm))
        for pool in ("risk", "committee", "finance", "gm"):
            names.update(zip(pools[pool], self.rng.sample(pools[pool], len(pools[pool]))))
        data = tpl["records"][0]["data"]
        strings = dict(names)
        strings[data["number"]] = self.number("DB", started, 5)
        if data.get("contract_no"):
            strings[data["contract_no"]] = self.number("HT", started, 5)
        if data.get("approved_on"):
            strings[data["approved_on"]] = (date.fromisoformat(data["approved_on"]) + shift).isoformat()
        strings[data["name"]] = f"{pm[0]} 的担保项目"
        ids = {self.people.ids[old]: self.people.ids[new] for old, new in names.items()}
        idmap = {}
        for t in TABLES:
            idmap[t] = {}
            for row in tpl[t]:
                idmap[t][row["id"]] = self.next_id[t]
                self.next_id[t] += 1

        def value(key, v):
            if isinstance(v, str):
                return strings.get(v, v)
            if isinstance(v, dict):
                return {k: value(k, x) for k, x in v.items()}
            if isinstance(v, list):
                return [value(key, x) for x in v]
            if isinstance(v, int) and key in USER_IDS:
                return ids.get(v, v)
            return v

        out = {}
        for t in TABLES:
            rows = []
            for row, ops in zip(tpl[t], plan[t]):
                new = dict(row)
                for k, op in ops.items():
                    v = row[k]
                    if op == "id":
                        new[k] = idmap[REFS.get(k, t)][v]
                    elif op == "time":
                        new[k] = v + shift
                    else:
                        new[k] = value(k, v)
                rows.append(new)
            out[t] = rows
        return out


def load(engine, store: Store, people: Users, clock: FixedClock, n: int, seed: int) -> dict:
    start = time.perf_counter()
    tpls = templates(store, people, clock)
    made = len(tpls)               # the templates are instances too
    print(f"templates: {len(tpls)} instances of {len(SCENARIOS)} scenarios through the engine "
          f"({time.perf_counter() - start:.1f} s)", flush=True)
    rng = random.Random(seed)
    copier = Copier(engine, people, rng)
    ended = [t for t in tpls if not t["running"]]
    running = [t for t in tpls if t["running"]]
    share = sum(t["weight"] for t in running) / sum(t["weight"] for t in tpls)
    todo = n - made
    n_running = round(todo * share)
    counts = {t: 0 for t in TABLES}
    batch: dict[str, list] = {t: [] for t in TABLES}
    for i in range(todo):
        # ended instances first, the running ones are the most recent
        pool = ended if i < todo - n_running else running
        tpl = rng.choices(pool, weights=[t["weight"] for t in pool])[0]
        started = START + SPAN * (i / todo) + timedelta(minutes=rng.randint(0, 600))
        for t, rows in copier.copy(tpl, started).items():
            batch[t].extend(rows)
        if (i + 1) % BATCH == 0 or i == todo - 1:
            with engine.connect().execution_options(danbao_write=True) as c, c.begin():
                for t, table in TABLES.items():
                    if batch[t]:
                        c.execute(insert(table), batch[t])
                        counts[t] += len(batch[t])
                        batch[t] = []
            if (i + 1) % 20_000 < BATCH:
                print(f"  {i + 1 + made:>9,} instances  ({(i + 1) / (time.perf_counter() - start):,.0f}/s)", flush=True)
    if engine.dialect.name == "postgresql":   # explicit ids: move the id sequences past them
        with engine.begin() as c:
            for t in TABLES:
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
    print(f"loaded {made + todo:,} instances in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{counts[t]:,} {t}" for t in TABLES), flush=True)
    step_start = time.perf_counter()
    analyze(engine)
    # core.db.analyze covers the record tables; the workflow tables grow through the engine in
    # production and PostgreSQL's autovacuum analyzes them: do here what it would have done
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE wf_instances, wf_tasks, wf_actions")
            c.commit()
    print(f"analyze: {time.perf_counter() - step_start:.1f} s", flush=True)
    return {"instances": made + todo, "running": n_running + len(running), **counts}


# -- 2. reads -----------------------------------------------------------------------------------

def reads(engine, wf: Workflows, people: Users, reps: int, show_plans: bool) -> list:
    groups = {"project managers": people.pools["pm"],
              "role users (risk, committee, chair, finance, gm)":
                  [u for u in people.names if u not in people.pools["pm"] and u not in ("dh", "riskboss")]}
    calls = [("todo (待办, 100 newest)", wf.todo), ("counts (navigation)", wf.counts),
             ("done_by (已办, 100 newest)", wf.done_by), ("cc_to (抄送我的, 100 newest)", wf.cc_to)]
    sizes = user_sizes(engine)
    for label, users in groups.items():
        todo_n = sorted(sizes.get((u, "open"), 0) for u in users)
        done_n = sorted(sizes.get((u, "done"), 0) for u in users)
        print(f"{label}: {len(users)} users; open tasks per user {todo_n[0]:,}–{todo_n[-1]:,} "
              f"(median {todo_n[len(todo_n) // 2]:,}), done {done_n[0]:,}–{done_n[-1]:,} "
              f"(median {done_n[len(done_n) // 2]:,})")
    results = []
    print(f"\nreads: every user of the group, {reps} timed calls each after one untimed\n")
    for label, fn in calls:
        row = [label]
        for group, users in groups.items():
            ms = []
            for u in users:
                ms += timed(lambda u=u: fn(u), reps, warmup=1)
            s = summary(ms)
            row.append(s)
            print(f"{label:32} {group[:16]:16} {fmt(s)}", flush=True)
        results.append(row)
    if show_plans:
        busiest = max(people.pools["committee"], key=lambda u: sizes.get((u, "done"), 0))
        for label, fn in calls:
            for sql in statements(engine, lambda: fn(busiest)):
                print(f"\nplan of {label} for {busiest}:\n  {sql}\n" +
                      "\n".join("    " + line for line in explain(engine, sql, {}).splitlines()))
    return results


def user_sizes(engine) -> dict:
    with engine.connect() as c:
        rows = c.execute(select(wf_tasks.c.assignee, wf_tasks.c.state, func.count())
                         .where(wf_tasks.c.kind != "cc").group_by(wf_tasks.c.assignee, wf_tasks.c.state))
        return {(r[0], r[1]): r[2] for r in rows}


def statements(engine, fn) -> list[str]:
    """The SQL (with literal values) of the statements fn runs."""
    seen = []

    def capture(conn, clause, multiparams, params, options):
        seen.append(str(clause.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})))
    event.listen(engine, "before_execute", capture)
    try:
        fn()
    finally:
        event.remove(engine, "before_execute", capture)
    return seen


# -- 3. writes ------------------------------------------------------------------------------------

def throughput(store: Store, people: Users, flows: int, threads: int, seed: int):
    """Full approvals (12 actions each); one thread, then `threads` threads on their own instances."""
    results = []
    for n_threads in (1, threads) if threads > 1 else (1,):
        rng = random.Random(seed + n_threads)
        drivers = [Driver(Workflows(store), people, rng=random.Random(seed + i)) for i in range(n_threads)]
        pms = people.pools["pm"]
        # the records exist before the clock starts; each thread gets its own instances
        work = [[(drivers[i].project(store, *rng.sample(pms, 3), "3000000", False)) for _ in range(flows)]
                for i in range(n_threads)]
        errors: list[Exception] = []

        def worker(i):
            d = drivers[i]
            try:
                for rec in work[i]:
                    inst = d.start(rec, rec.created_by)
                    for _ in range(5):
                        d.move(inst, F)
                    assert d.wf.instance(inst.id).state == "approved"
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        started = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - started
        if errors:
            raise errors[0]
        times: dict[str, list[float]] = {}
        for d in drivers:
            for k, v in d.times.items():
                times.setdefault(k, []).extend(v)
        actions = sum(len(v) for v in times.values())
        print(f"\n{n_threads} thread(s), {flows * n_threads} instances, {actions:,} actions in {wall:.1f} s: "
              f"{actions / wall:,.0f} actions/s, {flows * n_threads / wall:.1f} approvals/s")
        for k, v in sorted(times.items()):
            print(f"  {k:28} {fmt(summary(v))}")
        results.append((n_threads, flows * n_threads, actions, wall, {k: summary(v) for k, v in times.items()}))
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--url", default=DEFAULT_SQLITE.replace("danbao_bench", "danbao_bench_wf"),
                    help="database URL (default a SQLite file in /tmp)")
    ap.add_argument("--instances", type=int, default=100_000, help="workflow instances to load (default 100000)")
    ap.add_argument("--reps", type=int, default=3, help="timed calls of each read per user (default 3)")
    ap.add_argument("--flows", type=int, default=50, help="instances approved per thread (default 50)")
    ap.add_argument("--threads", type=int, default=4, help="threads for the concurrent run (default 4)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explain", action="store_true", help="print the query plans of the reads")
    args = ap.parse_args(argv)

    engine = make_engine(args.url, pool_size=max(5, args.threads + 1))
    print(f"machine:  {machine()}")
    print(f"database: {server_version(engine)}  ({engine.url.render_as_string(hide_password=True)})")
    clock = FixedClock(START)
    store, people = setup(engine, clock)
    sizes = load(engine, store, people, clock, args.instances, args.seed)
    engine.dispose()      # measure with fresh connections, as a newly started app would
    print(f"{len(people.names)} users; {sizes['running']:,} running instances")
    wf = Workflows(store)
    read_results = reads(engine, wf, people, args.reps, args.explain)
    clock.at = datetime(2026, 3, 1, 9, 0)
    write_results = throughput(store, people, args.flows, args.threads, args.seed)

    groups = ("project managers", "role users")
    print("\n| read | " + " | ".join(f"{g} median | p95" for g in groups) + " |")
    print("| --- |" + " ---: | ---: |" * len(groups))
    for label, *stats in read_results:
        print(f"| {label} | " + " | ".join(f"{s['median']:.2f} | {s['p95']:.2f}" for s in stats) + " |")
    print("\n| threads | instances | actions | actions/s | start p50/p95 | approve p50/p95 | vote p50/p95 | "
          "fee p50/p95 |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n_threads, n, actions, wall, s in write_results:
        cells = [f"{s[k]['median']:.1f} / {s[k]['p95']:.1f}" for k in ("start", "approve", "vote",
                                                                         "submit (fee, with on_leave)")]
        print(f"| {n_threads} | {n} | {actions} | {actions / wall:.0f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
