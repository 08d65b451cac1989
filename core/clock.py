"""The injectable clock: nothing in Danbao reads the system time directly."""
from __future__ import annotations

from datetime import date, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now().replace(microsecond=0)

    def today(self) -> date:
        return self.now().date()


class FixedClock(Clock):
    """A clock for tests and reproducible runs; `advance` moves it forward."""

    def __init__(self, at: datetime | date):
        self.at = at if isinstance(at, datetime) else datetime.combine(at, datetime.min.time())

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)
