"""Handle overdue workflow tasks once, for cron (safe to run from several processes at once):
`danbao flow deadlines` calls this with the installed plugins, whose actions side effects may
call, on the installed metadata."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from .. import metastore
from ..errors import msg
from ..registry import EMPTY, Registry
from ..store import Store
from .engine import Workflows
from .model import WorkflowError


def handle_deadlines(engine: Engine, registry: Registry = EMPTY, now: datetime | None = None) -> list[dict]:
    """What `run_deadlines` did: {instance, task, action, assignee} (and `error` for an instance
    that could not be handled now; it is tried again next time)."""
    installed = metastore.current(engine, **registry.checks())
    if installed is None:
        raise WorkflowError(msg("尚未安装元数据", "no metadata installed"))
    store = Store(engine, installed.meta, registry=registry, meta_version=installed.version)
    return Workflows(store).run_deadlines(now)


def describe(d: dict) -> str:
    if d.get("error"):
        return f"instance {d['instance']}: not handled: {d['error']}"
    return f"instance {d['instance']} task {d['task']} ({d['assignee']}): {d['action']}"

