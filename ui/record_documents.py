"""Documents on a record's view: the 文档 menu lists the documents the user may generate from the
record now (`core.documents.available`: read permission, the document's roles, the workflow step),
each a download of the filled .docx (`core.documents.render`).

    GET /e/<entity>/<id>/documents/<name>     the .docx, `Content-Disposition: attachment` with the
                                              document's file name (RFC 6266, UTF-8 `filename*`)

A template or value that fails is a page saying what is wrong (422), never a stack trace; a user
who may not generate it gets the app's 403.
"""
from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.documents import DocumentError, available, documents_of, render
from core.store import Record

from . import context
from .files import content_disposition
from .i18n import message, text_of

bp = Blueprint("record_documents", __name__)


def offered(entity_name: str, record: Record) -> list[dict]:
    """The documents of the record's menu: name, label, description and download URL."""
    store = context.store()
    if not documents_of(store, entity_name):          # most entities have none: no query at all
        return []
    return [{"name": d.name, "label": text_of(d.label), "description": text_of(d.description) if d.description else "",
             "url": url_for("record_documents.download", entity_name=entity_name, record_id=record.id, name=d.name)}
            for d in available(store, entity_name, record, current_user.actor)]


@bp.route("/e/<entity_name>/<int:record_id>/documents/<name>")
@login_required
def download(entity_name: str, record_id: int, name: str):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    doc = store.meta.kinds.get("documents", {}).get(name)
    if doc is None or doc.entity != entity.name:
        return _failed(404, _("No such document."))
    try:
        out = render(store, name, record_id, current_user.actor)     # NotFound, PermissionDenied: the app's pages
    except DocumentError as e:
        return _failed(422, message(e.message))
    return Response(out.content, mimetype=out.media_type, headers={
        "Content-Disposition": content_disposition("attachment", out.file_name),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _failed(code: int, detail: str):
    return render_template("error.html", code=code, title=_("The document could not be generated"),
                           detail=detail), code


bp.add_app_template_global(offered, "record_documents")
