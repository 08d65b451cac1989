"""The workflow panel of a record and its actions: the panel fragment (loaded lazily by the record
page), start (提交审批), act on a task (同意, 驳回, 退回, 转办, 委派, 加签, 抄送, 交还, votes; with the files uploaded
through ui/workflow_files.py), withdraw (撤回).

Every POST is CSRF-checked by ui/auth.py. An HTMX request gets the refreshed panel back (or the
committee screen's body, when posted from there with `_wf_view=committee`); a plain form post is
redirected to the record. What the engine refuses comes back in the panel: a WorkflowError as a
message, a ValidationError at the fields it names, the user's opinion and input kept (422).
PermissionDenied (not an assignee, a wrong proxy password) is the app's 403. Form parameters start
with `_wf_` so they never collide with the record's own field names (ui/formdata.py ignores `_…`)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import PermissionDenied, ValidationError, msg
from core.files import attach
from core.workflow import WorkflowError

from . import context, formdata
from .i18n import message, text_of
from .widgets import pid
from .workflow_committee import committee_page
from .workflow_files import posted
from .workflow_labels import action_label, is_vote
from .workflow_panel import NEEDS_USER, SAVES_VALUES, panel
from .workflow_view import instance_or_404, task, workflows

bp = Blueprint("flow", __name__, url_prefix="/flow")


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _opinion() -> str | None:
    return (request.form.get("_wf_opinion") or "").strip() or None


def _record(entity_name: str, record_id: int):
    """The entity (404 / 403 when it may not be read) and the record (404)."""
    entity = context.entity_or_404(entity_name)
    return entity, context.store().get(entity.name, record_id, actor=current_user.actor)


def _render(entity, record, status: int = 200, **kw):
    return render_template("flow/panel.html", pid=pid, live_url="", has_files=False, autofocus=None,
                           **panel(entity, record, **kw)), status


def _answer(entity, record, *, notice: str | None = None, instance_id: int | None = None):
    """After a successful action: the refreshed panel (or committee body) for HTMX, else a redirect."""
    committee = request.form.get("_wf_view") == "committee" and instance_id is not None
    if _htmx():
        if committee:
            return committee_page(instance_id, fragment=True, notice=notice)
        return _render(entity, record, notice=notice)
    if notice:
        flash(notice, "info")
    if committee:
        return redirect(url_for("flow_committee.committee_view", instance_id=instance_id))
    return redirect(url_for("records.record_view", entity_name=entity.name, record_id=record.id))


def _refused(entity, record, text: str, *, errors: dict | None = None, task_id: int | None = None,
             instance_id: int | None = None, files: list[dict] | None = None):
    """The engine said no: the message (and field errors) in the panel, the user's input kept."""
    if not _htmx():
        flash(text, "error")
        return redirect(url_for("records.record_view", entity_name=entity.name, record_id=record.id))
    if request.form.get("_wf_view") == "committee" and instance_id is not None:
        return committee_page(instance_id, fragment=True, message=text, opinion=_opinion() or "", status=422)
    raw = formdata.parse_form(entity, request.form, context.meta())
    return _render(entity, record, 422, message=text, opinion=request.form.get("_wf_opinion") or "", raw=raw,
                   errors=errors, task_id=task_id, files=files)


def _field_errors(entity, errors: dict) -> str:
    """A ValidationError's messages as one line (the panel shows them at the fields it draws too)."""
    parts = []
    for name, ms in errors.items():
        label = text_of(entity.field(name).label) if name and entity.has(name) else ""
        parts += [f"{label}: {message(m)}" if label else message(m) for m in ms]
    return "；".join(parts)


@bp.route("/panel/<entity_name>/<int:record_id>")
@login_required
def panel_view(entity_name: str, record_id: int):
    entity, record = _record(entity_name, record_id)
    return _render(entity, record)


@bp.route("/start/<entity_name>/<int:record_id>", methods=["POST"])
@login_required
def start(entity_name: str, record_id: int):
    entity, record = _record(entity_name, record_id)
    if not context.store().allowed(current_user.actor, "update", entity):
        raise PermissionDenied(msg("没有提交该记录审批的权限", "you may not submit this record for approval"))
    name = request.form.get("_wf_workflow") or ""
    try:         # the engine refuses a workflow other than the record's product's
        workflows().start(entity.name, record.id, name, current_user.actor, opinion=_opinion())
    except ValidationError as e:
        return _refused(entity, record, _field_errors(entity, e.errors), errors=e.errors)
    except WorkflowError as e:
        return _refused(entity, record, message(e.message))
    return _answer(entity, record, notice=_("Submitted for approval."))


@bp.route("/task/<int:task_id>/act", methods=["POST"])
@login_required
def act(task_id: int):
    t = task(task_id)
    if t is None:
        abort(404)
    wf = workflows()
    inst = instance_or_404(t.instance_id)
    entity, record = _record(inst.entity, inst.record_id)
    wf_def = wf.definition(inst)
    step = wf_def.step(t.step)
    form = request.form
    action, _sep, position = (form.get("_wf_action") or "").partition(":")
    kw: dict = {}
    if action in SAVES_VALUES and step.editable:
        values = formdata.parse_form(entity, form, context.meta())
        kw["values"] = {k: v for k, v in values.items() if k in step.editable}
    if action == "return":
        kw["to"] = form.get("_wf_to") or "initiator"
    if action in NEEDS_USER:
        kw["user"] = form.get("_wf_user") or None
    if action == "add_signer":
        kw["position"] = position or "before"
    if action == "cc":
        kw["users"] = [u for u in form.getlist("_wf_users") if u]
    if form.get("_wf_proxy_password"):
        kw["proxy_password"] = form["_wf_proxy_password"]
    files = posted(entity.name, form)
    try:
        with context.store().transaction() as conn:    # the files become the record's with the action, or stay loose
            attach(conn, entity.name, record.id, files)
            wf.act(task_id, current_user.actor, action, _opinion(), attachments=[int(f["id"]) for f in files],
                   conn=conn, **kw)
    except ValidationError as e:
        return _refused(entity, record, _field_errors(entity, e.errors), errors=e.errors, task_id=task_id,
                        instance_id=inst.id, files=files)
    except WorkflowError as e:
        return _refused(entity, record, message(e.message), task_id=task_id, instance_id=inst.id, files=files)
    done = action_label(action, is_vote(wf_def, t.step))
    return _answer(entity, record, notice=_("%(action)s: done.", action=done), instance_id=inst.id)


@bp.route("/instance/<int:instance_id>/withdraw", methods=["POST"])
@login_required
def withdraw(instance_id: int):
    wf = workflows()
    inst = instance_or_404(instance_id)
    entity, record = _record(inst.entity, inst.record_id)
    try:
        wf.withdraw(instance_id, current_user.actor, _opinion())
    except WorkflowError as e:
        return _refused(entity, record, message(e.message))
    return _answer(entity, record, notice=_("Withdrawn."))
