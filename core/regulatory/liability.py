"""融资担保责任余额 in SQL: the balance in force of every project, weighted by its category, summed per
customer and for the company; customers' and related groups' shares. Nothing is loaded row by row:
the database groups and sums, Python gets the totals and the top customers.

Amounts are added as whole numbers (balance in cents × weight in hundredths of a percent) on both
databases, so the result is exact on SQLite too (it has no decimal type).

`extra` adds one hypothetical project (its customer ids, balance and weighting) to the books: the
same queries then answer "after approving it" (core/regulatory/whatif.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Sequence

from sqlalchemy import text

from metadata.model import Metadata

from ..sqlexpr import ident, value_expr
from .config import Config, Weighting

UNIT = Decimal(10) ** 6          # cents × hundredths of a percent -> yuan


@dataclass(frozen=True)
class Extra:
    customer: tuple                # ids in the order of cfg.project["customers"] (None where not that kind)
    balance: Decimal
    weighting: Weighting


@dataclass(frozen=True)
class CustomerLiability:
    customer: tuple                # (link ids …)
    liability: Decimal


def _bp(weight: Decimal) -> str:
    return str(int((weight * 100).to_integral_value()))


def _cents(value: Decimal) -> str:
    return str(int((value * 100).to_integral_value()))


class Sql:
    """The SQL pieces for one configuration, metadata and database."""

    def __init__(self, meta: Metadata, cfg: Config, dialect: str):
        self.meta, self.cfg, self.dialect = meta, cfg, dialect
        p = cfg.project
        self.entity = meta.entity(p["entity"])
        self.links = list(p["customers"])
        self.params: dict[str, Any] = {}

    def bind(self, value) -> str:
        key = f"q{len(self.params)}"
        self.params[key] = value
        return f":{key}"

    def expr(self, name: str, column: str = "r.data") -> str:
        return value_expr(self.dialect, self.entity.field(name), column)

    def cents(self, name: str) -> str:
        e = self.expr(name)
        if self.dialect == "sqlite":
            return f"CAST(ROUND({e} * 100) AS INTEGER)"
        return f"ROUND({e} * 100)"

    def _case(self, pick) -> str:
        """CASE over product, then business type, giving pick(weighting) (a SQL literal)."""
        p = self.cfg.project
        product, btype = self.expr(p["product"]), self.expr(p["business_type"])
        whens = [f"WHEN {product} = {self.bind(n)} THEN {pick(w)}" for n, w in sorted(self.cfg.by_product.items())]
        whens += [f"WHEN {btype} = {self.bind(n)} THEN {pick(w)}" for n, w in sorted(self.cfg.by_business_type.items())]
        return f"CASE {' '.join(whens)} ELSE {pick(self.cfg.default)} END"

    def projects(self, extra: Extra | None = None, customer: tuple | None = None) -> str:
        """One row per project in force: c0…cN (customer ids), bal (cents), w, w_over (hundredths of a
        percent), cap (cents or NULL)."""
        p = self.cfg.project
        live = "0" if self.dialect == "sqlite" else "false"
        statuses = ", ".join(self.bind(s) for s in p["in_force"])
        cols = [f"{self.expr(link)} AS c{i}" for i, link in enumerate(self.links)]
        w = self._case(lambda x: _bp(x.weight))
        wo = self._case(lambda x: _bp(x.weight_over if x.cap is not None else x.weight))
        cap = self._case(lambda x: _cents(x.cap) if x.cap is not None else "CAST(NULL AS BIGINT)")
        where = [f"r.entity = '{ident(self.entity.name)}'", f"r.deleted = {live}",
                 f"{self.expr(p['status'])} IN ({statuses})", f"{self.expr(p['balance'])} IS NOT NULL"]
        if customer is not None:
            where.append(self._same_customer(customer, [self.expr(link) for link in self.links]))
        sql = (f"SELECT {', '.join(cols)}, {self.cents(p['balance'])} AS bal, {w} AS w, {wo} AS w_over, "
               f"{cap} AS cap FROM records r WHERE {' AND '.join(where)}")
        if extra is not None:
            x = extra.weighting
            ids = ", ".join(f"CAST({self.bind(v)} AS BIGINT) AS c{i}" for i, v in enumerate(extra.customer))
            sql += (f" UNION ALL SELECT {ids}, {_cents(extra.balance)}, {_bp(x.weight)}, "
                    f"{_bp(x.weight_over if x.cap is not None else x.weight)}, "
                    f"{_cents(x.cap) if x.cap is not None else 'CAST(NULL AS BIGINT)'}")
        return sql

    def _same_customer(self, customer: tuple, exprs: Sequence[str]) -> str:
        parts = []
        for e, v in zip(exprs, customer):
            parts.append(f"{e} IS NULL" if v is None else f"{e} = {self.bind(v)}")
        return "(" + " AND ".join(parts) + ")"

    def caps(self) -> list[Decimal]:
        """The distinct per-customer caps (CNY) of the configuration."""
        ws = [*self.cfg.by_product.values(), *self.cfg.by_business_type.values(), self.cfg.default]
        return sorted({w.cap for w in ws if w.cap is not None})

    def customers(self, extra: Extra | None = None, customer: tuple | None = None) -> str:
        """One row per customer: c0…cN, liab (units), bal (cents), and for each cap k the sums of its
        capped projects at their weight (lw_k) and at the weight above the cap (lwo_k), so that the
        customer's liability with one more project is worked out from its row (after_adding). The
        capped weight applies when the customer's balance in force (all its projects) is above the cap."""
        cs = ", ".join(f"c{i}" for i in range(len(self.links)))
        weighted = ("SELECT *, SUM(bal) OVER (PARTITION BY " + cs + ") AS cust_bal FROM (" +
                    self.projects(extra, customer) + ") p")
        per_cap = "".join(f", SUM(CASE WHEN cap = {_cents(c)} THEN bal * w ELSE 0 END) AS lw{k}"
                          f", SUM(CASE WHEN cap = {_cents(c)} THEN bal * w_over ELSE 0 END) AS lwo{k}"
                          for k, c in enumerate(self.caps()))
        return (f"SELECT {cs}, SUM(bal * CASE WHEN cap IS NOT NULL AND cust_bal > cap THEN w_over ELSE w END) "
                f"AS liab, SUM(bal) AS bal{per_cap} FROM ({weighted}) x GROUP BY {cs}")

    def related(self, owner: tuple | None = None) -> str | None:
        """Pairs (owner, kind, rid): customer `rid` of link kind `kind` is a related party the customer
        `owner` (of the link kind that has a related table) lists, matched by USCC / ID number."""
        parts = []
        live = "0" if self.dialect == "sqlite" else "false"
        for j, link in enumerate(self.links):
            src = self.cfg.customers[link]
            if not src.get("related"):
                continue
            owner_entity = self.meta.entity(src["entity"])
            table = owner_entity.field(src["related"])
            code = f"UPPER(TRIM({value_expr(self.dialect, table.child(src['related_code']), 'rr.data')}))"
            for k, other in enumerate(self.links):
                target = self.meta.entity(self.cfg.customers[other]["entity"])
                their = f"UPPER(TRIM({value_expr(self.dialect, target.field(self.cfg.customers[other]['id_code']), 'm.data')}))"
                if owner is not None and owner[j] is None:
                    continue
                only = f" AND rr.record_id = {self.bind(owner[j])}" if owner is not None else ""
                parts.append(
                    f"SELECT DISTINCT rr.record_id AS owner, {j} AS okind, {k} AS kind, m.id AS rid FROM record_rows rr "
                    f"JOIN records m ON m.entity = '{ident(target.name)}' AND m.deleted = {live} AND {their} = {code} "
                    f"WHERE rr.entity = '{ident(owner_entity.name)}' AND rr.field = '{ident(table.name)}'{only} "
                    f"AND NOT (m.id = rr.record_id AND {j} = {k})")
        return " UNION ".join(parts) if parts else None


def _units(value) -> Decimal:
    return (Decimal(value or 0) / UNIT).quantize(Decimal("0.01"))


TEMP = "regulatory_customers"      # a temporary table of the connection: gone with its transaction


def _cs(sql: Sql, prefix: str = "") -> str:
    return ", ".join(f"{prefix}c{i}" for i in range(len(sql.links)))


def _cap_columns(sql: Sql) -> list[str]:
    return [f"{p}{k}" for k in range(len(sql.caps())) for p in ("lw", "lwo")]


def _row(conn, sql: Sql, customer: tuple):
    where = sql._same_customer(customer, [f"c{i}" for i in range(len(sql.links))])
    cols = ", ".join(["liab", "bal", *_cap_columns(sql)])
    return conn.execute(text(f"SELECT {cols} FROM {TEMP} WHERE {where}"), sql.params).first()


def after_adding(sql: Sql, row, extra: Extra) -> tuple[int, int]:
    """(liability units, balance cents) of a customer's snapshot row (None: no projects yet) with the
    extra project: each cap's projects re-weighed by the new balance, the rest unchanged."""
    caps = sql.caps()
    liab, bal = (int(row[0] or 0), int(row[1] or 0)) if row is not None else (0, 0)
    sums = [(int(row[2 + 2 * k] or 0), int(row[3 + 2 * k] or 0)) if row is not None else (0, 0) for k in range(len(caps))]
    cents = lambda d: int((d * 100).to_integral_value())  # noqa: E731
    uncapped = liab - sum(wo if bal > cents(c) else w for c, (w, wo) in zip(caps, sums))
    new_bal = bal + cents(extra.balance)
    out = uncapped + sum(wo if new_bal > cents(c) else w for c, (w, wo) in zip(caps, sums))
    x = extra.weighting
    weight = x.weight_over if x.cap is not None and new_bal > cents(x.cap) else x.weight
    out += cents(extra.balance) * int((weight * 100).to_integral_value())
    return out, new_bal


def snapshot(conn, sql: Sql, extra: Extra | None = None) -> None:
    """Materialise every customer's liability once (one pass over the projects in force) in a
    temporary table of `conn`, indexed by customer; the figures are then read from it. With `extra`,
    that customer's row is worked out again with the extra project (after_adding)."""
    n = len(sql.links)
    conn.execute(text(f"DROP TABLE IF EXISTS {TEMP}"))
    cols = ", ".join([f"c{i} BIGINT" for i in range(n)] + [f"{c} NUMERIC" for c in ["liab", "bal", *_cap_columns(sql)]])
    conn.execute(text(f"CREATE TEMPORARY TABLE {TEMP} ({cols})"))
    names = ", ".join([_cs(sql), "liab", "bal", *_cap_columns(sql)])
    conn.execute(text(f"INSERT INTO {TEMP} ({names}) {sql.customers()}"), sql.params)
    for i in range(n):
        conn.execute(text(f"CREATE INDEX {TEMP}_c{i} ON {TEMP} (c{i})"))
    if extra is not None:
        row = _row(conn, sql, extra.customer)
        liab, bal = after_adding(sql, row, extra)
        if row is not None:
            where = sql._same_customer(extra.customer, [f"c{i}" for i in range(n)])
            conn.execute(text(f"UPDATE {TEMP} SET liab = {sql.bind(liab)}, bal = {sql.bind(bal)} WHERE {where}"),
                         sql.params)
        else:
            ids = ", ".join(f"CAST({sql.bind(v)} AS BIGINT)" for v in extra.customer)
            conn.execute(text(f"INSERT INTO {TEMP} ({_cs(sql)}, liab, bal) VALUES ({ids}, {sql.bind(liab)}, "
                              f"{sql.bind(bal)})"), sql.params)


def total(conn, sql: Sql) -> Decimal:
    return _units(conn.execute(text(f"SELECT SUM(liab) FROM {TEMP}")).scalar())


def top(conn, sql: Sql, n: int) -> list[CustomerLiability]:
    rows = conn.execute(text(f"SELECT {_cs(sql)}, liab FROM {TEMP} ORDER BY liab DESC, {_cs(sql)} LIMIT {int(n)}")).all()
    return [CustomerLiability(tuple(r[:-1]), _units(r[-1])) for r in rows]


def of_customer(conn, sql: Sql, customer: tuple, extra: Extra | None = None) -> Decimal:
    """One customer's liability from the snapshot of `conn` (with `extra` added when given)."""
    row = _row(conn, sql, customer)
    if extra is not None:
        return _units(after_adding(sql, row, extra)[0])
    return _units(row[0] if row is not None else 0)


def _group_sql(sql: Sql) -> str | None:
    """Each customer of the snapshot with gliab: its liability plus its related parties' (the parties
    it lists that are customers), joined on the snapshot's customer indexes (no OR joins)."""
    rel = sql.related()
    if rel is None:
        return None
    n = len(sql.links)
    adds = " UNION ALL ".join(f"SELECT g.okind, g.owner, x.liab FROM rel g JOIN {TEMP} x ON x.c{k} = g.rid "
                              f"WHERE g.kind = {k}" for k in range(n))
    owners = sorted({j for j, link in enumerate(sql.links) if sql.cfg.customers[link].get("related")})
    joins = " ".join(f"LEFT JOIN added a{j} ON a{j}.okind = {j} AND a{j}.owner = c.c{j}" for j in owners)
    plus = " + ".join(f"COALESCE(a{j}.extra, 0)" for j in owners)
    return (f"WITH rel AS ({rel}), added AS (SELECT okind, owner, SUM(liab) AS extra FROM ({adds}) u "
            f"GROUP BY okind, owner) SELECT {_cs(sql, 'c.')}, c.liab + {plus} AS gliab FROM {TEMP} c {joins}")


def top_groups(conn, sql: Sql, n: int) -> list[CustomerLiability]:
    """The customers with the largest liability together with their related parties'."""
    body = _group_sql(sql)
    if body is None:
        return top(conn, sql, n)
    rows = conn.execute(text(f"SELECT * FROM ({body}) t ORDER BY gliab DESC, {_cs(sql)} LIMIT {int(n)}"), sql.params).all()
    return [CustomerLiability(tuple(r[:-1]), _units(r[-1])) for r in rows]


def of_group(conn, sql: Sql, customer: tuple) -> Decimal:
    """A customer's liability with its related parties', from the snapshot (only its own rows read)."""
    where = sql._same_customer(customer, [f"c{i}" for i in range(len(sql.links))])
    own = conn.execute(text(f"SELECT SUM(liab) FROM {TEMP} WHERE {where}"), sql.params).scalar() or 0
    rel = sql.related(owner=customer)
    if rel is None:
        return _units(own)
    adds = " UNION ALL ".join(f"SELECT x.liab FROM rel g JOIN {TEMP} x ON x.c{k} = g.rid WHERE g.kind = {k}"
                              for k in range(len(sql.links)))
    added = conn.execute(text(f"WITH rel AS ({rel}) SELECT SUM(liab) FROM ({adds}) u"), sql.params).scalar() or 0
    return _units(Decimal(own) + Decimal(added))


def customer_of(cfg: Config, values: Mapping[str, Any]) -> tuple:
    return tuple(values.get(link) for link in cfg.project["customers"])


def over(conn, sql: Sql, threshold: Decimal, *, groups: bool = False, limit: int = 100) -> list[CustomerLiability]:
    """The customers (with their related parties when `groups`) whose liability is above `threshold`
    (CNY), largest first: every breach of a concentration limit, not only the top of the list."""
    body = _group_sql(sql) if groups else None
    if body is None:
        body = f"SELECT {_cs(sql)}, liab AS gliab FROM {TEMP}"
    units = int((threshold * UNIT).to_integral_value())
    rows = conn.execute(text(f"SELECT * FROM ({body}) t WHERE gliab > {sql.bind(units)} "
                             f"ORDER BY gliab DESC, {_cs(sql)} LIMIT {int(limit)}"), sql.params).all()
    return [CustomerLiability(tuple(r[:-1]), _units(r[-1])) for r in rows]
