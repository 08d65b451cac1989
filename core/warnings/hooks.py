"""Rules evaluated on one record as it is written, not only by the daily scan:

- `on_save(store, conn, entity, record_id, values)`: the rules with `runs: [save]`; meant to be
  called by the store's one write path right after it persists a record (create or update), in
  the same transaction, so a warning appears — or resolves — with the save that caused it;
- `on_step(store, conn, entity, record_id, values, step)`: the rules with `runs: [{step: …}]`
  naming `step`; meant to be called by the workflow engine when an instance enters a step.

Both evaluate, raise, refresh and resolve exactly as the scan does (core/warnings/persist.py) for
that one record. They never make the write fail: the work runs in a savepoint, and a failure (a
broken rule gives a report to administrators like in the scan; anything else, e.g. the database
refusing) is returned in the result instead of raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from metadata.rule import Rule

from ..workflow.resolve import Directory
from . import links
from .evaluate import Context, evaluate
from .persist import Counts, reconcile_many
from .scan import lock


@dataclass
class HookResult:
    rules: list[str] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    error: str | None = None


def on_save(store, conn, entity: str, record_id: int, values: Mapping[str, Any], *,
            created_by: str | None = None) -> HookResult:
    return _run(store, conn, entity, record_id, values, created_by, lambda r: r.on_save)


def on_step(store, conn, entity: str, record_id: int, values: Mapping[str, Any], step: str, *,
            created_by: str | None = None) -> HookResult:
    return _run(store, conn, entity, record_id, values, created_by, lambda r: step in r.steps)


def _run(store, conn, entity: str, record_id: int, values, created_by, wanted) -> HookResult:
    rules: list[Rule] = [r for r in store.meta.kinds.get("rules", {}).values()
                         if r.enabled and r.entity == entity and wanted(r)]
    result = HookResult(rules=[r.name for r in rules])
    if not rules:
        return result
    try:
        with conn.begin_nested():
            env = {**values, "id": record_id, "created_by": created_by}
            reached = links.reached(store.meta.entity(entity), [t for r in rules for t in r.formulas()])
            if reached:
                links.load(conn, store.meta, reached, [env], store.types)
            ctx = Context(store.meta, store.functions, store.clock.today(), Directory(conn))
            now = store.clock.now()
            lock(conn, entity)
            result.counts.add(reconcile_many(conn, entity, {r.name: {record_id: evaluate(r, env, ctx)} for r in rules},
                                             now))
    except Exception as e:  # noqa: BLE001 - a warning must never make the save fail
        result.error = str(e)
    return result
