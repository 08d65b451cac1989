"""The committee screen (审保会) of an instance's vote step: the members and who has voted, the live
tally against the quorum and pass rule, the outcome and the resolution (决议) once decided, and the
vote buttons for a member whose vote is open. The tally part refreshes itself every few seconds
until the vote is decided.

Secret ballot until decided: before the outcome, a member sees who has voted and how many votes
are cast, not how anyone voted (nor the counts per choice, which would give it away); they see
their own vote. The chair, who conducts the meeting, sees every vote and opinion as it is cast.
Once decided, everyone who may read the record sees every vote with its opinion."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from core.workflow import Instance, Task
from metadata.workflow import Workflow

from . import context
from .i18n import text_of
from .workflow_labels import action_label, result_label, state_label, step_label
from .workflow_view import display, instance_or_404, name_of, workflows

bp = Blueprint("flow_committee", __name__, url_prefix="/flow")
REFRESH_SECONDS = 5
CHOICES = ("approve", "reject", "abstain", "reconsider")


def _held(tasks: list[Task]) -> list[Task]:
    """The vote tasks of the latest holding of a vote step (its latest round)."""
    votes = [t for t in tasks if t.kind == "vote"]
    if not votes:
        return []
    last = votes[-1]
    return [t for t in votes if t.step == last.step and t.round == last.round]


def _resolution(timeline: list[dict], step: str) -> dict | None:
    """The resolution logged since the step was last entered (None while the vote is open)."""
    found = None
    for row in timeline:
        if row["to_step"] == step and row["action"] in ("start", "move", "return") and row["from_step"] != step:
            found = None                     # entered afresh: earlier resolutions belong to earlier rounds
        elif row["action"] == "resolution" and row["step"] == step:
            found = row
    return found


def _fraction(text: str) -> str:
    return text.replace("/", " / ") if "/" in text else text


def committee(inst: Instance, wf_def: Workflow) -> dict | None:
    """What the committee templates show, or None when the instance never reached a vote."""
    wf = workflows()
    held = _held(wf.tasks(inst.id, current=False))
    if not held:
        return None
    step = wf_def.step(held[0].step)
    me = current_user.username
    resolution = _resolution(wf.timeline(inst.id), step.name)
    tally = wf.tally(inst.id, step.name)
    decided = resolution is not None
    chair = any(t.assignee == me and t.origin == "chair" for t in held)
    open_votes = [t for t, _actions in wf.available(inst.id, me) if t.kind == "vote"]
    members = []
    for t in held:
        voted = t.state == "done" and t.action in CHOICES
        shown = voted and (decided or chair or t.assignee == me)
        members.append({"task": t, "name": name_of(t.assignee), "chair": t.origin == "chair", "voted": voted,
                        "closed": t.state == "cancelled", "vote": action_label(t.action, True) if shown else "",
                        "choice": t.action if shown else "", "opinion": (t.opinion or "") if shown else "",
                        "at": t.acted_at if voted else None, "me": t.assignee == me})
    return {"step": step, "step_label": step_label(wf_def, step.name), "tally": tally, "decided": decided,
            "show_counts": decided or chair, "members": members, "open_votes": open_votes,
            "result": (resolution["data"] or {}).get("result") if resolution else None,
            "result_label": result_label((resolution["data"] or {}).get("result")) if resolution else "",
            "resolution_at": resolution["at"] if resolution else None,
            "pass_ratio": _fraction(str(step.pass_ratio)), "veto": step.veto,
            "options": [(o, action_label(o, True)) for o in step.options if o in CHOICES],
            "refresh": REFRESH_SECONDS}


def committee_page(instance_id: int, *, fragment: bool = False, live: bool = False, notice: str | None = None,
                   message: str | None = None, opinion: str = "", status: int = 200):
    """The committee page (or its body `#committee`, or only its live part `#committee-live`)."""
    inst = instance_or_404(instance_id)
    entity = context.entity_or_404(inst.entity)
    record = context.store().get(entity.name, inst.record_id, actor=current_user.actor)
    wf_def = workflows().definition(inst)
    disp = display()
    ctx = {"inst": inst, "entity": entity, "record": record, "c": committee(inst, wf_def), "disp": disp,
           "title": disp.title(entity, record.values, record.id), "workflow": text_of(wf_def.label),
           "state": state_label(inst.state), "notice": notice, "message": message, "opinion": opinion}
    template = "flow/committee_live.html" if live and ctx["c"] else "flow/committee_body.html" if fragment \
        else "flow/committee.html"
    return render_template(template, **ctx), status


@bp.route("/instance/<int:instance_id>/committee")
@login_required
def committee_view(instance_id: int):
    htmx = request.headers.get("HX-Request") == "true"
    return committee_page(instance_id, live=htmx and request.args.get("part") == "live")
