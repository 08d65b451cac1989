"""The home page: the user's dashboard (to-dos, warnings, items falling due, messages and
announcements; for managers the company's key figures with a chart: ui/dashboard.py), then the
entities the user may read with capped record counts."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import messages
from core.query import Query, count

from . import context, dashboard, dashboard_chart
from .display import Display
from .messages import label, unread_count
from .warnings import BADGES, LEVEL_LABELS
from .workflow_lists import nav_counts
from .workflow_view import now

bp = Blueprint("views", __name__)
COUNT_CAP = 10001      # counting stops here; the page shows "10,000+"
DUE_TITLES = {"maturing": "Projects maturing within 30 days", "fees": "Fee installments due",
              "followups": "Follow-up surveys due"}


@bp.route("/")
@login_required
def home():
    meta = context.meta()
    entities = context.readable(meta)
    engine = context.engine()
    counts = {e.name: count(engine, meta, Query(e.name), context.types(), cap=COUNT_CAP) for e in entities}
    display = Display(meta, engine, context.types()) if meta is not None else None
    shown = {name: display.count(n, COUNT_CAP) for name, n in counts.items()} if display else {}
    at = now()
    dash = {"todo": (nav_counts() or {}).get("todo"), "unread": unread_count(),
            "messages": [(m, label(m.subject)) for m in messages.inbox(engine, current_user.username, show="unread", size=5).items],
            "announcements": messages.announcements(engine, at, limit=5),
            "warnings": dashboard.warning_counts(engine, current_user.username),
            "levels": {k: _(v) for k, v in LEVEL_LABELS.items()}, "badges": BADGES,
            "due": [], "figures": None, "chart": None, "manager": dashboard.is_manager(current_user.roles)}
    if meta is not None:
        store = context.store()
        readable = {e.name for e in entities}
        dash["due"] = [(s, _(DUE_TITLES[s.key])) for s in
                       dashboard.falling_due(store, int(current_user.id), at.date(), readable)]
        if dash["manager"]:
            dash["figures"] = dashboard.key_figures(store, at.date())
            months = dashboard.monthly_new(store, at.date())
            if months:
                dash["chart"] = dashboard_chart.render(
                    months, title=_("Guarantees released per month, last 12 months"), unit=_("10k yuan"),
                    tip=lambda m, amount, n: _("%(month)s: %(amount)s yuan, %(n)s guarantee(s)",
                                               month=m.strftime("%Y-%m"), amount=display.money(amount), n=n))
    return render_template("home.html", entities=entities, counts=shown, installed=context.installed(),
                           dash=dash, disp=display, today=at.date())
