"""The workflow panel of a record: what `flow/panel.html` shows, gathered from the engine's reads.

- no running instance: the workflows the record may be submitted to (for users who may update it);
- a running or ended one: its state, the current step and who holds it, the signed-in user's open
  tasks with their actions (the buttons), the inputs those actions need (return target, a user, CC
  users), the step's editable fields, acting for an absent assignee where the step allows it, the
  timeline and the flow diagram.

Nothing is decided here: which actions a task allows comes from `Workflows.available` /
`Workflows.actions`, and the engine checks everything again when the form is posted."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_login import current_user

from core.files import lookup
from core.store import Actor, Record
from core.workflow import Instance, Task, Workflows
from core.workflow.queries import path
from metadata.model import Entity
from metadata.workflow import Step, Workflow

from . import context, flowchart
from .display import Display
from .flow_start import startable
from .i18n import text_of
from .widgets import FormView
from .workflow_labels import (
    STATE_BADGES,
    action_label,
    is_vote,
    origin_label,
    result_label,
    state_label,
    step_label,
    task_state_label,
)
from .workflow_files import attachment_view
from .workflow_view import active_users, display, name_of, now, users, workflows

# actions that finish the user's part of a step: the step's editable fields are saved with them
SAVES_VALUES = ("submit", "approve", "hand_back")
# one-click actions (buttons); the others need a target: a step, a user or CC users
DECISIONS = ("submit", "approve", "reject", "hand_back", "abstain", "reconsider")
PRIMARY = ("submit", "approve", "hand_back")
NEEDS_USER = ("transfer", "delegate", "add_signer")


@dataclass
class TaskForm:
    """One open task the user (or a proxy) may act on, with the buttons and inputs it needs."""
    task: Task
    step: Step
    label: str                                    # the step's label
    buttons: list[tuple[str, str, str]]           # (value of _wf_action, label, css class)
    returns: list[tuple[str, str]] = field(default_factory=list)   # (to, label)
    user_actions: list[tuple[str, str]] = field(default_factory=list)
    can_cc: bool = False
    proxy_for: str | None = None                  # acting for this assignee with their password (allow_proxy)
    behalf_of: str | None = None                  # acting for this assignee as their standing proxy


def _buttons(actions: tuple[str, ...], vote: bool) -> list[tuple[str, str, str]]:
    return [(a, action_label(a, vote), "primary" if a in PRIMARY else "danger" if a == "reject" else "")
            for a in actions if a in DECISIONS]


def _user_actions(actions: tuple[str, ...]) -> list[tuple[str, str]]:
    out = [(a, action_label(a)) for a in ("transfer", "delegate") if a in actions]
    if "add_signer" in actions:
        out += [("add_signer:before", _("Add signer before me")), ("add_signer:after", _("Add signer after me"))]
    return out


def task_form(wf_def: Workflow, inst: Instance, task: Task, actions: tuple[str, ...], taken: list[str],
              proxy_for: str | None = None, behalf_of: str | None = None) -> TaskForm:
    step = wf_def.step(task.step)
    vote = step.kind == "vote"
    form = TaskForm(task, step, step_label(wf_def, step.name), _buttons(actions, vote), proxy_for=proxy_for,
                    behalf_of=behalf_of)
    if "return" in actions:
        earlier = []
        for s in taken:
            if s != inst.step and s != wf_def.start and s not in earlier and wf_def.has_step(s) \
                    and wf_def.step(s).kind != "end":
                earlier.append(s)
        form.returns = [("initiator", _("The applicant (%(step)s)", step=step_label(wf_def, wf_def.start)))]
        form.returns += [(s, step_label(wf_def, s)) for s in earlier]
    form.user_actions = _user_actions(actions)
    form.can_cc = "cc" in actions
    return form


def fields_view(entity: Entity, record: Record, step: Step, raw: dict | None = None,
                errors: dict | None = None) -> FormView | None:
    """The step's editable fields as a form (the record's values, or what was posted), or None."""
    if not step.editable:
        return None
    # the workflow writes these fields for the assignee whatever the entity's own permissions
    # (core.workflow.moves.Run.write): preview them the same way
    actor = Actor(current_user.username, current_user.roles, system=True)
    data = {k: v for k, v in (raw or {}).items() if k in step.editable}
    prepared = context.store().preview(entity.name, data, record_id=record.id, actor=actor)
    return FormView(context.meta(), entity, prepared, data, display=display(), users=users, record=record,
                    version=record.version, show_all=bool(errors), extra_errors=errors)


def timeline(wf: Workflows, wf_def: Workflow, inst: Instance) -> list[dict]:
    rows = wf.timeline(inst.id)
    files = lookup(context.engine(), {i for r in rows for i in (r["attachments"] or [])})
    out = []
    for r in rows:
        data = r["data"] or {}
        vote = is_vote(wf_def, r["step"])
        detail = ""
        if r["action"] == "return":
            to = data.get("to")
            detail = step_label(wf_def, wf_def.start) if to in (None, "", "initiator") else step_label(wf_def, to)
        elif r["action"] in NEEDS_USER:
            detail = name_of(data.get("user"))
        elif r["action"] in ("cc", "escalate"):         # the people CC'd, or those who took over
            detail = "、".join(name_of(u) for u in data.get("users" if r["action"] == "cc" else "to") or [])
        out.append({
            "id": r["id"], "at": r["at"], "actor": name_of(r["actor"]), "system": r["actor"] == "system",
            "on_behalf_of": name_of(r["on_behalf_of"]), "action": r["action"],
            "label": _position_label(r["action"], data) or action_label(r["action"], vote),
            "from": step_label(wf_def, r["from_step"]),
            "to": step_label(wf_def, r["to_step"]) if r["to_step"] != "(end)" else "",
            "opinion": r["opinion"] or "", "detail": detail,
            "result": result_label(data.get("result")) if r["action"] == "resolution" else "",
            "tally": data.get("tally") if r["action"] == "resolution" else None,
            "files": [files[i] for i in r["attachments"] or [] if i in files],
        })
    return out


def _position_label(action: str, data: dict) -> str:
    if action != "add_signer":
        return ""
    return _("Add signer before me") if data.get("position") == "before" else _("Add signer after me")


def holders(wf: Workflows, inst: Instance, at) -> list[dict]:
    """Who holds the current step: open and waiting tasks (not CCs)."""
    if not inst.running:
        return []
    return [{"task": t, "name": name_of(t.assignee), "state": task_state_label(t.state), "open": t.state == "open",
             "origin": origin_label(t.origin), "since": t.created_at, "due": t.due_at,
             "overdue": bool(t.due_at and t.due_at < at), "for": name_of(t.delegated_from)}
            for t in wf.tasks(inst.id) if t.kind != "cc" and t.state in ("open", "waiting")]


def diagram(wf_def: Workflow, inst: Instance, taken: list[str]):
    """The flow diagram (ui/flowchart.py): the path taken and the current step marked."""
    legend = {"title": text_of(wf_def.label), "reject": _("Reject"), "fail": _("Not passed"),
              "no_quorum": _("No quorum"), "reconsider": _("Reconsider"), "task": _("Task"),
              "approval": _("Approval"), "vote": _("Vote"), "end": _("End"), "taken": _("Path taken"),
              "current": _("Current step")}
    return flowchart.render(wf_def, taken=taken, current=inst.step if inst.running else None,
                            label=lambda step: step_label(wf_def, step.name), legend=legend)


def panel(entity: Entity, record: Record, *, notice: str | None = None, message: str | None = None, opinion: str = "",
          raw: dict | None = None, errors: dict | None = None, task_id: int | None = None,
          files: list[dict] | None = None) -> dict:
    """Everything flow/panel.html needs. `message`, `opinion`, `raw`, `errors` and the uploaded
    `files` come back from a refused action (`task_id` is the form they belong to), so the user's
    input is kept."""
    wf = workflows()
    me = current_user.username
    store = context.store()
    inst = wf.instance_for(entity.name, record.id)
    disp: Display = display()
    ctx = {"entity": entity, "record": record, "inst": inst, "notice": notice, "message": message, "opinion": opinion,
           "disp": disp, "task_id": task_id, "forms": [], "proxies": [], "holders": [], "timeline": [],
           "startable": [], "diagram": None, "users": [], "fields": {}, "attachments": {}, "can_withdraw": False}
    if (inst is None or not inst.running) and store.allowed(current_user.actor, "update", entity):
        ctx["startable"] = [(w.name, text_of(w.label)) for w in startable(wf, entity, record)]
    if inst is None:
        return ctx
    wf_def = wf.definition(inst)
    taken = path(context.engine(), inst.id)
    at = now()
    ctx.update(wf_def=wf_def, workflow=text_of(wf_def.label), step=step_label(wf_def, inst.step),
               state=state_label(inst.state), state_badge=STATE_BADGES.get(inst.state, ""),
               initiator=name_of(inst.initiator), holders=holders(wf, inst, at),
               timeline=timeline(wf, wf_def, inst), diagram=diagram(wf_def, inst, taken),
               can_withdraw=inst.running and inst.initiator == me and wf.can_withdraw(inst.id, me),
               committee=any(wf_def.has_step(s) and wf_def.step(s).kind == "vote" for s in taken))
    forms = [task_form(wf_def, inst, t, actions, taken, behalf_of=name_of(t.assignee) if t.assignee != me else None)
             for t, actions in wf.available(inst.id, me)]
    # attachments go with the user's own forms (and a standing proxy's): the upload route checks
    # `available` too, which a password-proxy does not pass before acting
    ctx["attachments"] = {f.task.id: attachment_view(f.task.id, (files or []) if task_id == f.task.id else [])
                          for f in forms if f.task.kind != "cc"}
    step = wf_def.step(inst.step) if inst.running else None
    if step is not None and step.allow_proxy:
        mine = {f.task.id for f in forms}
        ctx["proxies"] = [task_form(wf_def, inst, h["task"], Workflows.actions(h["task"], step), taken,
                                    proxy_for=h["name"])
                          for h in ctx["holders"] if h["open"] and h["task"].assignee != me
                          and h["task"].id not in mine and h["task"].origin != "delegated"]
    ctx["forms"] = forms
    if forms or ctx["proxies"]:
        ctx["users"] = active_users(exclude=me)
    for f in forms + ctx["proxies"]:
        mine_errors = errors if task_id == f.task.id else None
        view = fields_view(entity, record, f.step, raw if task_id == f.task.id else None, mine_errors)
        if view is not None:
            ctx["fields"][f.task.id] = view
    return ctx
