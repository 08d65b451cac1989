"""The studio's check of a scorecard indicator's formula, as it is typed (docs/studio.md "Scorecards").

    POST /studio/scorecards/<c>/formula    `which` names the input (default `formula`); `scope`:
                                           indicator (default), rules (a cap or veto), rows (the
                                           statements' filter); with `record`, an indicator's value
                                           for that customer

The names are those the pack loader gives each: an indicator the customer's fields and `latest.` /
`previous.` statement rows; a cap or veto the indicators, `points.x` and `total`; the statements'
filter the table's columns. An indicator's value is worked out as scoring works it out, over the
customer as installed (fields new in the draft are blank there).
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from core.compute import functions_for
from core.errors import NotFound, PermissionDenied
from core.formula import FormulaError, compile_formula
from core.scoring import statement_rows
from metadata.formulas import formula_problems

from . import context
from .i18n import message
from .studio import _require
from .studio_entities import _meta, formula_functions
from .studio_scorecards import _card, _formula_names

bp = Blueprint("studio_scorecard_formula", __name__, url_prefix="/studio/scorecards")


@bp.route("/<name>/formula", methods=["POST"])
@login_required
def check(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    text = request.form.get(request.form.get("which", "formula"), "").strip()
    scope = request.form.get("scope", "indicator")
    allowed = _names(meta, card, scope)
    problems = formula_problems(text, allowed, formula_functions(), set(meta.codelists)) if text else []
    record = request.form.get("record", type=int)
    result = error = None
    if text and not problems and record and scope == "indicator":
        result, error = _value(card, text, record)
    return render_template("studio/_formula_check.html", text=text, problems=problems, record=record,
                           result=result, error=error)


def _names(meta, card, scope: str) -> dict:
    if scope == "rules":
        return {i.name: None for i in card.indicators} | {"points": {i.name for i in card.indicators}, "total": None}
    if scope == "rows":
        entity = meta.entities.get(card.entity)
        table = card.statements.table if card.statements else None
        if entity is None or not table or not entity.has(table):
            return {}
        return {c.name: None for c in entity.field(table).fields}
    return _formula_names(meta, card.entity, card.source.get("statements"))


def _value(card, text: str, record: int):
    store = context.store()
    try:
        values = dict(store.get(card.entity, record).values)
    except (NotFound, PermissionDenied, KeyError):
        return None, _("There is no record %(id)s.", id=record)
    functions = functions_for(store.meta, context.types().functions)
    today = store.clock.today()
    rows = values.get(card.statements.table) if card.statements else None
    latest, previous = statement_rows(card, rows or (), today, functions, [])
    try:
        return compile_formula(text).evaluate({**values, "latest": latest, "previous": previous},
                                              functions=functions, today=today), None
    except FormulaError as e:
        return None, message({"zh": e.zh, "en": str(e)})
