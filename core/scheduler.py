"""The optional in-app scheduler (docs/rules.md "Without cron: the in-app scheduler"): for an installation without
cron, the app itself runs the daily jobs — the regulatory check, then the warning scan — and the
workflow deadlines every few minutes.

A job runs once per *slot* (a day after its time, or an interval's start). Several app processes
may run schedulers against one database: before running a job, a process inserts (job, slot) into
`job_runs`; the insert that conflicts means another process has it, so each job runs once per slot
whatever the number of workers. A job that fails is recorded with its error (and logged); the
others still run, and it is tried again at its next slot. The clock is injectable.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable, Mapping

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from .clock import Clock
from .db import job_runs
from .registry import EMPTY, Registry

log = logging.getLogger(__name__)

# job -> when: "HH:MM" (daily, at or after that time) or "<n>m" (every n minutes)
DEFAULT_SCHEDULE = {"regulatory_check": "01:00", "warnings_scan": "02:00", "flow_deadlines": "15m"}


@dataclass(frozen=True)
class Job:
    name: str
    when: str                          # "HH:MM" or "<n>m"
    run: Callable[[datetime], str]     # does the work at `now`; a one-line summary

    def slot(self, now: datetime) -> str | None:
        """The slot `now` falls in, or None before the day's time."""
        every = re.fullmatch(r"(\d+)m", self.when)
        if every:
            minutes = max(1, int(every.group(1)))
            start = now.replace(second=0, microsecond=0)
            start -= timedelta(minutes=(start.hour * 60 + start.minute) % minutes)
            return start.strftime("%Y-%m-%dT%H:%M")
        at = time.fromisoformat(self.when)
        return now.date().isoformat() if now.time() >= at else None


def check_schedule(schedule: Mapping[str, str]) -> None:
    """ValueError naming the job and what is wrong."""
    for name, when in schedule.items():
        if name not in JOBS:
            raise ValueError(f"unknown scheduled job '{name}' (known: {', '.join(sorted(JOBS))})")
        if not re.fullmatch(r"\d+m", str(when)):
            try:
                time.fromisoformat(str(when))
            except ValueError:
                raise ValueError(f"job '{name}': '{when}' is neither HH:MM nor <minutes>m") from None


class Scheduler:
    def __init__(self, engine: Engine, jobs: list[Job], clock: Clock | None = None):
        self.engine, self.jobs, self.clock = engine, jobs, clock or Clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[tuple[str, bool, str]]:
        """Run the jobs due now that no process has run in their slot: (job, ok, summary) of each."""
        done = []
        for job in self.jobs:
            now = self.clock.now()
            slot = job.slot(now)
            if slot is None or not self._claim(job.name, slot, now):
                continue
            try:
                ok, summary = True, job.run(now)
            except Exception as e:  # noqa: BLE001 - a failing job is recorded; the others still run
                log.exception("scheduled job %s failed", job.name)
                ok, summary = False, f"{type(e).__name__}: {e}"
            with self.engine.begin() as conn:
                conn.execute(update(job_runs).where((job_runs.c.job == job.name) & (job_runs.c.slot == slot))
                             .values(finished_at=self.clock.now(), ok=ok, result=summary[:2000]))
            done.append((job.name, ok, summary))
        return done

    def _claim(self, job: str, slot: str, now: datetime) -> bool:
        with self.engine.connect().execution_options(danbao_write=True) as conn, conn.begin():
            ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(job_runs)
            return conn.execute(ins.values(job=job, slot=slot, started_at=now)
                                .on_conflict_do_nothing(index_elements=["job", "slot"])
                                .returning(job_runs.c.job)).first() is not None

    def start(self, every: float = 60) -> threading.Thread:
        """Tick every `every` seconds in a daemon thread until `stop()`."""
        def loop():
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - e.g. the database briefly away: try again later
                    log.exception("the scheduler could not run its jobs")
                self._stop.wait(every)
        self._thread = threading.Thread(target=loop, name="danbao-scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


# -- the jobs --------------------------------------------------------------------------------------

def _installed(engine: Engine, registry: Registry):
    from . import metastore
    current = metastore.current(engine, **registry.checks())
    if current is None:
        raise RuntimeError("no metadata installed")
    return current


def _regulatory_check(engine: Engine, registry: Registry) -> Callable[[datetime], str]:
    def run(now: datetime) -> str:
        from .regulatory.alerts import check
        from .store import Store
        current = _installed(engine, registry)
        if "regulatory_check" not in current.meta.entities:
            return "skipped: the installed packs have no regulatory_check entity"
        r = check(Store(engine, current.meta, registry=registry, meta_version=current.version), now.date())
        return f"company: {r.company_breaches} breach(es); {r.applications} application(s) checked"
    return run


def _warnings_scan(engine: Engine, registry: Registry) -> Callable[[datetime], str]:
    def run(now: datetime) -> str:
        from .clock import FixedClock
        from .warnings import scan
        return scan(engine, _installed(engine, registry).meta, registry=registry, clock=FixedClock(now)).summary()
    return run


def _flow_deadlines(engine: Engine, registry: Registry) -> Callable[[datetime], str]:
    def run(now: datetime) -> str:
        from .workflow import cron
        done = cron.handle_deadlines(engine, registry, now)
        failed = [d for d in done if d.get("error")]
        if failed:
            raise RuntimeError("; ".join(cron.describe(d) for d in failed)[:1500])
        return f"{len(done)} overdue task(s) handled"
    return run


JOBS = {"regulatory_check": _regulatory_check, "warnings_scan": _warnings_scan, "flow_deadlines": _flow_deadlines}


def standard_jobs(engine: Engine, registry: Registry = EMPTY, schedule: Mapping[str, str] | None = None) -> list[Job]:
    """The jobs of `schedule` (default DEFAULT_SCHEDULE; a job left out does not run), in the order
    of JOBS: the regulatory check writes the records the warning scan reads."""
    schedule = dict(DEFAULT_SCHEDULE if schedule is None else schedule)
    check_schedule(schedule)
    return [Job(name, str(schedule[name]), make(engine, registry)) for name, make in JOBS.items() if name in schedule]
