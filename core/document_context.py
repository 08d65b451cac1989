"""A record's values as a document template sees them: text formatted the way Chinese contracts
write it (see docs/documents.md, "What a template sees").

Money has two decimals and thousands separators (1,234,567.80; `{{ amount|rmb_upper }}` writes it
in capitals, 伍佰万元整), dates read 2026年3月15日,
booleans 是/否, codes their label, a user field the user's name. A link is the linked record:
`{{ bank }}` prints its title and `{{ bank.branch }}` one of its fields; a child table is a list of
rows for loops; `related.counter_guarantee` the records of another entity that link to this one
(`Related`). Blank values are empty text, so a template never prints "None".
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

from metadata.model import Entity, Field, Metadata, text_of

from .compute import is_blank

CENT = Decimal("0.01")
IMPLIED_CODELIST = {"department": "department", "region": "region", "industry": "industry"}


class Values:
    """A record or child row in a template: `.name` (or `["name"]`) gives a field's text; printed
    alone it is the record's title."""

    def __init__(self, what: str, title: str, values: Mapping[str, Any]):
        self._what, self._title, self._values = what, title, dict(values)

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._values:
            raise AttributeError(name)
        return self._values[name]

    def __getitem__(self, name: str):
        return self._values[name]

    def __str__(self) -> str:
        return self._title

    def describe(self) -> str:
        """What this stands for, in an error message."""
        return self._what


class Related:
    """`related.<entity>` in a template: the live records of <entity> whose link field (any of its
    link fields to this record's entity) points to this record, oldest first, each formatted like a
    record (`{{ g.kind }}`, `{{ g.project }}`). Read only when a template asks for it: `rows(entity)`
    is supplied by the caller, which checks that the person may read that entity."""

    def __init__(self, what: str, entities: Mapping[str, Entity], rows: Callable[[str], list]):
        self._what, self._entities, self._rows, self._cache = what, dict(entities), rows, {}

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._entities:
            raise AttributeError(name)
        if name not in self._cache:
            self._cache[name] = self._rows(name)
        return self._cache[name]

    def __getitem__(self, name: str):
        try:
            return self.__getattr__(name)
        except AttributeError:
            raise KeyError(name) from None

    def __str__(self) -> str:
        return ""

    def describe(self) -> str:
        return self._what


def linking_entities(meta: Metadata, entity: str) -> dict[str, tuple[str, ...]]:
    """The entities with link fields to `entity`: entity name -> those fields' names."""
    out: dict[str, tuple[str, ...]] = {}
    for name, e in meta.entities.items():
        links = tuple(f.name for f in e.fields if f.type == "link" and f.entity == entity)
        if links:
            out[name] = links
    return out


class Money(str):
    """Money as text (1,234,567.80) that remembers its exact amount, for the `rmb_upper` filter."""

    def __new__(cls, amount: Decimal):
        text = super().__new__(cls, f"{Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}")
        text.amount = Decimal(amount)
        return text


def date_text(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def plain_text(v: Any) -> str:
    """A value whose field type is not known (a formula's result): by its Python type."""
    if is_blank(v):
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Decimal):
        return f"{v:,f}"
    if isinstance(v, datetime):
        return f"{date_text(v.date())} {v:%H:%M}"
    if isinstance(v, date):
        return date_text(v)
    return str(v)


class Formatter:
    """Formats one metadata version's values; `load(entity, id)` reads a linked record's values
    and `user_name(id)` names a user (both supplied by the caller, so this module reads nothing)."""

    def __init__(self, meta: Metadata, load: Callable[[str, int], Mapping | None],
                 user_name: Callable[[int], str]):
        self.meta, self.load, self.user_name = meta, load, user_name

    def record(self, entity: Entity, values: Mapping[str, Any], *, follow_links: bool = True) -> dict[str, Any]:
        """Every field of the record as text; links (one level deep) and tables as objects."""
        out: dict[str, Any] = {}
        for f in entity.fields:
            v = values.get(f.name)
            if f.is_table:
                out[f.name] = [Values(f"{text_of(f.label)}第{i}行", "", self._row(f, row))
                               for i, row in enumerate(v or [], 1)]
            elif f.type == "link" and follow_links:
                out[f.name] = self.linked(f, v)
            else:
                out[f.name] = self.text(f, v)
        return out

    def related(self, entity: Entity, find: Callable[[str, tuple[str, ...]], list[tuple[int, Mapping]]]) -> Related:
        """`related` for a record of `entity`; `find(other, link_fields)` gives the (id, values) of
        the live records of `other` linking to it, in order."""
        linking = linking_entities(self.meta, entity.name)

        def rows(other: str) -> list[Values]:
            target = self.meta.entity(other)
            return [Values(f"「{text_of(target.label)}」第{i}项", str(values.get(target.title_field) or f"#{rid}")
                           if target.title_field else f"#{rid}", {**self.record(target, values), "id": str(rid)})
                    for i, (rid, values) in enumerate(find(other, linking[other]), 1)]
        return Related("「related」", {name: self.meta.entity(name) for name in linking}, rows)

    def linked(self, f: Field, record_id: int | None) -> Values:
        target = self.meta.entities.get(f.entity)
        found = self.load(f.entity, record_id) if target and record_id else None
        what = f"「{text_of(f.label)}」"
        if target is None:
            return Values(what, "", {})
        if found is None:   # blank link: every field blank, so `{{ bank.branch }}` still works
            return Values(what, "", dict.fromkeys(target.field_names, ""))
        title = found.get(target.title_field) if target.title_field else None
        return Values(what, str(title) if not is_blank(title) else f"#{record_id}",
                      {**self.record(target, found, follow_links=False), "id": str(record_id)})

    def _row(self, table: Field, row: Mapping) -> dict[str, Any]:
        return {c.name: (self.linked(c, row.get(c.name)) if c.type == "link" else self.text(c, row.get(c.name)))
                for c in table.fields}

    def text(self, f: Field, v: Any) -> str:
        if is_blank(v):
            return ""
        t = f.value_type
        if t == "money":
            return Money(v)
        if t == "percent":
            return f"{plain_text(v)}%"
        if t == "integer":
            return str(v)
        if t in ("choice", "department", "region", "industry"):
            return self.option(f, v)
        if t == "multichoice":
            return "、".join(self.option(f, c) for c in v)
        if t == "user":
            return self.user_name(v)
        if t == "link":   # a link inside a linked record: its number only
            return f"#{v}"
        if t == "attachment":
            return "、".join(str(a.get("name", "")) for a in v)
        return plain_text(v)

    def option(self, f: Field, code: str) -> str:
        """A code's label; a region with its ancestors (浙江省杭州市西湖区), as an address is written."""
        if f.options is not None:
            return next((text_of(o.label) for o in f.options if o.value == code), str(code))
        cl = self.meta.codelists.get(f.codelist or IMPLIED_CODELIST.get(f.type, ""))
        item = cl.get(code) if cl else None
        if item is None:
            return str(code)
        if f.type != "region":
            return text_of(item.label)
        parts, seen = [], set()
        while item is not None and item.code not in seen:
            seen.add(item.code)
            parts.append(text_of(item.label))
            item = cl.get(item.parent) if item.parent else None
        return "".join(reversed(parts))
