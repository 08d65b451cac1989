"""The studio's product editor (docs/studio.md): written to the draft, never straight to staff.

    GET  /studio/products                 every product (the draft's, else the installed ones); a form for a new one
    POST /studio/products                 create a product (name, label, business type, workflow) and go to it
    GET  /studio/products/<name>          every property of the product; the draft's problems in its file
    POST /studio/products/<name>          save it; `add_row` (limits, documents, fees) adds a row,
                                          `remove_row` ("fees-2") removes one and `refresh` lays the form out again for
                                          the workflow chosen: the form again, with what was typed, unsaved

A product of another pack is changed by overlay (core/studio_products.py): what an overlay cannot take
away (a form, a limit, the list of roles …) is refused in place.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import metastore, studio_products
from core.products import product_field
from core.users import list_users
from metadata.product import BUSINESS_TYPES, COUNTER_GUARANTEES, FEE_KINDS, FREQUENCIES, WEIGHTS
from metadata.types import NUMBER_TYPES

from . import context
from .i18n import N_, text_of
from .studio import _require
from .studio_draft import change, pack, problems_for, state

bp = Blueprint("studio_products", __name__, url_prefix="/studio/products")

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
DOC_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")       # it is part of the upload's URL
SCALARS = ("label_zh", "label_en", "description_zh", "description_en", "business_type", "workflow", "form",
           "scorecard", "weight_category")
CHOSEN = ("roles", "counter_guarantees")                            # ticked among the choices
ROWS = {"limits": ("field", "min", "max"), "documents": ("code", "label_zh", "label_en", "step"),
        "fees": ("name", "kind", "label_zh", "label_en", "rate", "rate_basis", "amount", "base", "months",
                 "frequency")}
ROW_KEY = re.compile(r"^(limits|documents|fees)-(\d+)-([a-z_]+)$")
BASES = {"annual": N_("Yearly rate, pro-rated by the term"), "flat": N_("Share of the base for the whole term")}
FREQUENCY_LABELS = {"once": N_("Once"), "monthly": N_("Monthly"), "quarterly": N_("Quarterly"), "yearly": N_("Yearly")}


def products_of(meta) -> dict:
    return dict(meta.kinds.get("products", {})) if meta is not None else {}


def roles_offered(meta, extra=()) -> list[str]:
    return sorted({*studio_products.known_roles(meta, (r for u in list_users(context.engine()) for r in u.roles)),
                   *extra})


def _codes(meta, codelist: str, keep=()) -> list[tuple[str, str]]:
    """The active codes of a list (and those in `keep`, still chosen though deactivated)."""
    cl = meta.codelists.get(codelist)
    return [(i.code, f"{text_of(i.label)} ({i.code})") for i in (cl.items if cl else ()) if i.active or i.code in keep]


def _workflows(meta, entity: str | None = None) -> list[tuple[str, str]]:
    """The workflows of `entity` (None: of every entity a product can be recorded in)."""
    entities = {entity} if entity else {n for n, e in meta.entities.items() if product_field(e) is not None}
    return [(n, f"{text_of(w.label)} ({n})") for n, w in sorted(meta.kinds.get("workflows", {}).items())
            if w.entity in entities]


# -- the list and a new product -------------------------------------------------------------------

@bp.route("")
@login_required
def index():
    _require()
    return _list_page({}, {})


def _list_page(form, errors, status=200):
    draft, meta, problems = state()
    products = products_of(meta)
    sources = draft.sources if draft else metastore.installed_sources(context.engine())
    overlaid = {n for n, p in products.items() if p.pack != pack() and studio_products.in_pack(sources, pack(), n)}
    return render_template("studio/products.html", draft=draft, meta=meta, items=products, overlaid=overlaid,
                           studio_pack=pack(), form=form, errors=errors, problems=[str(p) for p in problems],
                           workflows=_workflows(meta), business_types=_codes(meta, BUSINESS_TYPES)), status


@bp.route("", methods=["POST"])
@login_required
def create():
    _require()
    _draft, meta, _problems = state()
    form = {k: request.form.get(k, "").strip() for k in ("name", "label_zh", "label_en", "business_type", "workflow")}
    errors = {}
    if not NAME.match(form["name"]):
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif form["name"] in products_of(meta):
        errors["name"] = _("A product of this name exists.")
    if not form["label_zh"]:
        errors["label_zh"] = _("Give the Chinese label.")
    if form["business_type"] not in dict(_codes(meta, BUSINESS_TYPES)):
        errors["business_type"] = _("Choose the business type.")
    if form["workflow"] not in dict(_workflows(meta)):
        errors["workflow"] = _("Choose the workflow.")
    if errors:
        return _list_page(form, errors, 422)
    entity = meta.kinds["workflows"][form["workflow"]].entity        # the workflow says where projects go
    spec = {"name": form["name"], "label": _label(form, "label_zh", "label_en"),
            "business_type": form["business_type"], "entity": entity, "workflow": form["workflow"]}
    change(lambda s, m: studio_products.put_product(s, pack(), m, spec))
    flash(_("Product %(n)s created in the draft.", n=form["name"]), "info")
    return redirect(url_for(".product", name=form["name"]))


def _label(form, zh: str, en: str) -> dict:
    return {k: form[key] for k, key in (("zh", zh), ("en", en)) if form[key]}


# -- one product ------------------------------------------------------------------------------------

@bp.route("/<name>")
@login_required
def product(name: str):
    _require()
    draft, meta, problems = state()
    current_spec = studio_products.product_spec(_product(meta, name))
    return _product_page(draft, meta, problems, name, _values_of(current_spec), {})


def _product(meta, name: str):
    product = products_of(meta).get(name)
    if product is None:
        abort(404)
    return product


@bp.route("/<name>", methods=["POST"])
@login_required
def save(name: str):
    _require()
    draft, meta, problems = state()
    product = _product(meta, name)
    values = _values_from(request.form)
    # (not "add"/"remove": a control named "remove" hides the form element's own remove())
    add, remove = request.form.get("add_row"), request.form.get("remove_row", "")
    if add in ROWS:
        values[add].append(dict.fromkeys(ROWS[add], ""))
    if remove.rpartition("-")[0] in ROWS and remove.rpartition("-")[2].isdigit():
        rows, at = values[remove.rpartition("-")[0]], int(remove.rpartition("-")[2])
        if at < len(rows):
            rows.pop(at)
    if add or remove or request.form.get("refresh"):
        return _product_page(draft, meta, problems, name, values, {})
    base = None if product.pack == pack() else studio_products.product_spec(product)
    spec, errors = _parse(values, meta, product, base)
    if errors:
        return _product_page(draft, meta, problems, name, values, errors, 422)
    change(lambda s, m: studio_products.put_product(s, pack(), m, spec))
    flash(_("Product %(n)s saved in the draft.", n=name), "info")
    return redirect(url_for(".product", name=name))


def _product_page(draft, meta, problems, name, values, errors, status=200):
    product = products_of(meta)[name]
    entity = meta.entity(product.entity)
    workflow = meta.kinds.get("workflows", {}).get(values["workflow"] or product.workflow)
    numeric = [(f.name, f"{text_of(f.label)} ({f.name})") for f in entity.fields if f.value_type in NUMBER_TYPES]
    choices = {
        "business_types": _codes(meta, BUSINESS_TYPES, [values["business_type"]]),
        "workflows": _workflows(meta, entity.name),
        "forms": [(n, f"{text_of(f.label)} ({n})") for n, f in sorted(meta.forms.items()) if f.entity == entity.name],
        "scorecards": [(n, f"{text_of(s.label)} ({n})") for n, s in sorted(meta.kinds.get("scorecards", {}).items())],
        "weights": _codes(meta, WEIGHTS, [values["weight_category"]]),
        "roles": [(r, r) for r in roles_offered(meta)],
        "counter_guarantees": _codes(meta, COUNTER_GUARANTEES, values["counter_guarantees"]),
        "numeric": numeric,
        "integer": [(f.name, f"{text_of(f.label)} ({f.name})") for f in entity.fields if f.value_type == "integer"],
        "steps": [(s.name, f"{text_of(s.label)} ({s.name})") for s in workflow.steps] if workflow else [],
        "fee_kinds": _codes(meta, FEE_KINDS, [r["kind"] for r in values["fees"]]),
        "bases": [(k, _(v)) for k, v in BASES.items()],
        "frequencies": [(k, _(FREQUENCY_LABELS[k])) for k in FREQUENCIES],
    }
    return render_template("studio/product.html", product=product, entity=entity, values=values, errors=errors,
                           choices=choices, draft=draft, own=product.pack == pack(), studio_pack=pack(),
                           problems=problems_for(problems, f"products/{name}.yaml")), status


def _values_of(spec: dict) -> dict:
    """A product's properties as the form's inputs hold them."""
    label, description = spec.get("label") or {}, spec.get("description") or {}
    values = {"label_zh": label.get("zh", ""), "label_en": label.get("en", ""),
              "description_zh": description.get("zh", ""), "description_en": description.get("en", ""),
              **{k: spec.get(k, "") for k in ("business_type", "workflow", "form", "scorecard", "weight_category")},
              "roles": list(spec.get("roles") or ()), "counter_guarantees": list(spec.get("counter_guarantees") or ())}
    values["limits"] = [{"field": f, "min": str(lim.get("min", "")), "max": str(lim.get("max", ""))}
                        for f, lim in (spec.get("limits") or {}).items()]
    values["documents"] = [{"code": d["code"], "label_zh": d["label"].get("zh", ""),
                            "label_en": d["label"].get("en", ""), "step": d.get("required_at_step", "")}
                           for d in spec.get("documents") or ()]
    values["fees"] = [{"name": f["name"], "kind": f["kind"], "label_zh": (f.get("label") or {}).get("zh", ""),
                       "label_en": (f.get("label") or {}).get("en", ""), "rate": f.get("rate", "").rstrip("%"),
                       "rate_basis": f.get("rate_basis", ""), "amount": str(f.get("amount", "")),
                       "base": f.get("base", ""), "months": f.get("months", ""), "frequency": f["frequency"]}
                      for f in spec.get("fees") or ()]
    return values


def _values_from(form) -> dict:
    """What was typed, rows in the order of their numbers."""
    values = {k: form.get(k, "").strip() for k in SCALARS}
    values.update({k: form.getlist(k) for k in CHOSEN})
    rows: dict = {k: {} for k in ROWS}
    for key in form:
        m = ROW_KEY.match(key)
        if m and m[3] in ROWS[m[1]]:
            rows[m[1]].setdefault(int(m[2]), dict.fromkeys(ROWS[m[1]], ""))[m[3]] = form.get(key, "").strip()
    values.update({k: [r for _i, r in sorted(found.items())] for k, found in rows.items()})
    return values


def _number(text: str) -> Decimal | None:
    """A number of at least 0 as typed ("1,000,000" too), else None."""
    try:
        n = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return n if n.is_finite() and n >= 0 else None


def _parse(values: dict, meta, product, base: dict | None) -> tuple[dict, dict]:
    """The product's properties from the form, and the errors by input. `base`: the product of another
    pack, whose overlay can change but not take away some properties."""
    errors: dict[str, str] = {}
    entity = meta.entity(product.entity)
    spec: dict = {"name": product.name, "label": _label(values, "label_zh", "label_en")}
    if not values["label_zh"]:
        errors["label_zh"] = _("Give the Chinese label.")
    description = _label(values, "description_zh", "description_en")
    if description:
        spec["description"] = description

    def one_of(key, options, required=False):
        value = values[key]
        if value and value not in dict(options):
            errors[key] = _("Choose one of the values offered.")
        elif not value and required:
            errors[key] = _("Choose one.")
        elif value:
            spec[key] = value

    one_of("business_type", _codes(meta, BUSINESS_TYPES, [product.business_type]), required=True)
    spec["entity"] = product.entity
    one_of("form", [(n, n) for n, f in meta.forms.items() if f.entity == entity.name])
    one_of("workflow", _workflows(meta, entity.name), required=True)
    one_of("scorecard", [(n, n) for n in meta.kinds.get("scorecards", {})])
    numeric = {f.name for f in entity.fields if f.value_type in NUMBER_TYPES}
    limits = _limits(values["limits"], numeric, errors)
    if limits:
        spec["limits"] = limits
    roles = values["roles"]
    if set(roles) - set(roles_offered(meta)):
        errors["roles"] = _("Choose among the roles offered.")
    elif roles:
        spec["roles"] = roles
    kinds = values["counter_guarantees"]
    if set(kinds) - set(dict(_codes(meta, COUNTER_GUARANTEES, product.counter_guarantees))):
        errors["counter_guarantees"] = _("Choose among the kinds offered.")
    elif kinds:
        spec["counter_guarantees"] = kinds
    workflow = meta.kinds.get("workflows", {}).get(spec.get("workflow"))
    documents = _documents(values["documents"], {s.name for s in workflow.steps} if workflow else set(), errors)
    if documents:
        spec["documents"] = documents
    one_of("weight_category", _codes(meta, WEIGHTS, [product.weight_category]))
    integer = {f.name for f in entity.fields if f.value_type == "integer"}
    fees = _fees(values["fees"], set(dict(_codes(meta, FEE_KINDS, [f.kind for f in product.fees]))), numeric,
                 integer, errors)
    if fees:
        spec["fees"] = fees
    for path in studio_products.lost_by_overlay(base, spec) if base else ():
        key = {"description": "description_zh"}.get(path[0], path[0])
        errors.setdefault(key, _("A product of another pack keeps this once it has it (an overlay can change it, "
                                 "not take it away): choose a value."))
    return spec, errors


def _blank(row: dict) -> bool:
    return not any(row.values())        # a row added and left empty is no row


def _limits(rows, numeric: set, errors: dict) -> dict:
    limits: dict = {}
    for i, row in enumerate(rows):
        if _blank(row):
            continue
        at = f"limits-{i}-"
        if row["field"] not in numeric:
            errors[at + "field"] = _("Choose a numeric field.")
        elif row["field"] in limits:
            errors[at + "field"] = _("This field has a limit already.")
        limit = {}
        for key in ("min", "max"):
            n = _number(row[key]) if row[key] else None
            if row[key] and n is None:
                errors[at + key] = _("Enter a number of at least 0.")
            elif n is not None:
                limit[key] = n
        if not row["min"] and not row["max"]:
            errors[at + "min"] = _("Give a minimum, a maximum or both.")
        elif len(limit) == 2 and limit["min"] > limit["max"]:
            errors[at + "max"] = _("The maximum is below the minimum.")
        limits[row["field"]] = {k: studio_products.plain_number(v) for k, v in limit.items()}
    return limits


def _documents(rows, steps: set, errors: dict) -> list:
    documents: list = []
    for i, row in enumerate(rows):
        if _blank(row):
            continue
        at = f"documents-{i}-"
        if not DOC_CODE.match(row["code"]):
            errors[at + "code"] = _("A code is letters, digits, _ . and -, at most 63.")
        elif any(d["code"] == row["code"] for d in documents):
            errors[at + "code"] = _("This code is listed twice.")
        if not row["label_zh"]:
            errors[at + "label_zh"] = _("Give the Chinese label.")
        if row["step"] and row["step"] not in steps:
            errors[at + "step"] = _("Choose a step of the product's workflow.")
        documents.append({"code": row["code"], "label": _label(row, "label_zh", "label_en"),
                          **({"required_at_step": row["step"]} if row["step"] else {})})
    return documents


def _fees(rows, kinds: set, numeric: set, integer: set, errors: dict) -> list:
    fees: list = []
    for i, row in enumerate(rows):
        if _blank(row):
            continue
        at = f"fees-{i}-"
        fee: dict = {"name": row["name"]}
        if not NAME.match(row["name"]):
            errors[at + "name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif any(f["name"] == row["name"] for f in fees):
            errors[at + "name"] = _("A fee of this name is listed already.")
        if row["kind"] not in kinds:
            errors[at + "kind"] = _("Choose the kind of fee.")
        fee["kind"] = row["kind"]
        label = _label(row, "label_zh", "label_en")
        if label:
            fee["label"] = label
        if row["rate"] and row["amount"]:
            errors[at + "amount"] = _("A fee is a rate or a fixed amount, not both.")
        elif not row["rate"] and not row["amount"]:
            errors[at + "rate"] = _("Give a rate or a fixed amount.")
        elif row["rate"]:
            rate = _number(row["rate"].rstrip("%").strip())
            if rate is None:
                errors[at + "rate"] = _("Enter a rate in percent, e.g. 1.5.")
            else:
                fee["rate"] = studio_products.percent(rate / 100)
            if row["rate_basis"] not in BASES:
                errors[at + "rate_basis"] = _("Choose how the rate applies.")
            fee["rate_basis"] = row["rate_basis"]
        else:
            amount = _number(row["amount"])
            if amount is None:
                errors[at + "amount"] = _("Enter a number of at least 0.")
            else:
                fee["amount"] = studio_products.plain_number(amount)
        for key, allowed in (("base", numeric), ("months", integer)):
            if row[key] and row[key] not in allowed:
                errors[at + key] = _("Choose one of the fields offered.")
            elif row[key]:
                fee[key] = row[key]
        if row["frequency"] not in FREQUENCIES:
            errors[at + "frequency"] = _("Choose how often it is collected.")
        fee["frequency"] = row["frequency"]
        fees.append(fee)
    return fees
