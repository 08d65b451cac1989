"""Typed queries over records: filters, child-row filters, text search, sort, pages, counts, sums.

Filters compare typed values (numbers as numbers, money as decimals, dates as dates) using the same
expressions as the expression indexes, so indexed fields are filtered and sorted on an index.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, text
from sqlalchemy.engine import Engine

from metadata.model import Entity, Field, Metadata

from .codec import decode
from .errors import ValidationError, msg
from .fieldtypes import FieldValueError
from .registry import EMPTY, Registry
from .sqlexpr import ident, value_expr

OPS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
SYSTEM_COLUMNS = {"id": "integer", "created_at": "datetime", "updated_at": "datetime", "version": "integer"}


@dataclass
class Filter:
    field: str            # "amount", or "shareholders.share" for a child-table column (any row matches)
    op: str               # eq ne lt le gt ge in contains blank notblank
    value: Any = None


@dataclass
class Query:
    entity: str
    filters: list[Filter] = dc_field(default_factory=list)
    search: str | None = None
    sort: list[str] = dc_field(default_factory=list)     # ["-amount", "name"]
    limit: int = 20
    offset: int = 0


@dataclass
class Row:
    id: int
    version: int
    values: dict
    created_at: Any
    updated_at: Any


class _Builder:
    def __init__(self, meta: Metadata, dialect: str, entity: Entity, types: Registry = EMPTY):
        self.meta, self.dialect, self.entity, self.types = meta, dialect, entity, types
        self.params: dict[str, Any] = {}
        self.errors: dict[str, list] = {}

    def bind(self, value) -> str:
        key = f"p{len(self.params)}"
        if isinstance(value, Decimal) and self.dialect == "sqlite":
            value = float(value)  # compared with CAST(... AS REAL); sqlite3 cannot bind Decimal
        elif isinstance(value, bool) and self.dialect == "sqlite":
            value = int(value)
        self.params[key] = value
        return f":{key}"

    def typed(self, f: Field, raw):
        """The filter value as stored (e.g. a date as 'YYYY-MM-DD', money as Decimal)."""
        system = f.type == "_system"  # id, version: integers; created_at, updated_at: datetimes
        try:
            value = self.types.type(f.storage if system else f.type).parse(raw, f)
        except FieldValueError as e:
            self.errors.setdefault(f.name, []).append(e.message)
            return None
        if f.storage in ("date", "datetime") and not system:
            return value.isoformat() if value is not None else None
        return value

    def resolve(self, path: str) -> tuple[Field | None, Field]:
        parts = path.split(".")
        try:
            if parts[0] in SYSTEM_COLUMNS and len(parts) == 1:
                return None, _system_field(parts[0])
            f = self.entity.field(parts[0])
            if len(parts) == 2 and f.is_table:
                return f, f.child(parts[1])
            if len(parts) == 1:
                return None, f
        except KeyError:
            pass
        raise ValidationError({path: [msg(f"无法按 {path} 查询", f"cannot query by '{path}'")]})

    def expr(self, f: Field, column="r.data") -> str:
        if f.name in SYSTEM_COLUMNS and f.type == "_system":
            return f"r.{f.name}"
        return value_expr(self.dialect, f, column)

    def condition(self, flt: Filter) -> str:
        table, f = self.resolve(flt.field)
        column = "rr.data" if table else "r.data"
        e = self.expr(f, column)
        op = flt.op
        if op == "blank":
            sql = f"{e} IS NULL"
        elif op == "notblank":
            sql = f"{e} IS NOT NULL"
        elif op == "in":
            values = [self.typed(f, v) for v in (flt.value or [])]
            sql = f"{e} IN ({', '.join(self.bind(v) for v in values)})" if values else "1 = 0"
        elif op == "contains":
            like = "ILIKE" if self.dialect == "postgresql" else "LIKE"
            sql = f"{e} {like} {self.bind('%' + _escape(str(flt.value)) + '%')} ESCAPE '\\'"
        elif op in OPS:
            sql = f"{e} {OPS[op]} {self.bind(self.typed(f, flt.value))}"
        else:
            raise ValidationError({flt.field: [msg(f"未知的比较方式 {op}", f"unknown operator '{op}'")]})
        if table:
            return (f"EXISTS (SELECT 1 FROM record_rows rr WHERE rr.record_id = r.id "
                    f"AND rr.field = '{ident(table.name)}' AND {sql})")
        return sql

    def where(self, q: Query) -> str:
        deleted = "0" if self.dialect == "sqlite" else "false"
        parts = [f"r.entity = '{ident(self.entity.name)}'", f"r.deleted = {deleted}"]
        parts += [self.condition(f) for f in q.filters]
        if q.search and q.search.strip():
            like = "ILIKE" if self.dialect == "postgresql" else "LIKE"
            term = self.bind("%" + _escape(q.search.strip()) + "%")
            fields = [self.entity.field(n) for n in self.entity.search_fields if self.entity.has(n)]
            if fields:
                parts.append("(" + " OR ".join(f"{self.expr(f)} {like} {term} ESCAPE '\\'" for f in fields) + ")")
        if self.errors:
            raise ValidationError(self.errors)
        return " AND ".join(parts)

    def order(self, sort: list[str]) -> str:
        terms = []
        for key in sort:
            desc = key.startswith("-")
            table, f = self.resolve(key.lstrip("-"))
            if table:
                raise ValidationError({key: [msg("不能按子表字段排序", "cannot sort by a child-table field")]})
            # blanks last when ascending, first when descending, on both databases
            terms.append(f"{self.expr(f)} {'DESC NULLS FIRST' if desc else 'ASC NULLS LAST'}")
        terms.append("r.id DESC" if sort and sort[0].startswith("-") else "r.id")
        return ", ".join(terms)


def _system_field(name: str) -> Field:
    from metadata.model import Field as F
    return F(name=name, type="_system", storage=SYSTEM_COLUMNS[name], label={"zh": name})


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find(engine: Engine, meta: Metadata, q: Query, types: Registry = EMPTY) -> list[Row]:
    entity = meta.entity(q.entity)
    b = _Builder(meta, engine.dialect.name, entity, types)
    sql = (f"SELECT r.id, r.version, r.data, r.created_at, r.updated_at FROM records r WHERE {b.where(q)} "
           f"ORDER BY {b.order(q.sort)} LIMIT {int(q.limit)} OFFSET {int(q.offset)}")
    stmt = text(sql).columns(created_at=DateTime, updated_at=DateTime)
    with engine.connect() as c:
        rows = c.execute(stmt, b.params).all()
    return [Row(r.id, r.version, decode(entity, _doc(r.data), types), r.created_at, r.updated_at) for r in rows]


def count(engine: Engine, meta: Metadata, q: Query, types: Registry = EMPTY, cap: int | None = None) -> int:
    """How many records match; with `cap`, counting stops there (a list shows "10,000+" instead of
    reading every match of a broad filter at a million records)."""
    b = _Builder(meta, engine.dialect.name, meta.entity(q.entity), types)
    sql = f"SELECT COUNT(*) FROM records r WHERE {b.where(q)}"
    if cap is not None:
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM records r WHERE {b.where(q)} LIMIT {int(cap)}) capped"
    with engine.connect() as c:
        return c.execute(text(sql), b.params).scalar_one()


def aggregate(engine: Engine, meta: Metadata, q: Query, path: str, func: str = "sum", types: Registry = EMPTY):
    """SUM/AVG/MIN/MAX/COUNT of a field, or of a child-table column over all matching records' rows."""
    func = func.lower()
    if func not in ("sum", "avg", "min", "max", "count"):
        raise ValidationError({path: [msg(f"未知的汇总方式 {func}", f"unknown aggregate '{func}'")]})
    dialect = engine.dialect.name
    b = _Builder(meta, dialect, meta.entity(q.entity), types)
    table, f = b.resolve(path)
    where = b.where(q)
    expr = b.expr(f, "rr.data" if table else "r.data")
    places = f.precision if f.precision is not None else 2
    exact = dialect == "sqlite" and f.storage == "decimal" and func in ("sum", "avg")
    if exact:  # SQLite has no exact decimals: add whole units of the last place, as integers
        expr = f"CAST(ROUND({expr} * {10 ** places}) AS INTEGER)"
    select = f"SUM({expr}), COUNT({expr})" if exact else f"{func.upper()}({expr})"
    if table:
        sql = (f"SELECT {select} FROM record_rows rr JOIN records r ON r.id = rr.record_id "
               f"WHERE rr.field = '{ident(table.name)}' AND {where}")
    else:
        sql = f"SELECT {select} FROM records r WHERE {where}"
    with engine.connect() as c:
        result = c.execute(text(sql), b.params).first()
    value = result[0]
    if func == "count":
        return value or 0
    if value is None:
        return None
    if exact:
        total = Decimal(value).scaleb(-places)
        return total if func == "sum" else total / result[1]
    if f.storage == "decimal" and func != "avg":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    return Decimal(str(value)) if f.storage == "decimal" else value


def _doc(data):
    import json
    return json.loads(data, parse_float=Decimal) if isinstance(data, str) else data
