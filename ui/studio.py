"""The administrator studio, first part: metadata versions and packs in the browser (docs/studio.md).

    GET  /studio                          the installed packs and every metadata version
    GET  /studio/versions/<n>.zip         a version's packs as an archive (one folder per pack;
                                          ?pack=acme: only those packs, e.g. the company's overlay)
    POST /studio/versions/<n>/restore     install version n's packs again, as a new version
    POST /studio/import                   an archive of packs: checked, compared, not yet installed
    POST /studio/import/<file id>         install the archive checked before (as a new version)

Opening the studio takes the administrator role (STUDIO_ROLES); installing and restoring take one of
the app config's `STUDIO_PUBLISH_ROLES` (default: the administrator too; a company may name a separate
role). An imported pack replaces the installed pack of the same name; the whole resulting set is
checked as `danbao install` checks it, and its problems are listed with file, line and key. Nothing
is installed until the administrator confirms the preview; every install is a new version,
recorded with who made it.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import files as core_files
from core import drafts, metastore
from core.impact import impact
from core.db import files as files_table
from core.errors import PermissionDenied, ValidationError, msg
from core.pack_archive import changes, from_zip, to_zip
from metadata.errors import MetadataError
from metadata.loader import load_packs

from . import context
from .files import content_disposition
from .i18n import N_, message

bp = Blueprint("studio", __name__, url_prefix="/studio")
KINDS = {"entities": N_("Entities"), "codelists": N_("Code lists"), "forms": N_("Forms"), "workflows": N_("Workflows"),
         "products": N_("Products"), "scorecards": N_("Scorecards"), "rules": N_("Warning rules"),
         "documents": N_("Document templates"), "menus": N_("Menus")}
STUDIO_ROLES = frozenset({"admin"})
ARCHIVE_FIELD = "pack_archive"         # the uploads' field in the files table (entity "_studio")
MAX_MB = 64


def may_open() -> bool:
    return current_user.is_authenticated and bool(STUDIO_ROLES & set(current_user.roles))


def may_publish() -> bool:
    roles = set(current_app.config.get("STUDIO_PUBLISH_ROLES") or STUDIO_ROLES)
    return may_open() and bool(roles & set(current_user.roles))


def _require(publish: bool = False) -> None:
    if not may_open():
        raise PermissionDenied(msg("仅管理员可以使用配置工作台", "Only administrators may use the studio."))
    if publish and not may_publish():
        raise PermissionDenied(msg("您没有发布配置的权限", "You may not publish metadata."))


def _clock():
    return current_app.extensions["danbao"].clock       # (a fresh database has no metadata, so no store)


def _checks() -> dict:
    return context.types().checks()


@bp.route("")
@login_required
def studio_view():
    _require()
    return render_template("studio/index.html", current=context.installed(), draft=drafts.current(context.engine()),
                           versions=list(reversed(metastore.versions(context.engine()))), may_publish=may_publish())


def version_note(note: str | None) -> str:
    """How a version came (core/drafts.py, the installs below) in words."""
    words = note.split() if note else []
    if words[:1] == ["draft"]:
        return _("Published draft (restored from version %(v)s)", v=words[2]) if len(words) == 3 else _("Published draft")
    if words[:1] == ["restore"]:
        return _("Restored version %(v)s", v=words[1])
    if words[:1] == ["import"]:
        return _("Imported %(packs)s", packs=" ".join(words[1:]))
    return ""


@bp.route("/versions/<int:version>.zip")
@login_required
def export(version: int):
    _require()
    sources = metastore.installed_sources(context.engine(), version)
    wanted = request.args.getlist("pack")             # only these packs (e.g. the company's overlay)
    if wanted:
        sources = [s for s in sources if metastore.pack_name(s) in wanted]
    if not sources:
        abort(404)
    suffix = f"-{'-'.join(metastore.pack_name(s) for s in sources)}" if wanted else ""
    return Response(to_zip(sources), mimetype="application/zip", headers={
        "Content-Disposition": content_disposition("attachment", f"danbao-metadata-v{version}{suffix}.zip"),
        "Cache-Control": "no-store"})


@bp.route("/versions/<int:version>/restore", methods=["POST"])
@login_required
def restore(version: int):
    _require(publish=True)
    sources = metastore.installed_sources(context.engine(), version)
    if not sources:
        abort(404)
    return _install(sources, lambda new: _("Version %(old)s restored as version %(new)s.", old=version, new=new),
                    note=f"restore {version}")


def _install(sources, done, note: str):
    """Install `sources` as a new version; `done(version)` is the notice."""
    try:
        installed = metastore.install(context.engine(), sources, actor=current_user.username,
                                      clock=_clock(), note=note, **_checks())
    except MetadataError as e:
        return render_template("studio/preview.html", problems=[str(p) for p in e.problems], changes=[],
                               file_id=None, packs=[]), 422
    flash(done(installed.version), "info")
    return redirect(url_for("studio.studio_view"))


@bp.route("/import", methods=["POST"])
@login_required
def import_archive():
    _require()
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return _refused(_("Choose a .zip archive of packs."))
    try:
        ref = core_files.save_upload(context.engine(), entity="_studio", field=ARCHIVE_FIELD, name=upload.filename,
                                     content_type=upload.mimetype, data=upload.stream.read(MAX_MB * 2**20 + 1),
                                     uploaded_by=current_user.username, clock=_clock(),
                                     accept=["zip"], max_size_mb=MAX_MB)
        return _preview(int(ref["id"]))
    except ValidationError as e:
        return _refused("；".join(message(m) for ms in e.errors.values() for m in ms))


def _archive(file_id: int) -> bytes:
    """An archive this user uploaded to the studio (404 for anything else)."""
    with context.engine().connect() as c:
        row = c.execute(files_table.select().where(
            (files_table.c.id == file_id) & (files_table.c.entity == "_studio")
            & (files_table.c.uploaded_by == current_user.username))).first()
    if row is None:
        abort(404)
    return row.data


def _merged(file_id: int):
    packs = from_zip(_archive(file_id))               # ValidationError: what is wrong with the archive
    return packs, metastore.merged_sources(metastore.installed_sources(context.engine()), packs)


def _preview(file_id: int):
    packs, sources = _merged(file_id)
    names = [metastore.pack_name(p) for p in packs]
    try:
        after = load_packs(sources, **_checks())
    except MetadataError as e:
        return render_template("studio/preview.html", problems=[str(p) for p in e.problems], changes=[],
                               file_id=None, packs=names), 422
    current = context.installed()
    before = current.meta if current else None
    return render_template("studio/preview.html", problems=[], packs=names, file_id=file_id, kinds=KINDS,
                           changes=changes(before, after), impact=impact(context.engine(), before, after),
                           may_publish=may_publish())


@bp.route("/import/<int:file_id>", methods=["POST"])
@login_required
def install_archive(file_id: int):
    _require(publish=True)
    try:
        packs, sources = _merged(file_id)
    except ValidationError as e:
        return _refused("；".join(message(m) for ms in e.errors.values() for m in ms))
    names = ", ".join(metastore.pack_name(p) for p in packs)
    return _install(sources, lambda new: _("Installed %(packs)s as metadata version %(new)s.", packs=names, new=new),
                    note="import " + " ".join(metastore.pack_name(p) for p in packs))


def _refused(text: str):
    return render_template("studio/preview.html", problems=[text], changes=[], file_id=None, packs=[]), 422


bp.add_app_template_global(may_open, "studio_allowed")
bp.add_app_template_global(version_note, "version_note")
