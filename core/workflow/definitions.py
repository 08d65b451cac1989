"""The workflow version an instance runs on: each definition is stored once, by content hash, and
an instance keeps its digest, so publishing a new version never changes running instances."""
from __future__ import annotations

from threading import Lock

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from metadata.workflow import Workflow, build

from ..db import wf_definitions

_cache: dict[str, Workflow] = {}
_lock = Lock()


def remember(conn, wf: Workflow, meta_version: int | None) -> None:
    """Store the definition (once; concurrent starts may both try)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(wf_definitions).values(digest=wf.digest, workflow=wf.name, meta_version=meta_version,
                                               source=dict(wf.source)).on_conflict_do_nothing())
    with _lock:
        _cache.setdefault(wf.digest, wf)


def load(conn, digest: str) -> Workflow:
    with _lock:
        wf = _cache.get(digest)
    if wf is None:
        source = conn.execute(select(wf_definitions.c.source).where(wf_definitions.c.digest == digest)).scalar_one()
        wf = build(source)
        with _lock:
            _cache[digest] = wf
    return wf
