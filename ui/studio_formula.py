"""The studio's formula check (docs/studio.md "Formulas"): used wherever a field form takes a formula.

    POST /studio/entities/<e>/formula    `which` names the form's formula input; with `record`, the
                                         formula is also evaluated over that record's values

The same static checks as installing a pack (names, functions, fields reached with a dot, code
lists of LOOKUP), against the draft's entity; the answer is a fragment shown under the input.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from core.compute import Evaluator, functions_for
from core.errors import NotFound, PermissionDenied
from metadata.entity import SYSTEM_NAMES
from metadata.formulas import formula_problems

from . import context
from .i18n import message
from .studio import _require
from .studio_entities import _entity, _meta, formula_functions

bp = Blueprint("studio_formula", __name__, url_prefix="/studio/entities")


def names(meta, entity) -> dict:
    """Each name a formula of `entity` may use, with the names reachable from it with a dot."""
    out: dict = {n: None for n in SYSTEM_NAMES}
    for f in entity.fields:
        if f.is_table:
            out[f.name] = {c.name for c in f.fields}
        elif f.type == "link" and f.entity in meta.entities:
            out[f.name] = set(meta.entity(f.entity).field_names) | SYSTEM_NAMES
        else:
            out[f.name] = None
    return out


@bp.route("/<name>/formula", methods=["POST"])
@login_required
def check(name: str):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    text = request.form.get(request.form.get("which", "formula"), "").strip()
    problems = formula_problems(text, names(meta, entity), formula_functions(), set(meta.codelists)) if text else []
    result = error = None
    record = request.form.get("record", type=int)
    if text and not problems and record:
        result, error = evaluate(entity, text, record)
    return render_template("studio/_formula_check.html", text=text, problems=problems, record=record,
                           result=result, error=error)


def evaluate(entity, text: str, record_id: int, extra: dict | None = None):
    """(value, error) of the formula over an existing record's values (as installed: a draft's new
    fields are blank); `extra`: names the formula sees besides the fields (a workflow's `initiator`)."""
    store = context.store()
    try:
        values = dict(store.get(entity.name, record_id).values) if entity.name in store.meta.entities else {}
        values.update(extra or {})
    except (NotFound, PermissionDenied):
        return None, _("There is no record %(id)s.", id=record_id)
    errors: dict = {}
    ev = Evaluator(entity, functions_for(store.meta, context.types().functions), store.clock.today(), errors,
                   context.types(), load_link=lambda e, i: store.get(e, i).values)
    value = ev.run(text, values, "formula", {"zh": "公式"})
    return value, "；".join(message(m) for ms in errors.values() for m in ms) or None
