"""Stored values formatted for people, in the user's language: code-list labels, numbers, money
(always 2 decimals, grouped), percentages ("35.5%"), dates and booleans formatted for the locale
with Babel; link titles and user names looked up in batches (one query per linked entity, never
per row).

    display = Display(meta, engine, types)              # the request's locale
    display = Display(meta, engine, types, locale="en") # or a given one ("zh_CN", "en")
    display.value(field, stored_value)  -> str (Jinja escapes it)
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import (
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)
from sqlalchemy import and_, select

from core.codec import decode
from core.compute import is_blank
from core.db import records
from core.db import users as users_table
from metadata.model import Entity, Field, Metadata, text_of

from .i18n import N_, current_locale, lang_of, translations

CENT = Decimal("0.01")
# Dates: ISO-like 2026-03-15 in Chinese (what staff expect in business software), Mar 15, 2026 in
# English (never the ambiguous 3/15/26); both through Babel's CLDR patterns.
DATE_FORMATS = {"zh": "yyyy-MM-dd", "en": "medium"}
IMPLIED_CODELIST = {"department": "department", "region": "region", "industry": "industry"}


@cache
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=64)
def _pattern(pattern: str):
    """A parsed Babel number pattern (format_decimal would parse the text on every call)."""
    return parse_pattern(pattern)


@cache
def _plain_numbers(name: str) -> bool:
    """True when the locale writes numbers as Python's format does (1,234.5, -1): zh_CN and en.
    Those are then formatted with f"{v:,.2f}" rather than Babel, to the same text, much faster."""
    loc = _babel_locale(name)
    return (get_decimal_symbol(loc), get_group_symbol(loc), get_minus_sign_symbol(loc)) == (".", ",", "-")


class Display:
    """Formats stored values for screens; looks up link titles and user names in batches."""

    def __init__(self, meta: Metadata, engine, types, locale: str | None = None):
        self.meta, self.engine, self.types = meta, engine, types
        self.locale = str(locale or current_locale())
        self.lang = lang_of(self.locale)
        self._locale = _babel_locale(self.locale)     # parsed once, not for every value formatted
        self._plain = _plain_numbers(self.locale)
        t = translations(self.locale)
        self._t = t
        self._yes, self._no = t.gettext(N_("Yes")), t.gettext(N_("No"))
        self._list_sep = t.gettext(N_(", "))
        self._users: dict[int, str] | None = None
        self._titles: dict[tuple[str, int], str] = {}
        self._formatters: dict[int, tuple] = {}

    def users(self, conn=None) -> dict[int, str]:
        """Every user's name by id (inactive ones too: old records name them), one query (through
        `conn` when given)."""
        if self._users is None:
            with _connection(self.engine, conn) as c:
                self._users = dict(c.execute(select(users_table.c.id, users_table.c.name)).all())
        return self._users

    def preload_links(self, fields: list[Field], rows: list[dict], conn=None) -> None:
        """Fetch the titles of every linked record shown, one query per linked entity (through
        `conn` when given)."""
        wanted: dict[str, set[int]] = {}
        for f in fields:
            if f.type == "link" and f.entity and f.entity in self.meta.entities:
                wanted.setdefault(f.entity, set()).update(r.get(f.name) for r in rows if r.get(f.name))
        wanted = {target: ids for target, ids in wanted.items() if ids}
        if not wanted:
            return
        with _connection(self.engine, conn) as c:
            for target, ids in wanted.items():
                entity = self.meta.entity(target)
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
                    return text_of(o.label, self.lang)
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
                parts.append(text_of(item.label, self.lang))
                item = cl.get(item.parent) if item.parent else None
            return " ".join(reversed(parts)) if f.type == "region" else parts[0]
        return text_of(item.label, self.lang)

    def value(self, f: Field, v) -> str:
        """Plain text for one value (Jinja escapes it)."""
        if is_blank(v):
            return ""
        return self.formatter(f)(v)

    def formatter(self, f: Field):
        """The function that formats a (non-blank) value of `f`, chosen once per field: a screen
        formats hundreds of values of a few dozen fields."""
        hit = self._formatters.get(id(f))
        if hit is None or hit[0] is not f:     # kept with its field, so the id is not reused meanwhile
            hit = self._formatters[id(f)] = (f, self._choose(f))
        return hit[1]

    def _choose(self, f: Field):
        t = f.value_type
        if f.type == "link":
            return lambda v: self._titles.get((f.entity, v), f"#{v}")
        if t == "user":
            return lambda v: self.users().get(v, f"#{v}")
        if t in ("choice", "department", "region", "industry"):
            return lambda v: self.option(f, v)
        if t == "multichoice":
            return lambda v: self._list_sep.join(self.option(f, c) for c in v)
        if t == "boolean":
            return lambda v: self._yes if v else self._no
        if t == "money":
            return self.money
        if t == "percent":
            return lambda v: f"{self.number(v)}%"
        if t in ("decimal", "integer"):
            return self.number
        if t == "datetime":
            return self.datetime
        if t == "date":
            return self.date
        if f.is_table:
            return lambda v: self._t.ngettext("%(num)d row", "%(num)d rows", len(v)) % {"num": len(v)}
        if t == "attachment":
            return lambda v: self._list_sep.join(str(a.get("name", "")) for a in v)
        return _plain

    # -- formatting helpers (usable from templates: display.money(x), display.date(d), …) --------

    def number(self, v) -> str:
        """A number with the locale's grouping, keeping the stored decimal places (1,234.50)."""
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):    # numbers first: see core.compute.is_blank
            if v is None or v == "":
                return ""
            try:
                v = Decimal(str(v))
            except ArithmeticError:
                return str(v)
        if isinstance(v, int):
            if self._plain:
                return f"{v:,}"
            return format_decimal(v, format=_pattern("#,##0"), locale=self._locale)
        if not v.is_finite():
            return str(v)
        places = max(0, -v.as_tuple().exponent)
        if self._plain:
            return f"{v:,.{places}f}"
        pattern = _pattern("#,##0" + ("." + "0" * places if places else ""))
        return format_decimal(v, format=pattern, locale=self._locale,
                              decimal_quantization=False)

    def money(self, v) -> str:
        """Money: always two decimals, grouped (1,234,567.80)."""
        if not isinstance(v, Decimal):      # a Decimal first: see core.compute.is_blank
            if v is None or v == "":
                return ""
            v = Decimal(str(v))
        amount = v.quantize(CENT, rounding=ROUND_HALF_UP)
        if self._plain:
            return f"{amount:,.2f}"
        return format_decimal(amount, format=_pattern("#,##0.00"), locale=self._locale)

    def count(self, n: int, cap: int | None = None) -> str:
        """A row count; with `cap` (as passed to core.query.count) shows "10,000+" when reached."""
        if cap is not None and n >= cap:
            return format_decimal(cap - 1, format=_pattern("#,##0"), locale=self._locale) + "+"
        return format_decimal(n, format=_pattern("#,##0"), locale=self._locale)

    def date(self, v) -> str:
        if not hasattr(v, "year"):
            return str(v)
        pattern = DATE_FORMATS.get(self.lang, "medium")
        if pattern == "yyyy-MM-dd":     # Babel's text, without parsing the pattern for every date
            return f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
        return format_date(v, pattern, locale=self._locale)

    def datetime(self, v) -> str:
        if not hasattr(v, "hour"):
            return self.date(v)
        return f"{self.date(v)} {format_time(v, 'HH:mm', locale=self._locale)}"

    def numeric(self, f: Field) -> bool:
        return f.value_type in ("integer", "decimal", "money", "percent")


def _connection(engine, conn):
    """`conn` as it is (its owner closes it), else a connection of its own."""
    return nullcontext(conn) if conn is not None else engine.connect()


def _plain(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)
