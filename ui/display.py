"""Stored values formatted for people: code-list labels, money with thousands separators, link
titles and user names looked up in batches (one query per linked entity, never per row)."""
from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import and_, select

from core.codec import decode
from core.db import records
from core.users import list_users
from metadata.model import Entity, Field, Metadata, text_of

IMPLIED_CODELIST = {"department": "department", "region": "region", "industry": "industry"}


class Display:
    """Formats stored values for screens; looks up link titles and user names in batches."""

    def __init__(self, meta: Metadata, engine, types):
        self.meta, self.engine, self.types = meta, engine, types
        self._users: dict[int, str] | None = None
        self._titles: dict[tuple[str, int], str] = {}

    def users(self) -> dict[int, str]:
        if self._users is None:
            self._users = {u.id: u.name for u in list_users(self.engine)}
        return self._users

    def preload_links(self, fields: list[Field], rows: list[dict]) -> None:
        """Fetch the titles of every linked record shown, one query per linked entity."""
        wanted: dict[str, set[int]] = {}
        for f in fields:
            if f.type == "link" and f.entity:
                wanted.setdefault(f.entity, set()).update(r.get(f.name) for r in rows if r.get(f.name))
        for target, ids in wanted.items():
            if not ids or target not in self.meta.entities:
                continue
            entity = self.meta.entity(target)
            with self.engine.connect() as c:
                found = c.execute(select(records.c.id, records.c.data).where(and_(
                    records.c.entity == target, records.c.id.in_(ids), records.c.deleted.is_(False)))).all()
            for rid, data in found:
                values = decode(entity, data, self.types)
                self._titles[(target, rid)] = self._title_of(entity, values, rid)

    def _title_of(self, entity: Entity, values: dict, rid: int) -> str:
        name = entity.title_field if entity.title_field and entity.has(entity.title_field) else None
        value = values.get(name) if name else None
        return str(value) if value not in (None, "") else f"#{rid}"

    def title(self, entity: Entity, values: dict, rid: int) -> str:
        return self._title_of(entity, values, rid)

    def option(self, f: Field, code) -> str:
        if f.options is not None:
            for o in f.options:
                if o.value == code:
                    return text_of(o.label)
            return str(code)
        name = f.codelist or IMPLIED_CODELIST.get(f.type)
        cl = self.meta.codelists.get(name) if name else None
        item = cl.get(code) if cl else None
        if item is None:
            return str(code)
        if cl.hierarchical and f.type in ("region", "industry"):
            parts, seen = [], set()
            while item is not None and item.code not in seen:
                seen.add(item.code)
                parts.append(text_of(item.label))
                item = cl.get(item.parent) if item.parent else None
            return " ".join(reversed(parts)) if f.type == "region" else parts[0]
        return text_of(item.label)

    def value(self, f: Field, v) -> str:
        """Plain text for one value (Jinja escapes it)."""
        if v is None or v == "" or v == []:
            return ""
        t = f.value_type
        if f.type == "link":
            return self._titles.get((f.entity, v), f"#{v}")
        if t == "user":
            return self.users().get(v, f"#{v}")
        if t in ("choice", "department", "region", "industry"):
            return self.option(f, v)
        if t == "multichoice":
            return "、".join(self.option(f, c) for c in v)
        if t == "boolean":
            return "是" if v else "否"
        if t == "money":
            return f"{Decimal(v):,.2f}"
        if t == "percent":
            return f"{_plain(Decimal(v))}%"
        if t == "decimal":
            return _plain(Decimal(v)) if isinstance(v, Decimal) else str(v)
        if t == "datetime":
            return v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v)
        if t == "date":
            return v.isoformat() if hasattr(v, "isoformat") else str(v)
        if f.is_table:
            return f"{len(v)} 行"
        if t == "attachment":
            return "、".join(str(a.get("name", "")) for a in v)
        if isinstance(v, (dict, list)):
            return json.dumps(v, ensure_ascii=False)
        return str(v)

    def numeric(self, f: Field) -> bool:
        return f.value_type in ("integer", "decimal", "money", "percent")


def _plain(d: Decimal) -> str:
    return format(d, "f")
