"""Products on the one write path: a record's product must exist, run on its entity, be allowed
to the actor's roles, and its limits (amount, term …) must hold — checked in core/validate.py on
every save, with a message at the field. Also what the screens need: the products an actor may
choose and the workflow a record's product runs (docs/products.md, "Enforcement")."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from metadata.model import Entity, Field, Metadata, text_of
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


def workflow_for(meta: Metadata, record) -> str | None:
    """The workflow a record's product runs (None: it has no product)."""
    product = product_of(meta, record.entity, record.values)
    return product.workflow if product is not None else None


def check(meta: Metadata, entity: Entity, values: dict, existing: dict | None, roles: Iterable[str] | None,
          errors: dict) -> None:
    """Add the product's refusals to `errors` (path -> messages). `roles` None: a trusted writer
    (imports, workflow side effects), not held to the product's roles. A check runs only when
    what it depends on is new or changed, so a later change of the product's rules does not
    block unrelated edits of older records."""
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


def _add(errors: dict, path: str, zh: str, en: str) -> None:
    errors.setdefault(path, []).append(msg(zh, en))


def _number(value: Decimal) -> str:
    return f"{value.normalize():,f}"
