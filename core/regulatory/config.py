"""The regulatory configuration read from metadata (docs/regulatory.md): the limits and weight caps
(code list `regulatory_limit`), the category weights (`regulatory_weight`), the products' weight
categories, and where the figures come from in the books (`regulatory_source`). Nothing here names a
business entity or field: the code lists do. A missing or malformed item is a RegulatoryConfigError
naming the code list, the item and the key."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from metadata.model import Metadata

from ..errors import DanbaoError, msg

LIMITS, SOURCES, WEIGHTS = "regulatory_limit", "regulatory_source", "regulatory_weight"


class RegulatoryConfigError(DanbaoError):
    pass


@dataclass(frozen=True)
class Weighting:
    """How one project is weighted: its weight in percent, and where a per-customer cap applies, the
    cap (CNY) and the weight above it."""
    weight: Decimal
    cap: Decimal | None = None
    weight_over: Decimal | None = None


@dataclass(frozen=True)
class Config:
    leverage_limit: Decimal
    single_percent: Decimal
    group_percent: Decimal
    by_product: Mapping[str, Weighting]          # product name -> weighting
    by_business_type: Mapping[str, Weighting]    # the fallback for projects without a product
    default: Weighting                           # a business type the fallback does not map
    project: Mapping[str, Any]                   # regulatory_source.project.data
    compensation: Mapping[str, Any]
    customers: Mapping[str, Any]                 # link field -> {entity, id_code, related?, related_code?}
    net_assets: Mapping[str, Any]


def _item(meta: Metadata, codelist: str, code: str) -> Mapping[str, Any]:
    cl = meta.codelists.get(codelist)
    if cl is None:
        raise RegulatoryConfigError(msg(f"缺少代码表 {codelist}（监管指标，docs/regulatory.md）",
                                        f"the code list {codelist} is missing (regulatory figures, docs/regulatory.md)"))
    item = cl.get(code)
    if item is None:
        raise RegulatoryConfigError(msg(f"代码表 {codelist} 缺少代码 {code}", f"the code list {codelist} has no item {code}"))
    return item.data


def _number(meta: Metadata, codelist: str, code: str, key: str) -> Decimal:
    value = _item(meta, codelist, code).get(key)
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RegulatoryConfigError(msg(f"代码表 {codelist} 的 {code}.data.{key} 应为数字（现为 {value!r}）",
                                        f"{codelist}: {code}.data.{key} must be a number (it is {value!r})")) from None


def _weighting(meta: Metadata, category: str, caps: Mapping[str, Mapping]) -> Weighting:
    weight = _number(meta, WEIGHTS, category, "weight")
    cap = caps.get(category)
    if cap is None:
        return Weighting(weight)
    return Weighting(weight, Decimal(str(cap["per_customer"])), _number(meta, WEIGHTS, str(cap["above"]), "weight"))


def load(meta: Metadata) -> Config:
    leverage = _item(meta, LIMITS, "leverage")
    key = "focused_multiple" if leverage.get("focused") else "multiple"
    caps = {}
    for item in meta.codelists[LIMITS].items:
        if "category" in item.data and "per_customer" in item.data:
            for k in ("per_customer", "above"):
                if k not in item.data:
                    raise RegulatoryConfigError(msg(f"代码表 {LIMITS} 的 {item.code}.data 缺少 {k}",
                                                    f"{LIMITS}: {item.code}.data needs {k}"))
            caps[str(item.data["category"])] = item.data
    products = {}
    for name, product in meta.kinds.get("products", {}).items():
        if product.weight_category:
            products[name] = _weighting(meta, product.weight_category, caps)
    fallback = _item(meta, LIMITS, "fallback")
    by_type = {str(code): _weighting(meta, str(cat), caps) for code, cat in fallback.items()}
    customers = _item(meta, SOURCES, "customers")
    project = _item(meta, SOURCES, "project")
    for link in project.get("customers", []):
        if link not in customers:
            raise RegulatoryConfigError(msg(f"代码表 {SOURCES} 的 customers.data 缺少 {link}",
                                            f"{SOURCES}: customers.data has no entry for {link}"))
    return Config(
        leverage_limit=_number(meta, LIMITS, "leverage", key),
        single_percent=_number(meta, LIMITS, "single_customer", "percent"),
        group_percent=_number(meta, LIMITS, "related_group", "percent"),
        by_product=products, by_business_type=by_type, default=_weighting(meta, "other_financing", caps),
        project=project, compensation=_item(meta, SOURCES, "compensation"), customers=customers,
        net_assets=_item(meta, SOURCES, "net_assets"))


def weighting_of(cfg: Config, values: Mapping[str, Any]) -> Weighting:
    """The weighting of one project's values (the same choice the SQL makes: product, else business type)."""
    product = values.get(cfg.project["product"])
    if product in cfg.by_product:
        return cfg.by_product[product]
    return cfg.by_business_type.get(values.get(cfg.project["business_type"]), cfg.default)
