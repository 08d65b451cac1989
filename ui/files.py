"""Attachments on screens: upload (HTMX, several files at once), download, preview, remove.

Routes (blueprint `files`):

- `POST /files/<entity>/<field_path>` — multipart: files in `_fw_files`, the widget's input name in
  `_fw_name` and the current references (JSON) under that name. The user must be allowed to create
  or update the entity. Each file is checked against the field's metadata (`accept`, `max_size_mb`,
  `multiple`) and stored (`core.files.save_upload`); the answer is the re-rendered widget with the
  new references added, and a message in place for each refused file. `field_path` is the field's
  name, or `table.column` for a child-table column.
- `POST /files/widget/remove` — `_fw_entity`, `_fw_field`, `_fw_name`, `_fw_remove` (a file id):
  the widget re-rendered without that reference. The file itself stays (history may refer to it);
  `core.files.delete_orphans` deletes uploads that no saved record ever referred to.
- `GET /files/<id>` — download (Content-Disposition attachment, RFC 5987 UTF-8 file name); the user
  must be allowed to read the entity the file was uploaded for (403 otherwise).
- `GET /files/<id>/preview` — inline, for images and PDFs only (checked by their bytes), with
  `X-Content-Type-Options: nosniff` and a restrictive Content-Security-Policy; anything else is
  served as a download.

The widget (`templates/files/widget.html`) is included by record forms; see docs/ui.md.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from core import files as core_files
from core.errors import PermissionDenied, ValidationError, msg
from metadata.model import Entity, Field, text_of

from . import context

bp = Blueprint("files", __name__)

FILES_PARAM, NAME_PARAM, REMOVE_PARAM = "_fw_files", "_fw_name", "_fw_remove"
ENTITY_PARAM, FIELD_PARAM = "_fw_entity", "_fw_field"
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
# PDFs open in the browser's own viewer (a new tab: the widget's preview link). Checked in Chromium
# 156: its viewer renders under `default-src 'none'`; object-src 'self' keeps older plugin-based
# viewers working, and there is no `sandbox` (some viewers refuse sandboxed documents).
PDF_CSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def init_app(app) -> None:
    """Register the blueprint (ui/app.py's blueprint loop does the same)."""
    if "files" not in app.blueprints:
        app.register_blueprint(bp)


@bp.record_once
def _setup(state) -> None:
    env = state.app.jinja_env
    if "_" not in env.globals:    # Flask-Babel not set up (yet): English msgids, untranslated
        env.add_extension("jinja2.ext.i18n")
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


# -- language ----------------------------------------------------------------------------------
def lang() -> str:
    """"zh" or "en", from Flask-Babel's locale ("zh" when Babel is not set up)."""
    if "babel" not in current_app.extensions:
        return "zh"
    from flask_babel import get_locale
    loc = get_locale()
    return "en" if loc is not None and str(loc).startswith("en") else "zh"


def message(m: dict) -> str:
    return m.get(lang()) or m.get("zh") or ""


# -- the widget's model ------------------------------------------------------------------------
def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def field_path_of(field: Field, name: str) -> str:
    """`contract_files` for a field; `docs.scan` for the column `scan` of the table `docs` whose
    input is named `docs.0.scan`."""
    parts = str(name).split(".")
    if len(parts) > 1 and parts[-1] == field.name:
        return f"{parts[0]}.{field.name}"
    return field.name


@dataclass
class Widget:
    entity: Entity
    field: Field
    name: str
    path: str
    refs: list
    errors: list
    readonly: bool

    @property
    def json(self) -> str:
        return json.dumps(self.refs, ensure_ascii=False, separators=(",", ":"))

    @property
    def items(self) -> list[dict]:
        out = []
        for r in self.refs:
            fid = r["id"]
            ctype = r.get("type") or ""
            out.append({**r, "size_text": size_text(r.get("size") or 0),
                        "download": url_for("files.download", file_id=fid),
                        "preview": url_for("files.preview", file_id=fid),
                        "image": ctype.startswith("image/") and ctype in core_files.PREVIEWABLE,
                        "previewable": ctype in core_files.PREVIEWABLE})
        return out

    @property
    def upload_url(self) -> str:
        return url_for("files.upload", entity_name=self.entity.name, field_path=self.path)

    @property
    def remove_url(self) -> str:
        return url_for("files.remove")

    @property
    def dom_id(self) -> str:
        return "dbf-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def accept_attr(self) -> str:
        return ",".join("." + a.lower().lstrip(".") for a in self.field.accept)

    @property
    def types_text(self) -> str:
        return ", ".join(a.lower().lstrip(".") for a in self.field.accept)

    @property
    def max_size_text(self) -> str:
        return f"{self.field.max_size_mb:g}"

    @property
    def label(self) -> str:
        return text_of(self.field.label) if self.field.label else self.field.name

    @property
    def params(self) -> str:
        return ",".join((FILES_PARAM, NAME_PARAM, REMOVE_PARAM, ENTITY_PARAM, FIELD_PARAM, "csrf_token", self.name))

    def vals(self, **extra) -> str:
        from flask import session
        data = {NAME_PARAM: self.name, ENTITY_PARAM: self.entity.name, FIELD_PARAM: self.path}
        token = session.get("csrf_token")
        if token:
            data["csrf_token"] = token
        data.update({k: str(v) for k, v in extra.items()})
        return json.dumps(data, ensure_ascii=False)


@bp.app_template_global("files_widget")
def files_widget(entity: Entity, field: Field, name: str, files=None, errors=None, field_path=None,
                 readonly=False) -> Widget:
    """The widget's model for the template: references from a list or JSON text, errors as
    core messages ({zh, en}) or plain strings, shown in the user's language."""
    refs = core_files.parse_refs(files if files is not None else [])
    shown = [message(e) if isinstance(e, dict) else str(e) for e in (errors or [])]
    return Widget(entity, field, name, field_path or field_path_of(field, name), refs, shown, bool(readonly))


def _render(w: Widget) -> str:
    return render_template("files/widget.html", entity=w.entity, field=w.field, name=w.name, files=w.refs,
                           file_errors=w.errors, field_path=w.path, files_readonly=w.readonly)


# -- routes ------------------------------------------------------------------------------------
def _target(entity_name: str, field_path: str) -> tuple[Entity, Field]:
    """The entity (404 unknown, 403 unreadable) and the attachment field (404 otherwise) of a path."""
    entity = context.entity_or_404(entity_name)
    head, _dot, column = field_path.partition(".")
    if not entity.has(head):
        abort(404)
    field = entity.field(head)
    if column:
        if not field.is_table or column not in {c.name for c in field.fields}:
            abort(404)
        field = field.child(column)
    if field.type != "attachment":
        abort(404)
    return entity, field


def _require_edit(entity: Entity, field: Field) -> None:
    s, actor = context.store(), current_user.actor
    if not (s.allowed(actor, "create", entity) or s.allowed(actor, "update", entity)):
        raise PermissionDenied(msg(f"没有编辑「{text_of(entity.label)}」的权限", f"you may not edit {entity.name}"))
    if field.readonly and not actor.system:
        raise PermissionDenied(msg("该字段只读", "this field is read-only"))


def _widget_name(default: str) -> str:
    name = request.form.get(NAME_PARAM) or default
    return name[:200]


@bp.route("/files/<entity_name>/<field_path>", methods=["POST"])
@login_required
def upload(entity_name: str, field_path: str):
    entity, field = _target(entity_name, field_path)
    _require_edit(entity, field)
    engine = context.engine()
    name = _widget_name(field_path)
    refs = core_files.normalize_refs(engine, core_files.parse_refs(request.form.get(name)))
    limit = core_files.limit_bytes(field.max_size_mb)
    clock = current_app.extensions["danbao"].clock
    errors: list = []
    new: list = []
    for up in request.files.getlist(FILES_PARAM):
        if not up or not up.filename:
            continue
        if new and not field.multiple:
            errors.append(msg(f"「{core_files.clean_name(up.filename)}」未上传:只能上传一个文件",
                              f"{core_files.clean_name(up.filename)} was not added: only one file is allowed"))
            continue
        data = up.stream.read(limit + 1)         # never more than the limit (+1 to know it is over)
        try:
            new.append(core_files.save_upload(
                engine, entity=entity.name, field=field_path, name=up.filename, content_type=up.mimetype,
                data=data, uploaded_by=current_user.username, clock=clock, accept=field.accept,
                max_size_mb=field.max_size_mb))
        except ValidationError as e:
            for ms in e.errors.values():
                errors.extend(ms)
    if not new and not errors:
        errors.append(msg("请选择要上传的文件", "Choose a file to upload"))
    refs = (refs + new) if field.multiple else (new[:1] or refs)
    w = files_widget(entity, field, name, refs, errors, field_path)
    return _render(w)


@bp.route("/files/widget/remove", methods=["POST"])
@login_required
def remove():
    entity, field = _target(request.form.get(ENTITY_PARAM, ""), request.form.get(FIELD_PARAM, ""))
    _require_edit(entity, field)
    path = request.form.get(FIELD_PARAM, "")
    name = _widget_name(path)
    gone = request.form.get(REMOVE_PARAM, "")
    refs = [r for r in core_files.parse_refs(request.form.get(name)) if r["id"] != gone]
    refs = core_files.normalize_refs(context.engine(), refs)
    return _render(files_widget(entity, field, name, refs, None, path))


def _readable_file(file_id: int):
    """The file row (no data) if the user may read the entity it was uploaded for."""
    row = core_files.open_file(context.engine(), file_id, with_data=False)
    context.entity_or_404(row.entity)       # 404 unknown entity, 403 (PermissionDenied) unreadable
    return row


def content_disposition(kind: str, name: str) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 / 5987)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._() -]", "_", ascii_name).strip() or "file"
    if ascii_name.startswith(".") or set(ascii_name) <= {"_", "."}:
        ext = core_files.extension(name)
        ascii_name = "file" + (f".{ext}" if ext.isascii() and ext.isalnum() else "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _send(row, *, inline_type: str | None) -> Response:
    etag = row.sha256
    if request.if_none_match and etag in request.if_none_match:
        resp = Response(status=304)
    else:
        data = bytes(core_files.open_file(context.engine(), row.id).data)
        if inline_type and core_files.sniff(data) != inline_type:   # belt and braces: bytes decide
            inline_type = None
        resp = Response(data, mimetype=inline_type or row.content_type or "application/octet-stream")
        resp.headers["Content-Disposition"] = content_disposition(
            "inline" if inline_type else "attachment", row.name)
    resp.set_etag(etag)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["Content-Security-Policy"] = (
        PDF_CSP if inline_type == "application/pdf" else IMAGE_CSP if inline_type else DOWNLOAD_CSP)
    resp.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return resp


@bp.route("/files/<int:file_id>")
@login_required
def download(file_id: int):
    return _send(_readable_file(file_id), inline_type=None)


@bp.route("/files/<int:file_id>/preview")
@login_required
def preview(file_id: int):
    row = _readable_file(file_id)
    # stored types are only ever previewable when the upload's bytes matched (save_upload)
    inline = row.content_type if row.content_type in core_files.PREVIEWABLE else None
    return _send(row, inline_type=inline)
