"""The studio's scorecard editor (docs/scorecards.md, docs/studio.md): written to the draft, never
straight to staff.

    GET  /studio/scorecards                               every scorecard; the form for a new one
    POST /studio/scorecards                               create one (a starting indicator and grades)
    GET  /studio/scorecards/<c>                           its indicators by group, its properties (entity,
                                                          products, statements, grades, caps, vetoes)
    POST /studio/scorecards/<c>                           save the properties (`add` asks for one more
                                                          grade, cap or veto row: nothing saved)
    GET  /studio/scorecards/<c>/indicators/new?group=g    the form for a new indicator
    GET  /studio/scorecards/<c>/indicators/<i>            the form for an indicator
    POST /studio/scorecards/<c>/indicators                save one (`original` names it; `add`: a row)
    POST /studio/scorecards/<c>/indicators/<i>/remove     take it out

Formulas are checked with the pack loader's static checks before they are saved, bands as the
loader checks them; what only the whole scorecard shows (weights adding up to 100, grades in order)
is a problem of the draft, listed at the top of the scorecard's page and blocking publishing.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_scorecards as cards
from metadata.formulas import formula_problems
from metadata.scorecard import RULE_NAMES, ROW_NAMES, _band, band_problems

from .i18n import text_of
from .studio import _require
from .studio_draft import change, current, pack, problems_for
from .studio_entities import NAME, _label, _meta, formula_functions
from .studio_formula import names

bp = Blueprint("studio_scorecards", __name__, url_prefix="/studio/scorecards")
GRADE = ("grade", "min", "label_zh", "label_en")
RULE = ("name", "label_zh", "label_en", "when", "grade")
BAND = ("low_kind", "low", "high_kind", "high", "points", "label_zh")
OPTION = ("value", "label_zh", "label_en", "points")
ROWS = {"grades": GRADE, "caps": RULE, "vetoes": RULE, "bands": BAND, "options": OPTION}


def rows(form, prefix: str, keys) -> list[tuple[int, dict]]:
    """The numbered rows of a form (inputs `prefix-N-key`), in order, values stripped."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)-")
    numbers = sorted({int(m.group(1)) for k in form for m in [pattern.match(k)] if m})
    return [(n, {k: form.get(f"{prefix}-{n}-{k}", "").strip() for k in keys}) for n in numbers]


def _bound(raw: str):
    """A band's bound as YAML writes it (any decimals), or None."""
    try:
        d = Decimal(raw)
    except InvalidOperation:
        return None
    return (int(d) if d == d.to_integral_value() else float(d)) if d.is_finite() else None


def _filled(row: dict, ignore=("low_kind", "high_kind")) -> bool:
    return any(v not in ("", None) for k, v in row.items() if k not in ignore)


def with_blank(items: list, add: bool = False) -> list:
    """A form's rows with a blank one to fill at the end (and one more when asked for)."""
    return list(items) + [{}] * ((not items or _filled(items[-1])) + add)


def _number(raw: str):
    """A weight or points (0 to 100, at most two decimals) as YAML writes it, or None."""
    value = _bound(raw)
    if value is None or not 0 <= value <= 100 or Decimal(raw).as_tuple().exponent < -2:
        return None
    return value


def _cards(meta) -> dict:
    return meta.kinds.get("scorecards", {}) if meta else {}


def _card(meta, name: str):
    card = _cards(meta).get(name)
    if card is None:
        abort(404)
    return card


def _entities(meta) -> list:
    return [(n, f"{text_of(e.label)} ({n})") for n, e in sorted(meta.entities.items())]


@bp.route("")
@login_required
def index():
    _require()
    return _list_page({}, {})


def _list_page(form, errors, status=200):
    meta, problems = _meta()
    return render_template("studio/scorecards.html", draft=current(), items=_cards(meta), form=form, errors=errors,
                           entities=_entities(meta), problems=[str(p) for p in problems]), status


@bp.route("", methods=["POST"])
@login_required
def create():
    _require()
    meta, _problems = _meta()
    form = {k: request.form.get(k, "").strip() for k in ("name", "label_zh", "label_en", "entity")}
    errors = {}
    if not NAME.match(form["name"]) or len(form["name"]) > 63:
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif form["name"] in _cards(meta):
        errors["name"] = _("A scorecard of this name exists.")
    if not form["label_zh"]:
        errors["label_zh"] = _("Give the Chinese label.")
    if form["entity"] not in meta.entities:
        errors["entity"] = _("Choose the entity the scorecard scores.")
    if errors:
        return _list_page(form, errors, 422)
    grades = "credit_grade" if "credit_grade" in meta.codelists else None
    label = _label(request.form, "label")
    change(lambda s, m: cards.create_card(s, pack(), form["name"], label, form["entity"], grades))
    return redirect(url_for("studio_scorecards.scorecard", name=form["name"]))


# -- the scorecard and its properties ---------------------------------------------------------------

@bp.route("/<name>")
@login_required
def scorecard(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    return _card_page(meta, card, _props_form(card.source), {})


def _props_form(source: dict) -> dict:
    """The scorecard's properties as the form's values."""
    label, description = source.get("label") or {}, source.get("description") or {}
    st = source.get("statements") or {}
    return {"label_zh": _zh(label), "label_en": _en(label), "description_zh": _zh(description),
            "description_en": _en(description), "entity": source["applies_to"]["entity"],
            "products": list(source["applies_to"].get("products") or []), "table": st.get("table", ""),
            "order_by": st.get("order_by", ""), "where": st.get("where", ""),
            "grade_codelist": source.get("grade_codelist", ""),
            "grades": [{"grade": g["grade"], "min": g.get("min", ""), "label_zh": _zh(g.get("label")),
                        "label_en": _en(g.get("label"))} for g in source["grades"]],
            **{key: [{"name": r["name"], "label_zh": _zh(r.get("label")), "label_en": _en(r.get("label")),
                      "when": r["when"], "grade": r["grade"]} for r in source.get(key) or []]
               for key in ("caps", "vetoes")}}


def _zh(label) -> str:
    return label if isinstance(label, str) else (label or {}).get("zh", "")


def _en(label) -> str:
    return "" if isinstance(label, str) else (label or {}).get("en", "")


def _card_page(meta, card, form, errors, status=200, add=None, weights=None):
    rows_of = {key: with_blank(form.get(key) or [], add == key) for key in ("grades", "caps", "vetoes")}
    entity = meta.entities.get(form.get("entity"))
    return render_template(
        "studio/scorecard.html", card=card, form=form, errors=errors, rows=rows_of, own=card.pack == pack(),
        problems=problems_for(_meta()[1], f"scorecards/{card.name}.yaml"), entities=_entities(meta),
        weights=weights or {i.name: i.weight for i in card.indicators},
        products=sorted(meta.kinds.get("products", {})),
        tables=[(f.name, f"{text_of(f.label)} ({f.name})") for f in entity.fields if f.is_table] if entity else [],
        codelists=[(n, f"{text_of(c.label)} ({n})") for n, c in sorted(meta.codelists.items())]), status


@bp.route("/<name>", methods=["POST"])
@login_required
def save(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    form, props, errors = _props(request.form, meta, card)
    add = request.form.get("add")
    if add in ("grades", "caps", "vetoes"):
        return _card_page(meta, card, form, {}, add=add)
    if errors:
        return _card_page(meta, card, form, errors, 422)
    change(lambda s, m: cards.put_card(s, pack(), m, name, props))
    return redirect(url_for("studio_scorecards.scorecard", name=name))


@bp.route("/<name>/weights", methods=["POST"])
@login_required
def weights(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    errors, given = {}, {}
    for i in card.indicators:
        raw = request.form.get(f"weight-{i.name}", "").strip()
        given[i.name] = _number(raw)
        if given[i.name] is None:
            errors[f"weight-{i.name}"] = _("A number from 0 to 100, at most two decimals.")
            given[i.name] = raw
    total = sum((Decimal(str(v)) for v in given.values() if not isinstance(v, str)), Decimal(0))
    if not errors and total != 100:
        errors["weights"] = _("The weights add up to %(t)s, not 100.", t=total)
    if errors:
        return _card_page(meta, card, _props_form(card.source), errors, 422, weights=given)
    change(lambda s, m: cards.put_weights(s, pack(), m, name, given))
    return redirect(url_for("studio_scorecards.scorecard", name=name) + "#weights")


def _props(f, meta, card) -> tuple[dict, dict, dict]:
    """(the form's values, the scorecard's properties, errors by input name)."""
    form = {k: f.get(k, "").strip() for k in ("label_zh", "label_en", "description_zh", "description_en", "entity",
                                               "table", "order_by", "where", "grade_codelist")}
    form["products"] = f.getlist("products")
    form.update({key: [row for _n, row in rows(f, key, ROWS[key])] for key in ("grades", "caps", "vetoes")})
    errors: dict[str, str] = {}
    own = card.pack == pack()
    props: dict = {"label": _label(f, "label")}
    if not form["label_zh"]:
        errors["label_zh"] = _("Give the Chinese label.")
    if form["description_zh"]:
        props["description"] = _label(f, "description")
    elif not own and card.source.get("description"):
        errors["description_zh"] = _("A scorecard of another pack keeps a description: change it instead.")
    entity = meta.entities.get(form["entity"])
    if entity is None:
        errors["entity"] = _("Choose the entity the scorecard scores.")
    props["applies_to"] = {"entity": form["entity"], **({"products": form["products"]} if form["products"] else {})}
    _statements(form, props, errors, meta, entity, own, card)
    if entity is not None and not errors.get("table"):        # the indicators' formulas still fit
        allowed = _formula_names(meta, entity.name, props.get("statements"))
        for i in card.indicators:
            found: dict = {}
            if i.formula:
                _check(meta, i.formula, allowed, "entity", found)
            if found:
                errors["entity"] = _("The formula of the indicator %(i)s does not fit: %(p)s", i=i.name,
                                     p=found["entity"])
                break
    if form["grade_codelist"]:
        if form["grade_codelist"] not in meta.codelists:
            errors["grade_codelist"] = _("Choose a code list.")
        props["grade_codelist"] = form["grade_codelist"]
    elif not own and card.source.get("grade_codelist"):
        errors["grade_codelist"] = _("A scorecard of another pack keeps its grade code list: choose one.")
    codelist = meta.codelists.get(props.get("grade_codelist"))
    props["grades"] = _grades(f, errors, codelist)
    grades = {g["grade"] for g in props["grades"]}
    rule_names = {i.name: None for i in card.indicators} | {"points": {i.name for i in card.indicators},
                                                             "total": None}
    seen: set[str] = set()
    for key in ("caps", "vetoes"):
        found = _rules(f, key, grades, rule_names, meta, errors, seen)
        if found:
            props[key] = found
    return form, props, errors


def _statements(form, props, errors, meta, entity, own, card) -> None:
    if not form["table"]:
        if not own and card.source.get("statements"):
            errors["table"] = _("A scorecard of another pack keeps its statements table: choose one.")
        return
    table = next((x for x in entity.fields if x.name == form["table"] and x.is_table), None) if entity else None
    if table is None:
        errors["table"] = _("Choose a table of the entity.")
    elif form["order_by"] not in {c.name for c in table.fields}:
        errors["order_by"] = _("Give a column of the table.")
    props["statements"] = {"table": form["table"], "order_by": form["order_by"],
                           **({"where": form["where"]} if form["where"] else {})}
    if form["where"] and table is not None:
        _check(meta, form["where"], {c.name: None for c in table.fields}, "where", errors)


def _check(meta, text: str, allowed: dict, key: str, errors: dict) -> None:
    """The pack loader's static checks of a formula; the problems beside its input."""
    problems = formula_problems(text, allowed, formula_functions(), set(meta.codelists))
    if problems:
        errors[key] = "; ".join(problems)


def _grades(f, errors, codelist) -> list[dict]:
    """The grades, best first, checked as the loader checks them (so the draft keeps compiling)."""
    out, numbered = [], []
    for n, row in rows(f, "grades", GRADE):
        if not _filled(row):
            continue
        grade = {"grade": row["grade"]}
        if not row["grade"]:
            errors[f"grades-{n}-grade"] = _("Give the grade.")
        if row["min"]:
            grade["min"] = _number(row["min"])
            if grade["min"] is None:
                errors[f"grades-{n}-min"] = _("A number from 0 to 100, at most two decimals.")
                grade["min"] = row["min"]
        if row["label_zh"]:
            grade["label"] = _label(f, f"grades-{n}-label")
        if codelist is not None and row["grade"] and codelist.get(row["grade"]) is None:
            errors[f"grades-{n}-grade"] = _("Not a code of the grades' code list.")
        if any(g["grade"] == row["grade"] for g in out):
            errors[f"grades-{n}-grade"] = _("This grade is given twice.")
        out.append(grade)
        numbered.append(n)
    if not out:
        errors["grades-0-grade"] = _("Give at least one grade.")
    elif not any(k.startswith("grades-") for k in errors):
        _grade_order(out, numbered, errors)
    return out


def _grade_order(grades: list[dict], numbered: list[int], errors: dict) -> None:
    previous = None
    for n, g in zip(numbered, grades):
        if "min" in g and previous is not None:
            if "min" not in previous:
                errors[f"grades-{n}-min"] = _("Grades with a minimum come first.")
            elif g["min"] >= previous["min"]:
                errors[f"grades-{n}-min"] = _("Grades go from best to worst: give a lower minimum.")
        previous = g
    scored = [n for n, g in zip(numbered, grades) if "min" in g]
    if not scored or grades[numbered.index(scored[-1])]["min"] != 0:
        errors[f"grades-{scored[-1] if scored else numbered[0]}-min"] = _(
            "The lowest grade by points needs the minimum 0, so that every total has a grade.")


def _rules(f, key: str, grades: set, allowed: dict, meta, errors, seen: set) -> list[dict]:
    """Caps or vetoes: name, label, when (a formula on the indicators), grade."""
    out = []
    for n, row in rows(f, key, RULE):
        if not _filled(row):
            continue
        at = f"{key}-{n}-"
        if not NAME.match(row["name"]):
            errors[at + "name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif row["name"] in seen:
            errors[at + "name"] = _("A cap or veto of this name is given above.")
        seen.add(row["name"])
        if not row["when"]:
            errors[at + "when"] = _("Give the condition.")
        else:
            _check(meta, row["when"], allowed, at + "when", errors)
        if row["grade"] not in grades:
            errors[at + "grade"] = _("Give one of the grades.")
        rule = {"name": row["name"], "when": row["when"], "grade": row["grade"]}
        if row["label_zh"]:
            rule["label"] = _label(f, f"{key}-{n}-label")
        out.append(rule)
    return out


# -- indicators ------------------------------------------------------------------------------------

def _source_of(card, indicator: str) -> tuple[str, dict] | None:
    return next(((g["name"], i) for g in card.source["groups"] for i in g["indicators"] if i["name"] == indicator),
                None)


@bp.route("/<name>/indicators/new")
@login_required
def new_indicator(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    group = request.args.get("group") or card.groups[0].name
    return _indicator_page(meta, card, None, {"group": group, "scoring": "bands", "bands": [], "options": []}, {})


@bp.route("/<name>/indicators/<indicator>")
@login_required
def indicator(name: str, indicator: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    found = _source_of(card, indicator)
    if found is None:
        abort(404)
    group, spec = found
    return _indicator_page(meta, card, indicator, _indicator_form(group, spec), {})


def _indicator_form(group: str, spec: dict) -> dict:
    def bound(b, inclusive, exclusive):
        return (inclusive, b[inclusive]) if inclusive in b else (exclusive, b.get(exclusive, ""))

    bands = []
    for b in spec.get("bands") or []:
        (low_kind, low), (high_kind, high) = bound(b, "min", "above"), bound(b, "below", "max")
        bands.append({"low_kind": low_kind, "low": low, "high_kind": high_kind, "high": high, "points": b["points"],
                      "label_zh": _zh(b.get("label"))})
    return {"group": group, "name": spec["name"],
            "label_zh": _zh(spec.get("label")), "label_en": _en(spec.get("label")),
            "description_zh": _zh(spec.get("description")), "description_en": _en(spec.get("description")),
            "formula": spec.get("formula", ""), "unit": spec.get("unit", ""),
            "scoring": "options" if spec.get("options") else "bands", "bands": bands,
            "options": [{"value": o["value"], "label_zh": _zh(o.get("label")), "label_en": _en(o.get("label")),
                         "points": o["points"]} for o in spec.get("options") or []]}


def _indicator_page(meta, card, original, form, errors, status=200, add=None):
    rows_of = {key: with_blank(form.get(key) or [], add == key) for key in ("bands", "options")}
    entity = meta.entities.get(card.entity)
    return render_template(
        "studio/scorecard_indicator.html", card=card, original=original, form=form, errors=errors, rows=rows_of,
        own=card.pack == pack(), groups=[(g.name, text_of(g.label)) for g in card.groups],
        fields=[f for f in entity.fields] if entity else [], functions=formula_functions()), status


@bp.route("/<name>/indicators", methods=["POST"])
@login_required
def save_indicator(name: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    original = request.form.get("original") or None
    if original and _source_of(card, original) is None:
        abort(404)
    form, group, spec, errors = _indicator(request.form, meta, card, original)
    add = request.form.get("add")
    if add in ("bands", "options"):
        return _indicator_page(meta, card, original, form, {}, add=add)
    if errors:
        return _indicator_page(meta, card, original, form, errors, 422)
    change(lambda s, m: cards.put_indicator(s, pack(), m, name, group, spec))
    return redirect(url_for("studio_scorecards.scorecard", name=name) + f"#indicator-{spec['name']}")


@bp.route("/<name>/indicators/<indicator>/remove", methods=["POST"])
@login_required
def remove_indicator(name: str, indicator: str):
    _require()
    meta, _problems = _meta()
    card = _card(meta, name)
    if _source_of(card, indicator) is None:
        abort(404)
    if card.indicator(indicator).weight:
        return _card_page(meta, card, _props_form(card.source),
                          {"remove": _("Give the weight of %(i)s to the others first (weights below): the weights "
                                       "must keep adding up to 100.", i=indicator)}, 422)
    change(lambda s, m: cards.remove_indicator(s, pack(), name, indicator))
    return redirect(url_for("studio_scorecards.scorecard", name=name))


def _indicator(f, meta, card, original) -> tuple[dict, dict, dict, dict]:
    """(the form's values, the group {name, label}, the indicator, errors by input name)."""
    form = {k: f.get(k, "").strip() for k in ("group", "new_group", "new_group_zh", "name", "label_zh", "label_en",
                                               "description_zh", "description_en", "formula", "unit", "scoring")}
    form.update({key: [row for _n, row in rows(f, key, ROWS[key])] for key in ("bands", "options")})
    errors: dict[str, str] = {}
    own = card.pack == pack()
    if original:
        form["group"] = _source_of(card, original)[0]
        name = original
    else:
        name = form["name"]
        if not NAME.match(name) or len(name) > 63:
            errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif name in RULE_NAMES:
            errors["name"] = _("This name is reserved by the system.")
        elif _source_of(card, name) is not None:
            errors["name"] = _("An indicator of this name exists.")
    group = {"name": form["group"]}
    if not original and own and form["new_group"]:        # a new group in the studio's own scorecard
        group = {"name": form["new_group"], "label": {"zh": form["new_group_zh"] or form["new_group"]}}
        if not NAME.match(form["new_group"]) or any(g.name == form["new_group"] for g in card.groups):
            errors["new_group"] = _("A new group's name is lower-case letters, digits and _, not a group's name.")
    elif not any(g.name == group["name"] for g in card.groups):
        errors["group"] = _("Choose a group.")
    spec: dict = {"name": name, "label": _label(f, "label")}
    if not form["label_zh"]:
        errors["label_zh"] = _("Give the Chinese label.")
    if form["description_zh"]:
        spec["description"] = _label(f, "description")
    # weights change together (ui: the weights form), so that they keep adding up to 100
    spec["weight"] = _source_of(card, original)[1]["weight"] if original else 0
    if form["formula"]:
        spec["formula"] = form["formula"]
        _check(meta, form["formula"], _formula_names(meta, card.entity, card.source.get("statements")), "formula",
               errors)
    if form["unit"]:
        spec["unit"] = form["unit"][:20]
    if form["scoring"] == "options":
        spec["options"] = _options(f, errors)
    else:
        spec["bands"] = _bands(f, errors)
    return form, group, spec, errors


def _formula_names(meta, entity_name: str, statements: dict | None) -> dict:
    """The names an indicator's formula sees: the customer's fields, and `latest` and `previous`."""
    entity = meta.entities.get(entity_name)
    allowed = names(meta, entity) if entity else {}
    table = (statements or {}).get("table")
    if table and entity is not None and entity.has(table) and entity.field(table).is_table:
        allowed |= {n: {c.name for c in entity.field(table).fields} for n in ROW_NAMES}
    return allowed


def _bands(f, errors) -> list[dict]:
    out, numbered = [], []
    for n, row in rows(f, "bands", BAND):
        if not _filled(row):
            continue
        band = {}
        for side, kinds in (("low", ("min", "above")), ("high", ("below", "max"))):
            if not row[side]:
                continue                                # open on that side
            value = _bound(row[side])
            if value is None:
                errors[f"bands-{n}-{side}"] = _("Enter a number.")
            band[row[f"{side}_kind"] if row[f"{side}_kind"] in kinds else kinds[0]] = value
        band["points"] = _number(row["points"])
        if band["points"] is None:
            errors[f"bands-{n}-points"] = _("A number from 0 to 100, at most two decimals.")
        if row["label_zh"]:
            band["label"] = {"zh": row["label_zh"]}
        out.append(band)
        numbered.append(n)
    if not out:
        errors["bands-0-points"] = _("Give at least one band.")
    elif not any(k.startswith("bands-") for k in errors):
        for i, message in band_problems(tuple(_band(b) for b in out)):
            errors.setdefault(f"bands-{numbered[i]}-low", message)
    return out


def _options(f, errors) -> list[dict]:
    out, seen = [], set()
    for n, row in rows(f, "options", OPTION):
        if not _filled(row):
            continue
        if not row["value"]:
            errors[f"options-{n}-value"] = _("Give the value.")
        elif row["value"] in seen:
            errors[f"options-{n}-value"] = _("This value is given twice.")
        seen.add(row["value"])
        option = {"value": row["value"], **({"label": _label(f, f"options-{n}-label")} if row["label_zh"] else {}),
                  "points": _number(row["points"])}
        if option["points"] is None:
            errors[f"options-{n}-points"] = _("A number from 0 to 100, at most two decimals.")
        out.append(option)
    if not out:
        errors["options-0-value"] = _("Give at least one option.")
    return out
