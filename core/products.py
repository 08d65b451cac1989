"""Products on the one write path: a record's product must exist, run on its entity, be allowed
to the actor's roles, and its limits (amount, term …) must hold — checked in core/validate.py on
every save, with a message at the field. Also what the screens need: the products an actor may
choose and the workflow a record's product runs (docs/products.md, "Enforcement").

A record that links to a record with a product is held to the product's allowed codes too: a
counter-guarantee of a project whose product does not allow its kind is refused
(`check_linked`, docs/products.md "Counter-guarantees")."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Mapping

from metadata.model import Entity, Field, Form, Metadata, text_of
from metadata.product import Product

from .errors import msg


def product_field(entity: Entity) -> Field | None:
    """The field that chooses the record's product (`options_from: products`), if any."""
    return next((f for f in entity.fields if f.options_from == "products"), None)


def products_for(meta: Metadata, entity: str, actor) -> list[Product]:
    """The products `actor` may choose for a new `entity` record, in name order."""
    products = meta.kinds.get("products", {})
    return [p for name, p in sorted(products.items())
            if p.entity == entity and (actor.system or p.may_use(actor.roles))]


def product_of(meta: Metadata, entity: str, values: Mapping) -> Product | None:
    field = product_field(meta.entity(entity))
    name = values.get(field.name) if field is not None else None
    return meta.kinds.get("products", {}).get(name) if name else None


def form_of(meta: Metadata, entity: str, values: Mapping) -> Form | None:
    """The form a record is laid out with on screen: its product's `form`, else the entity's."""
    product = product_of(meta, entity, values)
    if product is not None and product.form in meta.forms:
        return meta.forms[product.form]
    return meta.form_for(entity)


def workflow_for(meta: Metadata, record) -> str | None:
    """The workflow a record's product runs (None: it has no product)."""
    product = product_of(meta, record.entity, record.values)
    return product.workflow if product is not None else None


# a product's list of allowed codes -> the code list they come from: a field of that code list on a
# record linked to the product's record must hold one of them
ALLOWED_CODES = {"counter_guarantees": "counter_guarantee_kind"}


def check(meta: Metadata, entity: Entity, values: dict, existing: dict | None, roles: Iterable[str] | None,
          errors: dict, load_link: Callable[[str, int], Mapping | None] | None = None) -> None:
    """Add the product's refusals to `errors` (path -> messages). `roles` None: a trusted writer
    (imports, workflow side effects), not held to the product's roles. A check runs only when
    what it depends on is new or changed, so a later change of the product's rules does not
    block unrelated edits of older records."""
    if load_link is not None:
        check_linked(meta, entity, values, existing, load_link, errors)
    field = product_field(entity)
    if field is None or not values.get(field.name):
        return
    name = values[field.name]
    old = existing or {}
    chosen = existing is None or old.get(field.name) != name
    product = meta.kinds.get("products", {}).get(name)
    if product is None or product.entity != entity.name:
        if field.name not in errors:         # an unknown option is reported by the option check
            _add(errors, field.name, f"产品「{name}」不适用于「{text_of(entity.label)}」",
                 f"the product '{name}' is not for {entity.name}")
        return
    label = text_of(product.label)
    if chosen and roles is not None and not product.may_use(roles):
        _add(errors, field.name, f"您的角色不能使用产品「{label}」",
             f"your roles may not use the product '{text_of(product.label, 'en')}'")
    label_en = text_of(product.label, "en")
    for path, limit in product.limits.items():
        value = values.get(path)
        if value is None or path in errors or not (chosen or old.get(path) != value):
            continue
        title = text_of(entity.field(path).label)
        if limit.min is not None and Decimal(value) < limit.min:
            _add(errors, path, f"产品「{label}」的{title}不能小于 {_number(limit.min)}",
                 f"at least {_number(limit.min)} for the product '{label_en}'")
        if limit.max is not None and Decimal(value) > limit.max:
            _add(errors, path, f"产品「{label}」的{title}不能大于 {_number(limit.max)}",
                 f"at most {_number(limit.max)} for the product '{label_en}'")


def check_linked(meta: Metadata, entity: Entity, values: dict, existing: dict | None,
                 load_link: Callable[[str, int], Mapping | None], errors: dict) -> None:
    """Codes a linked record's product does not allow (ALLOWED_CODES), at the code's field: e.g. a
    counter-guarantee's kind when the project's product does not list it. Checked when the code
    or the link is new or changed; a product that lists no codes allows every code."""
    coded = [f for f in entity.fields if f.codelist in ALLOWED_CODES.values() and not f.is_table]
    if not coded:
        return
    old = existing or {}
    for link in entity.fields:
        target = meta.entities.get(link.entity) if link.type == "link" else None
        if target is None or product_field(target) is None or values.get(link.name) is None:
            continue
        for f in coded:
            code = values.get(f.name)
            if code is None or f.name in errors or (existing is not None and old.get(f.name) == code
                                                    and old.get(link.name) == values[link.name]):
                continue
            linked = load_link(target.name, values[link.name])
            product = product_of(meta, target.name, linked) if linked else None
            allowed = _allowed(product, f.codelist)
            if allowed and code not in allowed:
                item = meta.codelists[f.codelist].get(code)
                what = (text_of(item.label), text_of(item.label, "en")) if item else (code, code)
                names = "、".join(_code_label(meta, f.codelist, c) for c in allowed)
                names_en = ", ".join(_code_label(meta, f.codelist, c, "en") for c in allowed)
                _add(errors, f.name, f"产品「{text_of(product.label)}」不接受「{what[0]}」，可选：{names}",
                     f"the product '{text_of(product.label, 'en')}' does not accept '{what[1]}' (allowed: {names_en})")


def _allowed(product: Product | None, codelist: str) -> tuple[str, ...]:
    if product is None:
        return ()
    return next((tuple(getattr(product, prop)) for prop, cl in ALLOWED_CODES.items() if cl == codelist), ())


def _code_label(meta: Metadata, codelist: str, code: str, lang: str = "zh") -> str:
    item = meta.codelists[codelist].get(code) if codelist in meta.codelists else None
    return text_of(item.label, lang) if item else code


def _add(errors: dict, path: str, zh: str, en: str) -> None:
    errors.setdefault(path, []).append(msg(zh, en))


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"
