"""Typed values <-> the JSON document stored for a record (decimals as strings, dates as ISO)."""
from __future__ import annotations

from metadata.model import Entity, Field

from .registry import EMPTY, Registry


def dump_value(f: Field, value, types: Registry = EMPTY):
    """One value in its stored (JSON-safe) form; child rows field by field."""
    if value is None:
        return None
    if f.is_table:
        return [{c.name: dump_value(c, row.get(c.name), types) for c in f.fields if row.get(c.name) is not None}
                for row in value]
    return types.type(f.type).dump(value, f)


def _load_value(f: Field, stored, types: Registry):
    if stored is None:
        return None
    if f.is_table:
        return [{c.name: _load_value(c, row.get(c.name), types) for c in f.fields} for row in stored]
    return types.type(f.type).load(stored, f)


def encode(entity: Entity, values: dict, keep: dict | None = None, types: Registry = EMPTY) -> dict:
    """The document to store. `keep` (the stored document) carries data of fields that are no longer
    in the model (removed by an overlay): it stays until an explicit purge."""
    doc = {k: v for k, v in (keep or {}).items() if not entity.has(k)}
    for f in entity.fields:
        v = dump_value(f, values.get(f.name), types)
        if v is not None and v != []:
            doc[f.name] = v
    return doc


def decode(entity: Entity, doc: dict, types: Registry = EMPTY) -> dict:
    return {f.name: _load_value(f, doc.get(f.name), types) for f in entity.fields}
