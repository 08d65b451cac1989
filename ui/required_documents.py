"""申报资料 on a record's view: the documents its product requires (core/required_documents.py),
each with the step it is needed at, the files that satisfy it and an upload.

    POST /e/<entity>/<id>/required-documents/<code>   multipart, files in `_rd_files`

The upload is checked against the attachment field's limits, stored, and added to that field of the
record tagged with the document's code — a save on the one write path (permission, validation,
history). The answer is the checklist re-rendered (HTMX) or a redirect to the record.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from core import files as core_files
from core.errors import ConflictError, ValidationError
from core.products import product_of
from core.required_documents import checklist, upload_field
from core.store import Record

from . import context
from .i18n import message, text_of

bp = Blueprint("required_documents", __name__)
FILES_PARAM = "_rd_files"


def rows(entity_name: str, record: Record) -> list[dict]:
    """The checklist's rows (none when the record's product lists no documents)."""
    meta = context.meta()
    items = checklist(meta, entity_name, record.values)
    if not items:
        return []
    product = product_of(meta, entity_name, record.values)
    workflow = meta.kinds.get("workflows", {}).get(product.workflow)
    out = []
    for s in items:
        step = s.document.required_at_step
        out.append({"code": s.document.code, "label": text_of(s.document.label), "present": s.present,
                    "step": text_of(workflow.step(step).label) if step and workflow else "",
                    "files": [{"name": f["name"], "url": url_for("files.download", file_id=int(f["id"]))}
                              for f in s.files],
                    "upload_url": url_for("required_documents.upload", entity_name=entity_name,
                                          record_id=record.id, code=s.document.code)})
    return out


def section(entity_name: str, record: Record, *, errors=(), notice: str = "") -> Markup:
    items = rows(entity_name, record)
    if not items:
        return Markup("")
    entity = context.meta().entity(entity_name)
    can_upload = upload_field(entity) is not None and context.store().allowed(current_user.actor, "update", entity)
    return Markup(render_template("required_documents.html", items=items, can_upload=can_upload, errors=errors,
                                  notice=notice))


@bp.route("/e/<entity_name>/<int:record_id>/required-documents/<code>", methods=["POST"])
@login_required
def upload(entity_name: str, record_id: int, code: str):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    record = store.get(entity.name, record_id, actor=current_user.actor)        # 404 / 403
    if code not in {s.document.code for s in checklist(store.meta, entity.name, record.values)}:
        abort(404)
    field = upload_field(entity)
    errors: list[str] = []
    new = []
    limit = core_files.limit_bytes(field.max_size_mb)
    for up in request.files.getlist(FILES_PARAM):
        if not up or not up.filename:
            continue
        try:
            ref = core_files.save_upload(
                context.engine(), entity=entity.name, field=field.name, name=up.filename, content_type=up.mimetype,
                data=up.stream.read(limit + 1), uploaded_by=current_user.username,
                clock=current_app.extensions["danbao"].clock, accept=field.accept, max_size_mb=field.max_size_mb)
            new.append({**ref, "doc": code})
        except ValidationError as e:
            errors += [message(m) for ms in e.errors.values() for m in ms]
    if not new and not errors:
        errors.append(_("Choose a file to upload"))
    if new:
        try:
            with store.transaction() as conn:
                rec = store.update(entity.name, record_id, {field.name: list(record.values.get(field.name) or []) + new},
                                   version=record.version, actor=current_user.actor, conn=conn)
                core_files.attach(conn, entity.name, record_id, rec.values)
            record = rec
        except ValidationError as e:
            errors += [message(m) for ms in e.errors.values() for m in ms]
        except ConflictError:
            errors.append(_("Someone saved this record meanwhile; reload the page and upload again."))
    if not request.headers.get("HX-Request"):
        return redirect(url_for("records.record_view", entity_name=entity.name, record_id=record_id))
    notice = "" if errors else _("Uploaded.")
    return section(entity.name, store.get(entity.name, record_id, actor=current_user.actor), errors=errors,
                   notice=notice), (422 if errors else 200)


bp.add_app_template_global(section, "required_documents_section")
