"""Human-readable record numbers, gap-free per period and safe under concurrent creation.

The counter row is incremented inside the record's own transaction: the row lock (PostgreSQL) or
the write lock (SQLite) serialises creators, and a rolled-back save gives its number back.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import text

TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|SEQ:(\d+))\}")


def format_number(pattern: str, at: datetime, seq: int) -> str:
    def part(m):
        key = m.group(1)
        if key.startswith("SEQ"):
            return str(seq).zfill(int(m.group(2)))
        return {"YYYY": f"{at.year:04d}", "YY": f"{at.year % 100:02d}", "MM": f"{at.month:02d}",
                "DD": f"{at.day:02d}"}[key]
    return TOKEN.sub(part, pattern)


def period_key(pattern: str, at: datetime) -> str:
    """The sequence restarts for every distinct value of the pattern's date parts."""
    return format_number(TOKEN.sub(lambda m: "" if m.group(1).startswith("SEQ") else m.group(0), pattern), at, 0)


def next_number(conn, entity: str, field: str, pattern: str, at: datetime) -> str:
    name = f"{entity}:{field}:{period_key(pattern, at)}"
    conn.execute(text("INSERT INTO sequences (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
                 {"n": name})
    seq = conn.execute(text("UPDATE sequences SET value = value + 1 WHERE name = :n RETURNING value"),
                       {"n": name}).scalar_one()
    return format_number(pattern, at, seq)
