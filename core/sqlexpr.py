"""Typed SQL expressions over the JSON document, identical in queries and in expression indexes.

Field and entity names are identifiers checked by the metadata schema (^[a-z][a-z0-9_]*$), so they
are written into SQL text directly; that lets SQLite match a query to its expression index (it
cannot with bound parameters). Values are always bound parameters.
"""
from __future__ import annotations

import hashlib
import re

from metadata.model import Entity, Field

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

# storage -> (sqlite template, postgresql template); {c} is the column, {k} the key
TEMPLATES = {
    "text": ("json_extract({c}, '$.{k}')", "({c} ->> '{k}')"),
    "date": ("json_extract({c}, '$.{k}')", "({c} ->> '{k}')"),          # ISO text sorts as dates
    "datetime": ("json_extract({c}, '$.{k}')", "({c} ->> '{k}')"),
    "integer": ("CAST(json_extract({c}, '$.{k}') AS INTEGER)", "(({c} ->> '{k}')::bigint)"),
    "decimal": ("CAST(json_extract({c}, '$.{k}') AS REAL)", "(({c} ->> '{k}')::numeric)"),
    "boolean": ("json_extract({c}, '$.{k}')", "(({c} ->> '{k}')::boolean)"),
}


def ident(name: str) -> str:
    if not IDENT.match(name):
        raise ValueError(f"not an identifier: {name!r}")
    return name


def value_expr(dialect: str, field: Field, column: str = "data") -> str:
    storage = field.storage if field.storage in TEMPLATES else "text"
    template = TEMPLATES[storage][0 if dialect == "sqlite" else 1]
    return template.format(c=column, k=ident(field.name))


def index_name(entity: str, field: str, unique: bool) -> str:
    return _short(f"fx_{'u' if unique else 'i'}_{entity}__{field}")


def composite_name(entity: str, fields) -> str:
    return _short(f"fx_c_{entity}__" + "__".join(fields))


def _short(name: str) -> str:
    """Index names fit PostgreSQL's 63 characters; long ones end in a hash to stay unique."""
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def index_ddl(dialect: str, entity: Entity, field: Field) -> str:
    """CREATE INDEX for one field: partial on the entity (and live rows, for unique fields)."""
    name = index_name(entity.name, field.name, field.unique)
    expr = value_expr(dialect, field, "data")
    where = f"entity = '{ident(entity.name)}'"
    if field.unique:
        where += " AND deleted = " + ("0" if dialect == "sqlite" else "false")
    kind = "UNIQUE INDEX" if field.unique else "INDEX"
    return f'CREATE {kind} IF NOT EXISTS "{name}" ON records ({expr}) WHERE {where}'


def composite_ddl(dialect: str, entity: Entity, fields) -> str:
    """A (filter, sort) index: equality on the first fields, then ordered by the last, then id."""
    exprs = ", ".join(value_expr(dialect, entity.field(n), "data") for n in fields)
    return (f'CREATE INDEX IF NOT EXISTS "{composite_name(entity.name, fields)}" ON records ({exprs}, id) '
            f"WHERE entity = '{ident(entity.name)}'")


def wanted_indexes(dialect: str, entities) -> dict[str, str]:
    """name -> DDL for every indexed or unique field and every composite index of every entity."""
    out = {}
    for entity in entities:
        for f in entity.fields:
            if (f.indexed or f.unique) and f.storage in TEMPLATES:
                out[index_name(entity.name, f.name, f.unique)] = index_ddl(dialect, entity, f)
        for fields in entity.indexes:
            out[composite_name(entity.name, fields)] = composite_ddl(dialect, entity, fields)
    return out
