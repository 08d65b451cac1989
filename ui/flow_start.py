"""Which workflows a record may be submitted to (提交审批): a record whose product names a workflow
(core/products.py `workflow_for`) runs that one and no other; a record without a product may start
any workflow of its entity, as before. The panel offers only these, and the start route refuses
any other (a forged POST included)."""
from __future__ import annotations

from core.errors import msg
from core.products import workflow_for
from core.store import Record
from core.workflow import Workflows
from metadata.model import Entity, text_of
from metadata.workflow import Workflow

from . import context


def startable(wf: Workflows, entity: Entity, record: Record) -> list[Workflow]:
    every = wf.workflows_for(entity.name)
    name = workflow_for(context.meta(), record)
    return every if name is None else [w for w in every if w.name == name]


def refusal(wf: Workflows, entity: Entity, record: Record, name: str) -> dict | None:
    """Why `name` may not start on the record (a core `msg`), or None."""
    product = workflow_for(context.meta(), record)
    if product is None or product == name:
        return None
    label = next((text_of(w.label) for w in wf.workflows_for(entity.name) if w.name == product), product)
    return msg(f"该记录的担保产品规定使用流程「{label}」", f"the record's product runs the workflow '{product}'")
