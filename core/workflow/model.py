"""Instances, tasks and actions as plain dataclasses; the engine's error."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from ..errors import DanbaoError, msg


class WorkflowError(DanbaoError):
    """The action is not possible now (wrong state, nobody to act, no transition applies…).
    Nothing was written."""
    message = msg("流程操作失败", "The workflow action failed")


def error(zh: str, en: str) -> WorkflowError:
    return WorkflowError(msg(zh, en))


@dataclass
class Instance:
    id: int
    workflow: str
    definition: str
    meta_version: int | None
    entity: str
    record_id: int
    state: str              # running | approved | rejected | withdrawn
    step: str | None
    round: int
    initiator: str
    started_at: datetime
    ended_at: datetime | None
    version: int

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass
class Task:
    id: int
    instance_id: int
    step: str
    round: int
    assignee: str
    kind: str               # task | approve | vote | cc
    state: str              # open | waiting | done | cancelled
    seq: int
    waits_for: int | None
    origin: str             # resolved | added | delegated | transferred | escalated
    created_at: datetime
    due_at: datetime | None
    reminded_at: datetime | None
    acted_at: datetime | None
    action: str | None
    opinion: str | None
    on_behalf_of: str | None
    delegated_from: str | None
    added_by: str | None


def from_row(cls, row):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row._mapping.items() if k in names})
