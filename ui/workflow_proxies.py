"""我的审批代理: the signed-in user's standing proxy authorisations (core/workflow/proxies.py) — grant
one (a proxy, from/to, optionally only some workflows), see those given and received, revoke one.

Plain forms, answered by a redirect back to the page (the notice flashed); what the engine refuses
(yourself as proxy, an inactive user, an end before the start) comes back on the page with 422 and
the input kept. The engine checks that only the principal grants and revokes."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.workflow import WorkflowError

from .i18n import message, text_of
from .workflow_view import active_users, display, name_of, now, workflows

bp = Blueprint("flow_proxies", __name__, url_prefix="/flow")
INPUT_FORMAT = "%Y-%m-%dT%H:%M"          # <input type="datetime-local">


def _state(a, at: datetime) -> tuple[str, str]:
    """(label, badge class) of an authorisation now."""
    if a.revoked_at is not None:
        return _("Revoked"), ""
    if at >= a.ends_at:
        return _("Expired"), ""
    if at < a.starts_at:
        return _("Not started"), "info"
    return _("In force"), "ok"


def _page(form: dict, message_text: str | None = None, status: int = 200):
    me = current_user.username
    wf, at = workflows(), now()
    labels = {w: text_of(d.label) for w, d in wf.store.meta.kinds.get("workflows", {}).items()}
    rows = []
    for a in wf.authorisations(me):
        state, badge = _state(a, at)
        rows.append({"a": a, "given": a.principal == me, "principal": name_of(a.principal), "proxy": name_of(a.proxy),
                     "workflows": "、".join(labels.get(w, w) for w in a.workflows) if a.workflows else _("All workflows"),
                     "state": state, "badge": badge, "revocable": a.principal == me and a.revoked_at is None
                     and at < a.ends_at})
    return render_template("flow/proxies.html", rows=rows, users=active_users(exclude=me), workflows=labels,
                           form=form, message=message_text, disp=display(),
                           default_start=at.strftime(INPUT_FORMAT)), status


@bp.route("/proxies")
@login_required
def proxies_view():
    return _page({})


def _when(name: str) -> datetime | None:
    """A posted local time (ValueError when it is not one: the clock's times carry no zone)."""
    value = (request.form.get(name) or "").strip()
    when = datetime.fromisoformat(value) if value else None
    if when is not None and when.tzinfo is not None:
        raise ValueError(value)
    return when


@bp.route("/proxies", methods=["POST"])
@login_required
def grant():
    form = {"proxy": request.form.get("proxy") or "", "starts": request.form.get("starts") or "",
            "ends": request.form.get("ends") or "", "workflows": request.form.getlist("workflows")}
    try:
        starts, ends = _when("starts"), _when("ends")
    except ValueError:
        return _page(form, _("Enter the times as date and time."), 422)
    if ends is None:
        return _page(form, _("Enter when the authorisation ends."), 422)
    try:
        workflows().authorise(current_user.username, form["proxy"], starts=starts, ends=ends,
                              workflows=form["workflows"], actor=current_user.actor)
    except WorkflowError as e:
        return _page(form, message(e.message), 422)
    flash(_("%(who)s may now act for you.", who=name_of(form["proxy"])), "info")
    return redirect(url_for("flow_proxies.proxies_view"))


@bp.route("/proxies/<int:authorisation_id>/revoke", methods=["POST"])
@login_required
def revoke(authorisation_id: int):
    workflows().revoke(authorisation_id, current_user.actor)      # someone else's: 403; unknown: 404
    flash(_("The authorisation is revoked."), "info")
    return redirect(url_for("flow_proxies.proxies_view"))
