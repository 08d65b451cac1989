"""监管指标: the company's regulatory figures with their limits and headroom, the largest customers and
related groups, breaches in red (core/regulatory; docs/regulatory.md "Screens"); and the "批准后影响"
section of an application's record view (the effect of approving it), loaded after the page.

    GET /regulatory                       the figures page
    GET /regulatory/effect/<project id>   the record view's section (HTMX fragment)

Who may see them is metadata: the readers of the entity the checks are stored in (`regulatory_check`,
standard pack: gm, risk, admin); others get 403 (the page) or nothing (the section).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from core.errors import PermissionDenied, msg
from core.regulatory import RegulatoryConfigError, company_figures, effect_of_approving
from core.regulatory.alerts import ENTITY
from core.regulatory.config import load

from . import context
from .display import Display
from .i18n import message

bp = Blueprint("regulatory", __name__, url_prefix="/regulatory")


def allowed() -> bool:
    meta = context.meta()
    if meta is None or ENTITY not in meta.entities or not current_user.is_authenticated:
        return False
    return context.store().allowed(current_user.actor, "read", meta.entity(ENTITY))


def _today():
    return context.store().clock.today()


def _display() -> Display:
    return Display(context.meta(), context.engine(), context.types())


@bp.route("")
@login_required
def figures_view():
    if not allowed():
        raise PermissionDenied(msg("没有查看监管指标的权限", "You may not see the regulatory figures."))
    try:
        f = company_figures(context.store(), _today())
    except RegulatoryConfigError as e:
        return render_template("regulatory/figures.html", f=None, problem=message(e.message)), 500
    return render_template("regulatory/figures.html", f=f, problem=None, display=_display(), message=message)


@bp.app_context_processor
def _helpers():
    def regulatory_section(entity, record) -> bool:
        if entity is None or record is None:
            return False
        try:
            p = load(context.meta()).project
        except (RegulatoryConfigError, TypeError):
            return False
        return entity.name == p["entity"] and record.values.get(p["status"]) in p["application"] and allowed()
    return {"regulatory_section": regulatory_section}


@bp.route("/effect/<int:project_id>")
@login_required
def effect_view(project_id: int):
    if not allowed():
        return ""
    store = context.store()
    try:
        p = load(store.meta).project
        store.get(p["entity"], project_id, actor=current_user.actor)         # NotFound -> 404, no right -> 403
        e = effect_of_approving(store, project_id, _today())
    except RegulatoryConfigError as err:
        return render_template("regulatory/effect.html", e=None, problem=message(err.message))
    if not e.applies:
        abort(404)
    return render_template("regulatory/effect.html", e=e, problem=None, display=_display(), message=message)
