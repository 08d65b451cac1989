"""The studio's roles' access (docs/studio.md "Roles' access"): written to the draft.

    GET  /studio/access[?role=r…]    entity × role for each action, product × role
                                     (?role= adds the column of a role no one holds yet)
    POST /studio/access              save the entities' permissions and the products' roles
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_products
from core.users import ROLE

from .i18n import N_
from .studio import _require
from .studio_draft import change, pack, state as draft_state
from .studio_products import products_of, roles_offered

bp = Blueprint("studio_access", __name__, url_prefix="/studio/access")
ACTION_LABELS = {"read": N_("Read records"), "create": N_("Create records"), "update": N_("Change records"),
                 "delete": N_("Delete records")}


@bp.route("")
@login_required
def matrix():
    _require()
    draft, meta, problems = draft_state()
    extra, errors = _extra_roles(request.args.getlist("role"))
    return _access_page(draft, meta, problems, extra, _access_state(meta), errors, 422 if errors else 200)


def _access_state(meta) -> dict:
    """Who may do what, as the metadata says: entity -> action -> roles (an action left out: everyone
    signed in); product -> roles (None: whoever may create its entity)."""
    return {"entities": {n: studio_products.permissions_of(meta, n) for n in meta.entities},
            "products": {n: list(p.roles) if p.roles is not None else None for n, p in products_of(meta).items()}}


def _extra_roles(names) -> tuple[list[str], dict]:
    """Roles asked for as new columns (no one holds them yet)."""
    names = [n.strip() for n in names if n.strip()]
    bad = [n for n in names if not ROLE.match(n)]
    errors = {"role": _("A role is lower-case letters, digits and _, starting with a letter.")} if bad else {}
    return [n for n in names if n not in bad], errors


def _access_page(draft, meta, problems, extra, state, errors, status=200):
    return render_template("studio/access.html", draft=draft, meta=meta, products=products_of(meta),
                           roles=roles_offered(meta, extra), extra=extra, state=state, errors=errors,
                           actions=[(a, _(ACTION_LABELS[a])) for a in studio_products.ACTIONS],
                           typed=(request.args.getlist("role") or [""])[-1],
                           problems=[str(p) for p in problems]), status


@bp.route("", methods=["POST"])
@login_required
def save_access():
    _require()
    draft, meta, problems = draft_state()
    form = request.form
    extra, errors = _extra_roles(form.getlist("role"))
    roles = set(roles_offered(meta, extra))
    entities = [n for n in form.getlist("entity") if n in meta.entities]
    listed = {n: p for n, p in products_of(meta).items() if n in form.getlist("product")}
    state, posted = _access_state(meta), {"entities": {}, "products": {}}
    for name in entities:
        posted["entities"][name] = {a: form.getlist(f"perm-{name}-{a}") for a in studio_products.ACTIONS
                                    if not form.get(f"open-{name}-{a}")}
        if any(set(r) - roles for r in posted["entities"][name].values()):
            errors[f"entity-{name}"] = _("Choose among the roles offered.")
    for name, product in listed.items():
        chosen = None if form.get(f"anyone-{name}") else form.getlist(f"use-{name}")
        posted["products"][name] = chosen
        if chosen is not None and not chosen:
            errors[f"product-{name}"] = _("Tick at least one role, or anyone who may create.")
        elif chosen is not None and set(chosen) - roles:
            errors[f"product-{name}"] = _("Choose among the roles offered.")
        elif chosen is None and product.roles is not None and product.pack != pack():
            errors[f"product-{name}"] = _("A product of another pack keeps a list of roles: tick at least one.")
    if errors:                                   # what was ticked, over what the metadata says
        for key in state:
            state[key].update(posted[key])
        return _access_page(draft, meta, problems, extra, state, errors, 422)
    entities = {e: p for e, p in posted["entities"].items() if studio_products.permissions_differ(meta, e, p)}
    products = {n: r for n, r in posted["products"].items() if studio_products.roles_differ(meta, n, r)}
    if entities or products:
        change(lambda sources, m: _put_access(sources, m, entities, products))
        flash(_("Roles' access saved in the draft."), "info")
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for(".matrix", role=extra) if extra else url_for(".matrix"))


def _put_access(sources, meta, entities: dict, products: dict):
    for entity, permissions in entities.items():
        sources = studio_products.put_permissions(sources, pack(), meta, entity, permissions)
    for name, roles in products.items():
        sources = studio_products.put_roles(sources, pack(), meta, name, roles)
    return sources
