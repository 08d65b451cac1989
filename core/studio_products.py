"""Products and roles' access in the studio's pack: pure edits of a draft's sources (docs/studio.md).

A product the studio pack defines is held whole in its file; a product of another pack is changed
by a product overlay that states only what differs from the draft's product (replaced properties,
limits per field, fees added, removed or changed by name — metadata/product_overlay.py). Entity
permissions are written as the entity's `permissions:`; an overlay replaces the whole map, so the
complete map is written (an action left out: everyone signed in).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from metadata.model import Metadata
from metadata.product import Product
from metadata.product_overlay import EXCLUSIVE, REPLACED

from .studio_pack import defines, read, write

ACTIONS = ("read", "create", "update", "delete")
# what an overlay can set but not take away: a product of another pack keeps these once it has them
KEPT_BY_OVERLAY = ("description", "form", "scorecard", "roles", "weight_category")
DEFAULT_BASE, DEFAULT_MONTHS = "amount", "term_months"
UNORDERED = ("roles", "counter_guarantees")        # lists whose order means nothing


# -- compiled products back to the YAML a pack writes ---------------------------------------------

def plain_number(value: Decimal) -> int | str:
    """A Decimal as a pack writes it: an integer, else a decimal string ("0.5")."""
    return int(value) if value == value.to_integral_value() else format(value.normalize(), "f")


def percent(rate: Decimal) -> str:
    """0.015 -> "1.5%"."""
    return f"{format((rate * 100).normalize(), 'f')}%"


def fee_spec(fee) -> dict:
    out = {"name": fee.name, "kind": fee.kind}
    if dict(fee.label) != {"zh": fee.name}:      # the loader's default label: the fee had none
        out["label"] = dict(fee.label)
    if fee.rate is not None:
        out.update(rate=percent(fee.rate), rate_basis=fee.rate_basis)
    if fee.amount is not None:
        out["amount"] = plain_number(fee.amount)
    if fee.base != DEFAULT_BASE:
        out["base"] = fee.base
    if fee.months != DEFAULT_MONTHS:
        out["months"] = fee.months
    out["frequency"] = fee.frequency
    return out


def product_spec(product: Product) -> dict:
    """A compiled product as the properties of its file (defaults and empty lists left out)."""
    out: dict = {"name": product.name, "label": dict(product.label)}
    if product.description:
        out["description"] = dict(product.description)
    out.update(business_type=product.business_type, entity=product.entity)
    if product.form:
        out["form"] = product.form
    out["workflow"] = product.workflow
    if product.scorecard:
        out["scorecard"] = product.scorecard
    if product.limits:
        out["limits"] = {name: {k: plain_number(v) for k, v in (("min", lim.min), ("max", lim.max)) if v is not None}
                         for name, lim in product.limits.items()}
    if product.roles is not None:
        out["roles"] = list(product.roles)
    if product.counter_guarantees:
        out["counter_guarantees"] = list(product.counter_guarantees)
    if product.documents:
        out["documents"] = [{"code": d.code, "label": dict(d.label),
                             **({"required_at_step": d.required_at_step} if d.required_at_step else {})}
                            for d in product.documents]
    if product.weight_category:
        out["weight_category"] = product.weight_category
    if product.fees:
        out["fees"] = [fee_spec(f) for f in product.fees]
    return out


def _products(meta: Metadata | None) -> Mapping[str, Product]:
    return meta.kinds.get("products", {}) if meta is not None else {}


# -- products --------------------------------------------------------------------------------------

def in_pack(sources, pack: str, name: str) -> bool:
    """Whether the studio pack defines or changes the product."""
    return read(sources, pack, f"products/{name}.yaml") is not None


def lost_by_overlay(current: dict, spec: dict) -> list[tuple]:
    """What `spec` takes away that an overlay cannot: property paths ("form",), ("limits", "amount")."""
    lost = [(key,) for key in KEPT_BY_OVERLAY if key in current and key not in spec]
    lost += [("limits", name) for name in current.get("limits") or {} if name not in (spec.get("limits") or {})]
    return lost


def put_product(sources, pack: str, meta: Metadata | None, spec: dict) -> list:
    """Create a product, or change one to `spec` (its complete properties, as `product_spec` gives).
    A product of another pack is changed by overlay; raises ValueError when `spec` takes away what an
    overlay cannot (see `lost_by_overlay`)."""
    name = spec["name"]
    path = f"products/{name}.yaml"
    doc = read(sources, pack, path)
    product = _products(meta).get(name)
    if defines(doc) or product is None:
        return write(sources, pack, path, spec)
    current = product_spec(product)
    lost = lost_by_overlay(current, spec)
    if lost:
        raise ValueError(f"an overlay cannot remove {', '.join('.'.join(p) for p in lost)} of product '{name}'")
    doc = doc or {"overlay": name}
    for key in REPLACED:             # what the overlay already sets is set again (it may differ)
        if key in spec and (key in doc or not _same(key, spec[key], current.get(key))):
            doc[key] = spec[key]
    for field, limit in (spec.get("limits") or {}).items():
        if field in (doc.get("limits") or {}) or (current.get("limits") or {}).get(field) != limit:
            doc.setdefault("limits", {})[field] = limit
    _fold_fees(doc, current.get("fees") or [], spec.get("fees") or [])
    return write(sources, pack, path, {k: v for k, v in doc.items() if v not in ([], {}, None)})


def _same(key: str, a, b) -> bool:
    return set(a) == set(b or ()) if key in UNORDERED else a == b


def _fold_fees(doc: dict, current: list, wanted: list) -> None:
    """Change the overlay's add_fees / remove_fees / change_fees so the product's fees become `wanted`."""
    now = {f["name"]: f for f in current}
    new = {f["name"]: f for f in wanted}
    added = doc.setdefault("add_fees", [])
    removed = doc.setdefault("remove_fees", [])
    changed = doc.setdefault("change_fees", {})

    def remove_base(name):
        if name not in removed:
            removed.append(name)

    for name in now:
        if name not in new:
            changed.pop(name, None)
            if any(f["name"] == name for f in added):        # the overlay's own (or a replacement): drop it
                added[:] = [f for f in added if f["name"] != name]
            else:
                remove_base(name)
    for name, fee in new.items():
        at = next((i for i, f in enumerate(added) if f["name"] == name), None)
        if at is not None:
            added[at] = fee
        elif name not in now:
            added.append(fee)
        elif fee != now[name]:
            diff = {k: v for k, v in fee.items() if k != "name" and now[name].get(k) != v}
            dropped = {other for prop in diff for other in EXCLUSIVE.get(prop, ())}
            if any(k not in fee and k not in dropped for k in now[name]):
                # change_fees cannot unset a property (a label, a base): replace the fee whole
                changed.pop(name, None)
                remove_base(name)
                added.append(fee)
            else:
                entry = {k: fee[k] for k in changed.get(name, {}) if k in fee}
                changed[name] = {**entry, **diff}


def roles_differ(meta: Metadata, name: str, roles: list[str] | None) -> bool:
    now = _products(meta)[name].roles
    return (now is None) != (roles is None) or set(now or ()) != set(roles or ())


def put_roles(sources, pack: str, meta: Metadata, name: str, roles: list[str] | None) -> list:
    """Set the roles that may use a product (None: whoever may create its entity)."""
    if not roles_differ(meta, name, roles):
        return sources
    spec = product_spec(_products(meta)[name])
    spec.pop("roles", None)
    if roles is not None:
        spec["roles"] = roles
    return put_product(sources, pack, meta, spec)


# -- roles' access to entities ---------------------------------------------------------------------

def permissions_of(meta: Metadata, entity: str) -> dict[str, list[str]]:
    """The entity's permissions as a pack writes them (an action left out: everyone signed in)."""
    return {a: list(roles) for a, roles in meta.entity(entity).permissions.items()}


def permissions_differ(meta: Metadata, entity: str, permissions: dict[str, list[str]]) -> bool:
    now = permissions_of(meta, entity)
    return set(now) != set(permissions) or any(set(now[a]) != set(permissions[a]) for a in now)


def put_permissions(sources, pack: str, meta: Metadata, entity: str, permissions: dict[str, list[str]]) -> list:
    """Set the roles allowed per action of an entity; an overlay's `permissions` replaces the whole
    map, so the complete map is written."""
    if not permissions_differ(meta, entity, permissions):
        return sources
    wanted = {a: list(permissions[a]) for a in ACTIONS if a in permissions}
    path = f"entities/{entity}.yaml"
    doc = read(sources, pack, path) or {"overlay": entity}
    if defines(doc) and not wanted:
        doc.pop("permissions", None)
    else:
        doc["permissions"] = wanted          # {} in an overlay: every action open to everyone signed in
    return write(sources, pack, path, doc)


def known_roles(meta: Metadata | None, user_roles: Iterable[str] = ()) -> list[str]:
    """The roles to offer: those users hold and those the metadata names (permissions, products)."""
    roles = set(user_roles)
    if meta is not None:
        for entity in meta.entities.values():
            for allowed in entity.permissions.values():
                roles.update(allowed)
        for product in _products(meta).values():
            roles.update(product.roles or ())
    return sorted(roles)
