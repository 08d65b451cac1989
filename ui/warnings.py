"""我的预警 (my warnings): the warnings the signed-in user receives, filtered by level and state,
with acknowledge and handle-with-a-note, each linking to its record. The lifecycle rules live in
core/warnings/lifecycle.py; this module only lays them out (docs/rules.md "The screen")."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import PermissionDenied
from core.warnings import LEVELS, STATES, WarningError, acknowledge, handle, listing
from core.warnings.lifecycle import LIVE, get

from . import context
from .i18n import N_, text_of
from .workflow_view import name_of, now

bp = Blueprint("warnings", __name__, url_prefix="/warnings")
LEVEL_LABELS = {"red": N_("Red"), "orange": N_("Orange"), "yellow": N_("Yellow"), "blue": N_("Blue")}
STATE_LABELS = {"open": N_("Open"), "acknowledged": N_("Acknowledged"), "handled": N_("Handled"),
                "resolved": N_("Resolved")}
BADGES = {"red": "danger", "orange": "warning", "yellow": "warning", "blue": "info"}


def _filters() -> tuple[list[str], list[str]]:
    levels = [v for v in request.args.getlist("level") if v in LEVELS]
    states = [v for v in request.args.getlist("state") if v in STATES]
    return levels, states or list(LIVE)


def _rule_label(name: str) -> str:
    meta = context.meta()
    rule = meta.kinds.get("rules", {}).get(name) if meta else None
    return text_of(rule.label) if rule else name


@bp.route("")
@login_required
def my_warnings():
    levels, states = _filters()
    rows = listing(context.engine(), current_user.username, levels=levels, states=states)
    meta = context.meta()
    items = [{"w": w, "rule": _rule_label(w.rule), "message": text_of(w.message), "badge": BADGES.get(w.level, ""),
              "level": _(LEVEL_LABELS[w.level]), "state": _(STATE_LABELS[w.state]),
              "url": url_for("records.record_view", entity_name=w.entity, record_id=w.record_id)
              if meta and w.entity in meta.entities else None,
              "by": name_of(w.handled_by or w.acknowledged_by)} for w in rows]
    return render_template("warnings/list.html", items=items, levels=levels, states=states,
                           level_labels={k: _(v) for k, v in LEVEL_LABELS.items()},
                           state_labels={k: _(v) for k, v in STATE_LABELS.items()})


def _back():
    return redirect(request.form.get("next") or url_for("warnings.my_warnings"))


@bp.route("/<int:warning_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge_view(warning_id: int):
    get(context.engine(), warning_id)                                   # unknown: 404
    try:
        acknowledge(context.engine(), warning_id, current_user.username, now(), roles=current_user.actor.roles)
        flash(_("The warning is acknowledged."), "info")
    except WarningError as e:
        flash(text_of(e.message), "error")
    except PermissionDenied:
        flash(_("Only the warning's recipients may act on it."), "error")
    return _back()


@bp.route("/<int:warning_id>/handle", methods=["POST"])
@login_required
def handle_view(warning_id: int):
    get(context.engine(), warning_id)
    try:
        handle(context.engine(), warning_id, current_user.username, request.form.get("note", ""), now(),
               roles=current_user.actor.roles)
        flash(_("The warning is handled."), "info")
    except WarningError as e:
        flash(text_of(e.message), "error")
    except PermissionDenied:
        flash(_("Only the warning's recipients may act on it."), "error")
    return _back()
