"""Scoring screens (评分): score a customer with a scorecard, explain a stored run, check that it
reproduces (core/scoring_runs.py; docs/scorecards.md, docs/ui.md "Scoring").

    GET, POST /score/<entity>/<id>        the 评分 form for a customer, or for the applicant of a record
                                          that links to one (a project): the scorecard, the reviewer's
                                          answers (the non-financial indicators' options); the customer's runs
    GET  /score/run/<id>                  a stored run explained: every indicator's value, band, points,
                                          weight and weighted points, caps and vetoes, total, grades, the
                                          scorecard's version
    GET  /score/run/<id>/reproduce        scores the stored run again from what it stored (HTMX fragment)

The engine decides everything (who may score, which answers are valid); this module chooses the
customer and the applicable scorecards and draws the results.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.errors import NotFound, ValidationError
from core.products import product_of
from core.query import Filter, Query, find
from core.scoring_runs import CUSTOMER_TYPES, ENTITY, reproduce, run
from core.store import Record
from metadata.model import Entity
from metadata.scorecard import Scorecard

from . import context
from .display import Display
from .i18n import message, text_of

bp = Blueprint("scoring_view", __name__, url_prefix="/score")
RUNS_SHOWN = 20


@dataclass(frozen=True)
class Customer:
    entity: str          # enterprise_customer | individual_customer
    id: int
    link: str            # the score_run field that names it (enterprise | individual)


def customer_of(entity: Entity, record: Record) -> Customer | None:
    """The customer to score from this record: the record itself, or the first customer it links to."""
    if entity.name in CUSTOMER_TYPES:
        return Customer(entity.name, record.id, CUSTOMER_TYPES[entity.name][1])
    for f in entity.fields:
        if f.type == "link" and f.entity in CUSTOMER_TYPES and record.values.get(f.name):
            return Customer(f.entity, record.values[f.name], CUSTOMER_TYPES[f.entity][1])
    return None


def cards_for(entity: Entity, record: Record, customer: Customer) -> list[Scorecard]:
    """The scorecards that apply: the record's product's scorecard when it names one (and it fits the
    customer), else every scorecard of the customer's entity."""
    meta = context.meta()
    cards = meta.kinds.get("scorecards", {})
    product = product_of(meta, entity.name, record.values) if entity.name not in CUSTOMER_TYPES else None
    if product is not None and product.scorecard in cards and cards[product.scorecard].entity == customer.entity:
        return [cards[product.scorecard]]
    return sorted((c for c in cards.values() if c.entity == customer.entity), key=lambda c: c.name)


def _may_score() -> bool:
    meta = context.meta()
    return ENTITY in meta.entities and context.store().allowed(current_user.actor, "create", meta.entity(ENTITY))


def actions(entity_name: str, record: Record) -> dict | None:
    """What the record view offers: the 评分 button (who may score, where a scorecard applies) and,
    on a stored run, the link to its explanation. None when there is nothing to offer."""
    meta = context.meta()
    if meta is None or ENTITY not in meta.entities:
        return None
    if entity_name == ENTITY:
        return {"explain": url_for("scoring_view.run_view", run_id=record.id)}
    entity = meta.entity(entity_name)
    customer = customer_of(entity, record)
    if customer is None or not _may_score() or not cards_for(entity, record, customer):
        return None
    return {"score": url_for("scoring_view.score", entity_name=entity_name, record_id=record.id)}


def _runs(customer: Customer) -> list:
    if not context.store().allowed(current_user.actor, "read", context.meta().entity(ENTITY)):
        return []
    q = Query(ENTITY, filters=[Filter(customer.link, "eq", customer.id)], sort=["-id"], limit=RUNS_SHOWN)
    return find(context.engine(), context.meta(), q, context.types())


def _answerable(card: Scorecard):
    return [i for i in card.indicators if not i.formula]


@bp.route("/<entity_name>/<int:record_id>", methods=["GET", "POST"])
@login_required
def score(entity_name: str, record_id: int):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    record = store.get(entity.name, record_id, actor=current_user.actor)
    customer = customer_of(entity, record)
    if customer is None:
        abort(404)
    cards = cards_for(entity, record, customer)
    if not cards:
        abort(404)
    chosen = request.values.get("_card") or cards[0].name
    card = next((c for c in cards if c.name == chosen), None)
    if card is None:
        abort(400)
    answers, errors, status = {}, {}, 200
    if request.method == "POST" and request.form.get("_action") == "score":
        answers = {i.name: request.form.get(f"a.{i.name}", "").strip() for i in _answerable(card)}
        try:
            rec = run(store, card.name, customer.entity, customer.id,
                      {k: v for k, v in answers.items() if v != ""}, current_user.actor)
        except ValidationError as e:
            errors, status = {k: [message(m) for m in ms] for k, ms in e.errors.items()}, 422
        else:
            return redirect(url_for("scoring_view.run_view", run_id=rec.id))
    elif request.method == "POST":
        answers = {i.name: request.form.get(f"a.{i.name}", "") for i in _answerable(card)}
    meta = context.meta()
    target = meta.entity(customer.entity)
    display = Display(meta, context.engine(), context.types())
    try:
        name = display.title(target, store.get(customer.entity, customer.id, actor=current_user.actor).values,
                             customer.id)
    except NotFound:
        abort(404)
    runs = _runs(customer)
    run_entity = meta.entity(ENTITY)
    return render_template(
        "scoring/score.html", entity=entity, record=record, cards=cards, card=card, answers=answers, errors=errors,
        indicators=_answerable(card), customer=customer, customer_name=name, runs=runs, run_entity=run_entity,
        display=display, points=lambda value: points(display, value),
        back=url_for("records.record_view", entity_name=entity.name, record_id=record.id)), status


@bp.route("/run/<int:run_id>")
@login_required
def run_view(run_id: int):
    entity = context.entity_or_404(ENTITY)
    store = context.store()
    rec = store.get(ENTITY, run_id, actor=current_user.actor)
    meta = context.meta()
    display = Display(meta, context.engine(), context.types())
    display.preload_links([f for f in entity.fields if f.type == "link"], [rec.values])
    table = entity.field("indicators")
    cols = {c.name: c for c in table.fields}
    rows = rec.values.get("indicators") or []
    groups: list[tuple[str, list[dict]]] = []
    for row in rows:
        if not groups or groups[-1][0] != (row.get("group") or ""):
            groups.append((row.get("group") or "", []))
        groups[-1][1].append(row)
    customer = next((f for f in entity.fields if f.type == "link" and rec.values.get(f.name)), None)
    return render_template("scoring/run.html", entity=entity, rec=rec, v=rec.values, display=display,
                           field=entity.field, cols=cols, groups=groups, customer=customer,
                           group_labels=_group_labels(rec.values.get("definition")),
                           option_labels=_option_labels(rec.values.get("definition")),
                           points=lambda value: points(display, value))


def points(display: Display, value) -> str:
    """A score as people read it: its digits without the stored trailing zeros, at least two places
    (83.350000 → 83.35, 12 → 12.00)."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value)).normalize()
    return display.number(d.quantize(Decimal("0.01")) if d.as_tuple().exponent > -2 else d)


def _definition(definition: str | None) -> dict:
    try:
        data = json.loads(definition or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _group_labels(definition: str | None) -> dict:
    """The group names' labels from the stored scorecard definition (as it was when scored)."""
    return {g.get("name"): text_of(g.get("label")) if g.get("label") else g.get("name")
            for g in _definition(definition).get("groups") or [] if isinstance(g, dict)}


def _option_labels(definition: str | None) -> dict:
    """(indicator, option value) → the option's label, from the stored definition: the reviewer's
    answers read as they were offered."""
    return {(i.get("name"), o.get("value")): text_of(o.get("label")) if o.get("label") else o.get("value")
            for g in _definition(definition).get("groups") or [] if isinstance(g, dict)
            for i in g.get("indicators") or [] if isinstance(i, dict)
            for o in i.get("options") or [] if isinstance(o, dict)}


@bp.route("/run/<int:run_id>/reproduce")
@login_required
def reproduce_view(run_id: int):
    context.entity_or_404(ENTITY)
    store = context.store()
    store.get(ENTITY, run_id, actor=current_user.actor)          # read permission on the run
    check = reproduce(store, run_id)
    display = Display(context.meta(), context.engine(), context.types())
    return render_template("scoring/reproduce.html", check=check, display=display, run_id=run_id,
                           total=points(display, check.result.total))


bp.add_app_template_global(actions, "scoring_actions")
