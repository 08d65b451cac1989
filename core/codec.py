"""Typed values <-> the JSON document stored for a record (decimals as strings, dates as ISO)."""
from __future__ import annotations

from metadata.model import Entity, Field

from .fieldtypes import field_type


def _dump_value(f: Field, value):
    if value is None:
        return None
    if f.is_table:
        return [{c.name: _dump_value(c, row.get(c.name)) for c in f.fields if row.get(c.name) is not None}
                for row in value]
    return field_type(f.type).dump(value, f)


def _load_value(f: Field, stored):
    if stored is None:
        return None
    if f.is_table:
        return [{c.name: _load_value(c, row.get(c.name)) for c in f.fields} for row in stored]
    return field_type(f.type).load(stored, f)


def encode(entity: Entity, values: dict, keep: dict | None = None) -> dict:
    """The document to store. `keep` (the stored document) carries data of fields that are no longer
    in the model (removed by an overlay): it stays until an explicit purge."""
    doc = {k: v for k, v in (keep or {}).items() if not entity.has(k)}
    for f in entity.fields:
        v = _dump_value(f, values.get(f.name))
        if v is not None and v != []:
            doc[f.name] = v
    return doc


def decode(entity: Entity, doc: dict) -> dict:
    return {f.name: _load_value(f, doc.get(f.name)) for f in entity.fields}
