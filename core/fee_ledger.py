"""The fee ledger's two writes, run as workflow actions (plugins/builtin.py) inside the
transition's transaction and through the Store (docs/products.md, "Fee schedules and receipts"):

* `generate` — on approval, one `fee_schedule` record per installment of each of the record's
  product's fee rules (core/fees.py); nothing when the record already has a schedule, so
  re-entering the step after a return does not duplicate it;
* `settle` — when a receipt is audited or voided, each schedule item it names gets as paid the sum
  of the lines of the project's audited receipts for it (recomputed, so voiding undoes it), and
  its status; an item of another project or paid beyond its amount is refused.

The entities and their fields are the standard pack's (`fee_schedule`, `receipt`); a company
changes their labels, forms and permissions by overlay, not their names.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import and_, select, text
from sqlalchemy.engine import Connection

from .codec import decode
from .db import records
from .errors import DanbaoError, msg
from .fees import schedule
from .products import product_of
from .sqlexpr import value_expr
from .store import Actor, Store

SCHEDULE, RECEIPT = "fee_schedule", "receipt"


def generate(store: Store, conn: Connection, entity: str, values: Mapping[str, Any], start: date,
             actor: Actor) -> list[int]:
    """Create the schedule of the record (`values` with its `id`); the ids created."""
    product = product_of(store.meta, entity, values)
    if product is None or not product.fees or _linked(store, conn, SCHEDULE, "project", values["id"]):
        return []
    created = []
    for rule in product.fees:
        base, months = values.get(rule.base), values.get(rule.months)
        if (rule.rate is not None and base is None) or \
                (months is None and (rule.rate_basis == "annual" or rule.frequency != "once")):
            raise DanbaoError(msg(f"无法生成收费计划：收费规则「{rule.name}」需要字段 {rule.base} 和 {rule.months} 的值",
                                  f"cannot generate the fee schedule: the fee rule '{rule.name}' needs the "
                                  f"fields {rule.base} and {rule.months}"))
        for item in schedule(rule, base or Decimal(0), start, months or 1):
            rec = store.create(SCHEDULE, {"project": values["id"], "fee_kind": rule.kind, "rule": rule.name,
                                          "seq": item.seq, "due_date": item.due, "amount": item.amount,
                                          "paid_amount": Decimal(0), "status": "unpaid"}, actor=actor, conn=conn)
            created.append(rec.id)
    return created


def settle(store: Store, conn: Connection, receipt: Mapping[str, Any], actor: Actor) -> None:
    """Recompute the amounts paid of the items `receipt` names from the project's audited receipts."""
    project = receipt["project"]
    paid: dict[int, Decimal] = {}
    for _, _, other in _linked(store, conn, RECEIPT, "project", project):
        if other["status"] == "audited":
            for line in other["lines"] or ():
                paid[line["item"]] = paid.get(line["item"], Decimal(0)) + line["amount"]
    named = {line["item"] for line in receipt["lines"] or ()}
    items = {rid: (version, values) for rid, version, values in _linked(store, conn, SCHEDULE, "project", project)}
    for item_id in sorted(named):
        if item_id not in items:
            raise DanbaoError(msg(f"收费计划款项 {item_id} 不属于本收款单的项目",
                                  f"the fee-schedule item {item_id} is not one of this receipt's project's"))
        version, item = items[item_id]
        amount = paid.get(item_id, Decimal(0))
        if amount > item["amount"]:
            raise DanbaoError(msg(f"款项「{item['title']}」的已收金额 {amount} 将超过应收金额 {item['amount']}",
                                  f"the item '{item['title']}' would be paid {amount}, more than the "
                                  f"{item['amount']} due"))
        status = "paid" if amount >= item["amount"] else "partial" if amount > 0 else "unpaid"
        store.update(SCHEDULE, item_id, {"paid_amount": amount, "status": status}, version=version,
                     actor=actor, conn=conn)


def _linked(store: Store, conn: Connection, entity: str, field: str, record_id: int) -> list[tuple]:
    """(id, version, values) of the live `entity` records whose link `field` is `record_id`, read in
    the transaction (they may have been written by this very transition)."""
    meta_entity = store.meta.entity(entity)
    expr = value_expr(conn.dialect.name, meta_entity.field(field))
    rows = conn.execute(select(records.c.id, records.c.version, records.c.data).where(and_(
        records.c.entity == entity, records.c.deleted.is_(False),
        text(f"{expr} = :linked").bindparams(linked=record_id))).order_by(records.c.id)).all()
    return [(r.id, r.version, decode(meta_entity, r.data, store.types)) for r in rows]
