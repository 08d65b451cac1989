"""Scoring runs: score a stored customer and keep the result as a `score_run` record (entity in the
standard pack), through the Store like every other write; reproduce a stored run later.

    rec = run(store, "enterprise_standard", "enterprise_customer", 42, {"management": "good"}, actor)
    check = reproduce(store, rec.id)      # check.matches, check.differences, check.result

A run keeps the scorecard's source (and digest), the inputs the formulas read (tagged JSON, so
decimals and dates come back as they were) and the date it was scored on, so `reproduce` needs
neither the customer as it is now nor the scorecard as installed now.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping

from metadata.model import text_of
from metadata.scorecard import Scorecard, build

from .errors import PermissionDenied, ValidationError, msg
from .scoring import Result, score
from .store import Actor, Record, Store

ENTITY = "score_run"
CUSTOMER_TYPES = {"enterprise_customer": ("enterprise", "enterprise"),
                  "individual_customer": ("individual", "individual")}   # entity -> (customer_type, link field)


@dataclass(frozen=True)
class Reproduction:
    matches: bool
    result: Result                  # the run scored again from what it stored
    differences: tuple[str, ...]    # what differs from the stored result, for people


def run(store: Store, card_name: str, customer_entity: str, customer_id: int, answers: Mapping[str, Any] | None,
        actor: Actor) -> Record:
    """Score the customer with the installed scorecard and save the run as `actor`."""
    card = store.meta.kinds.get("scorecards", {}).get(card_name)
    if card is None:
        raise ValidationError({"scorecard": [msg(f"没有评分卡「{card_name}」", f"no scorecard '{card_name}'")]})
    if card.entity != customer_entity or customer_entity not in CUSTOMER_TYPES:
        raise ValidationError({"scorecard": [msg(f"评分卡「{text_of(card.label)}」不适用于{customer_entity}",
                                                 f"scorecard '{card_name}' does not apply to {customer_entity}")]})
    entity = store.meta.entity(ENTITY)
    if not store.allowed(actor, "create", entity):
        raise PermissionDenied(msg("没有评分的权限", "you may not score customers"))
    _check_answers(card, answers or {})
    customer = store.get(customer_entity, customer_id, actor=actor)
    rows = customer.values.get(card.statements.table) if card.statements else None
    now = store.clock.now()
    result = score(card, customer.values, rows, answers, today=now.date(), functions=store.functions)
    customer_type, link = CUSTOMER_TYPES[customer_entity]
    values = {
        "customer_type": customer_type, link: customer_id, "scorecard": card.name,
        "scorecard_label": text_of(card.label), "card_digest": card.digest, "metadata_version": store.meta_version,
        "definition": json.dumps(card.source, ensure_ascii=False, sort_keys=True),
        "inputs": json.dumps(_tagged(result.inputs), ensure_ascii=False, sort_keys=True),
        "scored_by": actor.username, "scored_at": now, **_result_values(card, result)}
    # the run's fields are read-only to people: the engine writes them with the actor's name
    return store.create(ENTITY, values, actor=Actor(actor.username, actor.roles, system=True))


def reproduce(store: Store, run_id: int) -> Reproduction:
    """Score a stored run again from its stored definition and inputs; compare with what it stored."""
    rec = store.get(ENTITY, run_id)
    card = build(json.loads(rec["definition"]))
    inputs = _untagged(json.loads(rec["inputs"]))
    result = score(card, inputs["customer"], inputs["statements"], inputs["answers"], today=inputs["today"],
                   functions=store.functions)
    again = _result_values(card, result)
    differences = [f"{key}: stored {rec[key]!r}, now {again[key]!r}"
                   for key in again if key != "indicators" and rec[key] != again[key]]
    if card.digest != rec["card_digest"]:
        differences.append(f"card_digest: stored {rec['card_digest']}, definition gives {card.digest}")
    stored_rows = {r["indicator"]: r for r in rec["indicators"] or []}
    for row in again["indicators"]:
        old = stored_rows.pop(row["indicator"], None) or {}
        for key, value in row.items():
            if _comparable(old.get(key)) != _comparable(value):
                differences.append(f"{row['indicator']}.{key}: stored {old.get(key)!r}, now {value!r}")
    differences.extend(f"{name}: stored but not scored again" for name in stored_rows)
    return Reproduction(not differences, result, tuple(differences))


def _result_values(card: Scorecard, result: Result) -> dict:
    return {
        "total": result.total, "points_grade": result.points_grade, "grade": result.grade,
        "caps_applied": _rules_text(card, result.caps), "vetoes_applied": _rules_text(card, result.vetoes),
        "problems": "\n".join(result.problems) or None,
        "indicators": [{"group": i.group, "indicator": i.name, "label": text_of(i.label),
                        "value": None if i.value is None else _text(i.value), "band": i.band, "points": i.points,
                        "weight": i.weight, "weighted": i.weighted, "flags": list(i.flags), "note": i.note}
                       for i in result.indicators]}


def _rules_text(card: Scorecard, names: tuple[str, ...]) -> str | None:
    """Caps or vetoes that held, for people: `high_debt 资产负债率高于90%，最高B级（→ B）`."""
    rules = {r.name: r for r in (*card.caps, *card.vetoes)}
    return "；".join(f"{n} {text_of(rules[n].label)}（→ {rules[n].grade}）" for n in names) or None


def _comparable(value):
    """Stored rows drop blank cells and flags come back as lists: compare like with like."""
    if value in (None, "", []):
        return None
    return Decimal(value) if isinstance(value, (int, Decimal)) else value


def _text(value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _check_answers(card: Scorecard, answers: Mapping[str, Any]) -> None:
    errors = {}
    for name, value in answers.items():
        ind = next((i for i in card.indicators if i.name == name), None)
        if ind is None or ind.formula:
            errors[name] = [msg(f"评分卡「{text_of(card.label)}」没有需要评审人选择的指标「{name}」",
                                f"'{name}' is not an indicator of '{card.name}' that the reviewer answers")]
        elif ind.options and value not in (None, "") and ind.option(str(value)) is None:
            known = "、".join(o.value for o in ind.options)
            errors[name] = [msg(f"「{text_of(ind.label)}」没有选项「{value}」（可选：{known}）",
                                f"'{value}' is not an option of '{name}' (options: {known})")]
    if errors:
        raise ValidationError(errors)


# -- inputs as JSON: decimals and dates keep their type ------------------------------------

def _tagged(value):
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _tagged(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_tagged(v) for v in value]
    return value


_UNTAG = {"$decimal": Decimal, "$datetime": datetime.fromisoformat, "$date": date.fromisoformat}


def _untagged(value):
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _UNTAG:
            key, text = next(iter(value.items()))
            return _UNTAG[key](text)
        return {k: _untagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value
