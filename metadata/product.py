"""The product kind: a guarantee product as metadata (see docs/products.md).

A product names its business type, the entity it creates (default `project`), the form and the
workflow, limits on numeric fields (amount, term), the roles that may use it, the allowed
counter-guarantee kinds, required documents, the regulatory weight category and fee rules.
`compile_product` checks every reference and reports problems with file:line:path; overlays are
in metadata/product_overlay.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from . import product_overlay
from .doc import Doc
from .kinds import Context, Kind, register_kind
from .labels import label
from .model import Label
from .types import NUMBER_TYPES

DEFAULT_ENTITY = "project"
FREQUENCIES = ("once", "monthly", "quarterly", "yearly")
# the code lists a product's codes come from (shipped in seed/standard)
BUSINESS_TYPES, FEE_KINDS, COUNTER_GUARANTEES, WEIGHTS = (
    "business_type", "fee_kind", "counter_guarantee_kind", "regulatory_weight")


@dataclass(frozen=True)
class FeeRule:
    """One fee: a rate of a base field or a fixed sum, collected at a frequency (core/fees.py)."""
    name: str
    kind: str                    # a code of the code list fee_kind (guarantee_fee, review_fee, customer_deposit …)
    label: Label
    frequency: str               # once | monthly | quarterly | yearly
    rate: Decimal | None = None  # a fraction: "1.5%" -> 0.015
    rate_basis: str | None = None  # annual: per year, pro-rated by the term; flat: of the base, for the whole term
    amount: Decimal | None = None  # a fixed sum instead of a rate
    base: str = "amount"         # the record's field the rate applies to
    months: str = "term_months"  # the record's field giving the term in months


@dataclass(frozen=True)
class Limit:
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class RequiredDocument:
    code: str
    label: Label
    required_at_step: str | None = None


@dataclass(frozen=True)
class Product:
    name: str
    label: Label
    business_type: str
    entity: str
    form: str | None
    workflow: str
    scorecard: str | None = None
    limits: Mapping[str, Limit] = field(default_factory=lambda: MappingProxyType({}))
    roles: tuple[str, ...] | None = None      # None: whoever may create the entity
    counter_guarantees: tuple[str, ...] = ()
    documents: tuple[RequiredDocument, ...] = ()
    weight_category: str | None = None
    fees: tuple[FeeRule, ...] = ()
    description: Label | None = None
    pack: str = ""

    def may_use(self, roles) -> bool:
        return self.roles is None or bool(set(roles) & set(self.roles))


def rate_of(value) -> Decimal:
    """'1.5%' -> 0.015; a number is already a fraction (0.015)."""
    text = str(value).strip()
    if text.endswith("%"):
        return Decimal(text[:-1].strip()) / 100
    return Decimal(text)


def number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def entity_of(data: Mapping) -> str:
    return data.get("entity") or DEFAULT_ENTITY


def fee_rule(f: Mapping) -> FeeRule:
    return FeeRule(name=f["name"], kind=f["kind"], label=label(f.get("label"), f["name"]),
                   frequency=f["frequency"], rate=rate_of(f["rate"]) if "rate" in f else None,
                   rate_basis=f.get("rate_basis"), amount=number(f.get("amount")),
                   base=f.get("base", "amount"), months=f.get("months", "term_months"))


def build(data: Mapping, pack: str = "") -> Product:
    limits = {name: Limit(number(lim.get("min")), number(lim.get("max")))
              for name, lim in (data.get("limits") or {}).items()}
    return Product(
        name=data["name"], label=label(data["label"]), business_type=data["business_type"], entity=entity_of(data),
        form=data.get("form"), workflow=data["workflow"], scorecard=data.get("scorecard"),
        limits=MappingProxyType(limits), roles=tuple(data["roles"]) if data.get("roles") else None,
        counter_guarantees=tuple(data.get("counter_guarantees") or ()),
        documents=tuple(RequiredDocument(d["code"], label(d["label"]), d.get("required_at_step"))
                        for d in data.get("documents") or ()),
        weight_category=data.get("weight_category"), fees=tuple(fee_rule(f) for f in data.get("fees") or ()),
        description=label(data.get("description")), pack=pack)


# -- semantic checks -------------------------------------------------------------------------

def compile_product(doc: Doc, ctx: Context) -> Product | None:
    product = build(doc.data, doc.pack)

    def report(path, message):
        ctx.report(doc, path, message)

    codelists = ctx.compiled.get("codelists", {})

    def code(value, codelist, path):
        cl = codelists.get(codelist)
        if cl is None:
            report(path, f"no code list '{codelist}' to check '{value}' against")
        elif cl.get(value) is None:
            report(path, f"'{value}' is not a code of the code list '{codelist}'")

    code(product.business_type, BUSINESS_TYPES, ("business_type",))
    if product.weight_category:
        code(product.weight_category, WEIGHTS, ("weight_category",))
    for i, kind in enumerate(product.counter_guarantees):
        code(kind, COUNTER_GUARANTEES, ("counter_guarantees", i))
    entity = ctx.compiled.get("entities", {}).get(product.entity)
    if entity is None:
        report(("entity",), f"no entity '{product.entity}'")
    elif not any(f.options_from == "products" for f in entity.fields):
        report(("entity",), f"entity '{product.entity}' has no field with options_from: products to choose it")
    form = ctx.compiled.get("forms", {}).get(product.form) if product.form else None
    if product.form and form is None:
        report(("form",), f"no form '{product.form}'")
    elif form is not None and form.entity != product.entity:
        report(("form",), f"form '{product.form}' is for entity '{form.entity}', not '{product.entity}'")
    workflow = ctx.compiled.get("workflows", {}).get(product.workflow)
    if workflow is None:
        report(("workflow",), f"no workflow '{product.workflow}'")
    elif workflow.entity != product.entity:
        report(("workflow",), f"workflow '{product.workflow}' runs on '{workflow.entity}', not '{product.entity}'")
    # the scorecard kind may not be installed: then any name is accepted (checked when it is)
    if product.scorecard and "scorecards" in ctx.docs and product.scorecard not in ctx.docs["scorecards"]:
        report(("scorecard",), f"no scorecard '{product.scorecard}'")

    def numeric(name, path, types=NUMBER_TYPES):
        if entity is None:
            return
        if not entity.has(name):
            report(path, f"entity '{entity.name}' has no field '{name}'")
        elif entity.field(name).value_type not in types:
            report(path, f"'{name}' is a {entity.field(name).type} field; a number is needed")

    for name, lim in product.limits.items():
        numeric(name, ("limits", name))
        if lim.min is not None and lim.max is not None and lim.min > lim.max:
            report(("limits", name, "min"), "min is greater than max")
    codes = [d.code for d in product.documents]
    if codes and entity is not None and not any(f.type == "attachment" for f in entity.fields):
        report(("documents",), f"entity '{entity.name}' has no attachment field to hold the documents")
    for d in product.documents:
        if codes.count(d.code) > 1:
            report(("documents", d.code, "code"), f"document '{d.code}' is listed twice")
        if d.required_at_step and workflow is not None and not workflow.has_step(d.required_at_step):
            report(("documents", d.code, "required_at_step"),
                   f"workflow '{workflow.name}' has no step '{d.required_at_step}'")
    names = [f.name for f in product.fees]
    for fee in product.fees:
        p = ("fees", fee.name)
        if names.count(fee.name) > 1:
            report(p + ("name",), f"fee '{fee.name}' is defined twice")
        code(fee.kind, FEE_KINDS, p + ("kind",))
        if (fee.rate is None) == (fee.amount is None):
            report(p, "a fee has either a rate (with rate_basis) or an amount")
        if fee.rate is not None:
            if fee.rate_basis is None:
                report(p + ("rate",), "a rate needs rate_basis: annual or flat")
            numeric(fee.base, p + ("base",))
        if fee.rate_basis == "annual" or fee.frequency != "once":
            numeric(fee.months, p + ("months",), {"integer"})
    return product


register_kind(Kind(folder="products", schema="product/product.json", overlay_schema="product/product_overlay.json",
                   overlay=product_overlay.apply, compile=compile_product, order=70, applies_to=entity_of))
