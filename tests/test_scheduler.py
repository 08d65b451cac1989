"""The optional in-app scheduler (core/scheduler.py): jobs run once per slot — a day after their
time, or an interval — whatever the number of processes; a failing job is recorded and the others
still run; the standard jobs (regulatory check, warning scan, workflow deadlines) do their work;
the app starts it when configured. (SQLite and PostgreSQL)"""
from __future__ import annotations

import time as wall
from datetime import date, datetime

import pytest
from sqlalchemy import select

from core.clock import FixedClock
from core.db import job_runs, records
from core.scheduler import Job, Scheduler, check_schedule, standard_jobs
from ui.app import create_app

from .test_rules_standard import REGISTRY, Std


def runs(engine) -> list[tuple]:
    with engine.connect() as c:
        return [(r.job, r.slot, r.ok, r.result) for r in
                c.execute(select(job_runs).order_by(job_runs.c.started_at, job_runs.c.job))]


def test_slots_of_daily_and_interval_jobs():
    daily, every = Job("d", "02:00", str), Job("i", "15m", str)
    assert daily.slot(datetime(2026, 3, 15, 1, 59)) is None
    assert daily.slot(datetime(2026, 3, 15, 2, 0)) == daily.slot(datetime(2026, 3, 15, 23, 59)) == "2026-03-15"
    assert every.slot(datetime(2026, 3, 15, 9, 44, 59)) == "2026-03-15T09:30"
    assert every.slot(datetime(2026, 3, 15, 9, 45)) == "2026-03-15T09:45"


def test_a_bad_schedule_is_refused_with_what_is_wrong():
    with pytest.raises(ValueError, match="unknown scheduled job 'backup'"):
        check_schedule({"backup": "03:00"})
    with pytest.raises(ValueError, match="job 'warnings_scan': '25:00' is neither HH:MM nor <minutes>m"):
        check_schedule({"warnings_scan": "25:00"})


def test_each_job_runs_once_per_slot_whatever_the_number_of_processes(engine):
    clock = FixedClock(datetime(2026, 3, 15, 1, 0))
    done = []

    def job(name, when, fail=False):
        def run(now):
            done.append((name, now))
            if fail:
                raise RuntimeError("the disk is full")
            return f"{name} ok"
        return Job(name, when, run)
    jobs = [job("daily", "02:00"), job("broken", "00:30", fail=True), job("often", "10m")]
    one, two = Scheduler(engine, jobs, clock), Scheduler(engine, jobs, clock)     # two app processes
    assert [j for j, _, _ in one.tick()] == ["broken", "often"] and two.tick() == []
    clock.advance(minutes=5)
    assert one.tick() == two.tick() == []                          # 01:05: the same slots
    clock.advance(hours=1)                                          # 02:05
    assert [j for j, _, _ in two.tick()] == ["daily", "often"] and one.tick() == []
    assert [n for n, _ in done] == ["broken", "often", "daily", "often"]
    assert ("broken", "2026-03-15", False, "RuntimeError: the disk is full") in runs(engine)
    assert ("daily", "2026-03-15", True, "daily ok") in runs(engine)
    clock.advance(days=1)                                           # the next day: again, the failed one too
    assert sorted(j for j, _, _ in one.tick()) == ["broken", "daily", "often"]


def test_the_standard_jobs_check_scan_and_handle_deadlines(engine, clock, standard):
    std = Std(engine, clock, [standard])
    rid = std.project(maturity=date(2026, 4, 20))                   # 36 days away when saved: no warning yet
    assert std.fired("guarantee_maturing") == []
    at = FixedClock(datetime(2026, 3, 25, 1, 30))                   # ten days later: within 30 days
    scheduler = Scheduler(engine, standard_jobs(engine, REGISTRY), at)
    assert [(j, ok) for j, ok, _ in scheduler.tick()] == [("regulatory_check", True), ("flow_deadlines", True)]
    assert std.fired("guarantee_maturing") == []                    # the scan runs at 02:00
    with engine.connect() as c:
        assert c.execute(select(records.c.id).where(records.c.entity == "regulatory_check")).first() is not None
    at.advance(hours=1)
    ran = {j: (ok, summary) for j, ok, summary in scheduler.tick()}
    assert sorted(ran) == ["flow_deadlines", "warnings_scan"]      # the deadlines' next quarter hour too
    assert ran["warnings_scan"][0] and " raised" in ran["warnings_scan"][1]
    assert [r for r, _ in std.fired("guarantee_maturing")] == [rid]
    # a schedule of one's own: only the jobs it names
    assert [j.name for j in standard_jobs(engine, REGISTRY, {"warnings_scan": "06:30"})] == ["warnings_scan"]


def test_the_app_runs_the_scheduler_when_configured(engine, clock, standard):
    Std(engine, clock, [standard])
    assert "danbao_scheduler" not in create_app({"ENGINE": engine, "SECRET_KEY": "x", "CLOCK": clock}).extensions
    app = create_app({"ENGINE": engine, "SECRET_KEY": "x", "CLOCK": clock, "SCHEDULER": {"flow_deadlines": "1m"},
                      "SCHEDULER_TICK": 0.05})
    scheduler = app.extensions["danbao_scheduler"]
    try:
        deadline = wall.monotonic() + 10
        while not any(ok is not None for _, _, ok, _ in runs(engine)) and wall.monotonic() < deadline:
            wall.sleep(0.05)
        assert [(j, ok) for j, _, ok, _ in runs(engine)] == [("flow_deadlines", True)]
    finally:
        scheduler.stop()
