"""The studio's draft in the browser: start, review (diff, impact, problems), publish, discard.

    POST /studio/draft/start[?version=n]   a new draft from the installed version (or version n)
    GET  /studio/draft                     the review: problems, what publishing changes, its impact
    POST /studio/draft/publish             install the draft as a new version (publishers only)
    POST /studio/draft/rebase              carry the studio's pack over to a version installed since
    POST /studio/draft/values/<e.f>        how a field's values convert when its type changes (old → new)
    POST /studio/draft/discard             drop the draft

The editors (ui/studio_entities.py, ui/studio_codelists.py) change the draft through `change`,
which starts a draft when there is none. The studio's own pack is named by the app config's
`STUDIO_PACK` (default "company").
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import drafts, metastore
from core.impact import codes_of, impact
from core.pack_archive import changes
from metadata.errors import MetadataError
from metadata.model import Metadata
from metadata.source import digest_of

from . import context
from .studio import KINDS, _checks, _clock, _require, may_publish

bp = Blueprint("studio_draft", __name__, url_prefix="/studio/draft")


def pack() -> str:
    return current_app.config.get("STUDIO_PACK") or "company"


_compiled: dict = {}       # (content digest, registry) -> (metadata, problems): compiling takes a while


def compiled(draft: drafts.Draft | None) -> tuple[Metadata | None, list]:
    """The draft's metadata and problems (compiled once per content); no draft: what is installed."""
    if draft is None:
        return context.meta(), []
    key = (digest_of(list(draft.sources)), id(context.types()))
    if key not in _compiled:
        if len(_compiled) >= 8:
            _compiled.clear()
        _compiled[key] = drafts.check(draft.sources, **_checks())
    return _compiled[key]


def current() -> drafts.Draft | None:
    return drafts.current(context.engine())


def state() -> tuple[drafts.Draft | None, Metadata | None, list]:
    """(draft, metadata, problems): the draft's metadata, or what is installed when the draft does not
    compile (the editors then build on that) or there is no draft."""
    draft = current()
    meta, problems = compiled(draft)
    return draft, meta or context.meta(), problems


def change(edit) -> tuple[drafts.Draft, Metadata | None, list]:
    """Apply `edit(sources, meta)` to the draft (started now when there is none) and save it."""
    draft = current() or drafts.start(context.engine(), actor=current_user.username, clock=_clock())
    meta, _problems = compiled(draft)
    sources = edit(list(draft.sources), meta or context.meta())
    saved = drafts.save(context.engine(), sources, based_on=draft.based_on, note=draft.note,
                        actor=current_user.username, clock=_clock())
    return (saved, *compiled(saved))


def problems_for(problems, path: str) -> list[str]:
    """The problems of one file of the studio's pack, e.g. "entities/customer.yaml"."""
    return [str(p) for p in problems if p.file.endswith(f"{pack()}/{path}") or p.file == f"{pack()}/{path}"]


@bp.route("/start", methods=["POST"])
@login_required
def start():
    _require()
    version = request.args.get("version", type=int)
    try:
        drafts.start(context.engine(), actor=current_user.username, clock=_clock(), version=version)
    except KeyError:
        abort(404)
    flash(_("Version %(v)s restored as a draft.", v=version) if version else _("Draft started."), "info")
    return redirect(url_for("studio_draft.review"))


@bp.route("")
@login_required
def review():
    _require()
    draft = current()
    if draft is None:
        return redirect(url_for("studio.studio_view"))
    after, problems = compiled(draft)
    installed = context.installed()
    before = installed.meta if installed else None
    return render_template("studio/draft.html", draft=draft, problems=[str(p) for p in problems], kinds=KINDS,
                           changes=changes(before, after) if after else [],
                           impact=impact(context.engine(), before, after, draft.conversions) if after else None,
                           map_values=True,
                           stale=drafts.stale(context.engine(), draft), may_publish=may_publish(), pack=pack())


@bp.route("/publish", methods=["POST"])
@login_required
def publish():
    _require(publish=True)
    try:
        installed = drafts.publish(context.engine(), actor=current_user.username, clock=_clock(), **_checks())
    except LookupError:
        abort(404)
    except MetadataError:
        flash(_("The draft has problems or is out of date; nothing was published."), "error")
        return redirect(url_for("studio_draft.review"))
    flash(_("The draft was published as metadata version %(v)s.", v=installed.version), "info")
    return redirect(url_for("studio.studio_view"))


@bp.route("/rebase", methods=["POST"])
@login_required
def rebase():
    _require()
    draft = current()
    if draft is None:
        abort(404)
    drafts.rebase(context.engine(), draft, pack(), actor=current_user.username, clock=_clock())
    flash(_("The draft now builds on metadata version %(v)s.", v=metastore.versions(context.engine())[-1]["version"]),
          "info")
    return redirect(url_for("studio_draft.review"))


@bp.route("/values/<key>", methods=["POST"])
@login_required
def map_values(key: str):
    """How the values of a field whose type changes convert on publishing (old-i → new-i)."""
    _require()
    meta, _problems = compiled(current())
    entity, _dot, name = key.partition(".")
    if meta is None or entity not in meta.entities or not meta.entity(entity).has(name):
        abort(404)
    codes = {code for code, _label in codes_of(meta.entity(entity).field(name), meta)}
    form = request.form
    mapping = {form[k]: form.get("new-" + k[4:], "") for k in form if k.startswith("old-")}
    if any(new and new not in codes for new in mapping.values()):
        flash(_("Choose codes of the field's list."), "error")
        return redirect(url_for("studio_draft.review")), 303
    drafts.map_values(context.engine(), key, mapping, actor=current_user.username, clock=_clock())
    flash(_("The conversion was saved in the draft."), "info")
    return redirect(url_for("studio_draft.review") + "#studio-impact")


@bp.route("/discard", methods=["POST"])
@login_required
def discard():
    _require()
    drafts.discard(context.engine())
    flash(_("The draft was discarded."), "info")
    return redirect(url_for("studio.studio_view"))
