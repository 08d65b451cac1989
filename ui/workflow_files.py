"""Attachments to a workflow action (审批附件): an assignee uploads files in the action form and they
are recorded with the action (`Workflows.act(attachments=…)`), listed in the timeline.

Acting on a task needs no update permission on the record, so these uploads do not go through a
record's attachment field (`ui/files.py`): `POST /flow/task/<task_id>/files` takes them from whoever
may act on that open task (its assignee, or their standing proxy) and stores them with
`core.files.save_upload` under the record's entity and the reserved field name `_workflow`. The
types and size allowed are the same for every workflow (ACCEPT, MAX_SIZE_MB; docs/workflow.md).
The references travel in the action form as JSON (`_wf_files`); acting marks the files as the
record's (`core.files.attach`) in the action's transaction, so `core.files.delete_orphans` clears
uploads nobody submitted. Downloads are `files.download`: anyone who may read the entity."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from core import files as core_files
from core.errors import PermissionDenied, ValidationError, msg

from . import context
from .files import size_text
from .i18n import message
from .workflow_view import instance_or_404, task, workflows

bp = Blueprint("flow_files", __name__, url_prefix="/flow")

FIELD = "_workflow"                   # `files.field` of workflow attachments: no record field has this name
ACCEPT = ("pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "txt")
MAX_SIZE_MB = 20
REFS_PARAM, UPLOAD_PARAM, REMOVE_PARAM = "_wf_files", "_wf_upload", "_wf_remove"


def posted(entity_name: str, form) -> list[dict]:
    """The references in `_wf_files` that are the signed-in user's own workflow uploads for this
    entity, not yet attached to anything (crafted ids of other files are dropped)."""
    refs = core_files.parse_refs(form.get(REFS_PARAM))
    rows = core_files.lookup(context.engine(), {int(r["id"]) for r in refs})
    mine = [r for r in refs if int(r["id"]) in rows and _own_upload(rows[int(r["id"])], entity_name)]
    return core_files.normalize_refs(context.engine(), mine)


def _own_upload(row, entity_name: str) -> bool:
    return row.entity == entity_name and row.field == FIELD and row.record_id is None \
        and row.uploaded_by == current_user.username


def attachment_view(task_id: int, refs: list[dict], errors: list[str] | None = None) -> dict:
    """What flow/files.html shows for one action form."""
    return {"task_id": task_id, "json": json.dumps(refs, ensure_ascii=False, separators=(",", ":")),
            "items": [{**r, "size_text": size_text(r["size"])} for r in refs], "errors": errors or [],
            "accept": ",".join("." + a for a in ACCEPT), "types": ", ".join(ACCEPT), "max_size": f"{MAX_SIZE_MB:g}",
            "params": ",".join((REFS_PARAM, UPLOAD_PARAM, REMOVE_PARAM))}


@bp.route("/task/<int:task_id>/files", methods=["POST"])
@login_required
def upload(task_id: int):
    """Add the files in `_wf_upload` (or remove `_wf_remove`) and answer the re-rendered list."""
    t = task(task_id)
    if t is None:
        abort(404)
    inst = instance_or_404(t.instance_id)
    entity = context.entity_or_404(inst.entity)
    context.store().get(entity.name, inst.record_id, actor=current_user.actor)      # may read the record
    if not any(mine.id == t.id for mine, _actions in workflows().available(inst.id, current_user.username)):
        raise PermissionDenied(msg("只有当前待办的处理人可以上传审批附件",
                                   "only the assignee of this open task may attach files to it"))
    refs = [r for r in posted(entity.name, request.form) if r["id"] != request.form.get(REMOVE_PARAM)]
    errors: list[str] = []
    limit = core_files.limit_bytes(MAX_SIZE_MB)
    for up in request.files.getlist(UPLOAD_PARAM):
        if not up or not up.filename:
            continue
        try:
            refs.append(core_files.save_upload(
                context.engine(), entity=entity.name, field=FIELD, name=up.filename, content_type=up.mimetype,
                data=up.stream.read(limit + 1), uploaded_by=current_user.username,
                clock=current_app.extensions["danbao"].clock, accept=ACCEPT, max_size_mb=MAX_SIZE_MB))
        except ValidationError as e:
            errors += [message(m) for ms in e.errors.values() for m in ms]
    return render_template("flow/files.html", a=attachment_view(task_id, refs, errors))
