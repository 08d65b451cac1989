"""The workflow engine: instances of metadata workflows, their tasks, actions, votes and deadlines.

    wf = Workflows(store)
    inst = wf.start("project", rec.id, "approval", actor)
    task = wf.todo("li")[0]
    wf.act(task.id, actor, "approve", opinion="同意")

See docs/workflow.md. Modules: `model` (rows as dataclasses, errors), `definitions` (the workflow
version an instance runs on), `resolve` (who acts), `rules` (when an approval step is decided),
`votes` (tally and resolution), `moves` (entering and leaving steps, side effects), `effects`
(creating related records, plugin actions), `proxies` (standing proxy authorisations), `engine`
(actions), `queries` (to-do lists, reminders, timeline), `deadlines` and `cron` (the cron job).
"""
from .model import Instance, Task, WorkflowError

__all__ = ["Instance", "Task", "WorkflowError", "Workflows"]


def __getattr__(name: str):
    # the engine is loaded on first use, so that `core.workflow.resolve` (who is who, also used by
    # warning rules, which the store runs on save) can be imported without the engine and the store
    if name == "Workflows":
        from .engine import Workflows
        return Workflows
    raise AttributeError(name)
