"""Which workflows a record may be submitted to (提交审批): a record whose product names a workflow
(core/products.py `workflow_for`) runs that one and no other; a record without a product may start
any workflow of its entity, as before. The panel offers only these, and the start route refuses
any other (a forged POST included) — as the engine does (`Workflows.start`)."""
from __future__ import annotations

from core.products import workflow_for
from core.store import Record
from core.workflow import Workflows
from metadata.model import Entity
from metadata.workflow import Workflow

from . import context


def startable(wf: Workflows, entity: Entity, record: Record) -> list[Workflow]:
    every = wf.workflows_for(entity.name)
    name = workflow_for(context.meta(), record)
    return every if name is None else [w for w in every if w.name == name]
