"""What the form templates need to draw a record's fields: each field's input value, live state
(visible / required / read-only, from `Store.preview`), errors in the current language, options,
cascade levels and column totals. No rule is evaluated here: states and computed values come from
the store; this module only formats.

Element ids (stable, for HTMX out-of-band updates and browser tests), for a field path `p`
(`amount`, `collateral.0.value`) with dots turned into dashes (`collateral-0-value`):

- `f-<p>`    the input (or `<output>` of a computed / read-only field; the first select of a cascade)
- `w-<p>`    the field's wrapper (hidden when `visible_if` is false)
- `req-<p>`  the required marker;  `err-<p>` the field's error messages
- `tot-<table>-<field>` a column total; `row-<table>-<i>` a child row
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.compute import is_blank
from core.validate import FieldState
from metadata.model import Entity, Field, Metadata

from .formdata import codelist_of
from .i18n import message

NUMERIC = ("integer", "decimal", "money", "percent")
TEXT_INPUTS = ("text", "long_text", "integer", "decimal", "money", "percent", "id_number", "uscc",
               "phone", "email")
CHECKED_TYPES = ("id_number", "uscc")   # check-digit feedback once 18 characters are typed


def pid(path: str) -> str:
    return path.replace(".", "-")


def input_value(f: Field, v) -> Any:
    """A typed value as the text an input shows (money with thousands separators)."""
    if v is None:
        return ""
    t = f.value_type
    if t == "money" and isinstance(v, Decimal):
        return f"{v:,.2f}"
    if t in ("decimal", "percent") and isinstance(v, Decimal):
        return format(v, "f")
    if t == "datetime" and hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%dT%H:%M")
    if t == "date" and hasattr(v, "isoformat"):
        return v.isoformat()
    if t in ("multichoice", "attachment") or isinstance(v, bool):
        return v
    return str(v)


def is_true(v) -> bool:
    if isinstance(v, bool):
        return v
    return str(v or "").strip().lower() in ("true", "1", "yes", "on", "是")


class FormView:
    """A record form being shown: the posted (or stored) input, and the store's preview of it."""

    def __init__(self, meta: Metadata, entity: Entity, prepared, raw: dict, *, display, users,
                 record=None, version: int | None = None, show_all: bool = False,
                 typing: str | None = None, extra_errors: dict | None = None):
        self.meta, self.entity, self.display = meta, entity, display
        self.values = prepared.values
        self.states = prepared.states
        self.raw = raw
        self.record = record
        self.version = version
        self.show_all = show_all
        self.typing = typing
        errors = {k: list(v) for k, v in prepared.errors.items()}
        for k, ms in (extra_errors or {}).items():
            have = errors.setdefault(k, [])
            have.extend(m for m in ms if m not in have)
        self.all_errors = errors
        self._users = users

    # -- values -----------------------------------------------------------------------------
    def _split(self, path: str):
        parts = path.split(".")
        if len(parts) == 3:
            return parts[0], int(parts[1]), parts[2]
        return None, None, path

    def field(self, path: str) -> Field:
        table, _, name = self._split(path)
        return self.entity.field(table).child(name) if table else self.entity.field(name)

    def value(self, path: str):
        """The typed value (computed fields, read-only fields, totals)."""
        table, i, name = self._split(path)
        if table:
            rows = self.values.get(table) or []
            return rows[i].get(name) if i < len(rows) else None
        return self.values.get(name)

    def posted(self, path: str) -> tuple[bool, Any]:
        table, i, name = self._split(path)
        src = self.raw
        if table:
            rows = self.raw.get(table)
            if not isinstance(rows, list) or i >= len(rows):
                return False, None
            src = rows[i]
        return (name in src), src.get(name)

    def input(self, path: str):
        """What the input shows: the user's own input when posted, else the formatted value."""
        given, raw = self.posted(path)
        if given:
            return raw if raw is not None else ""
        return input_value(self.field(path), self.value(path))

    def rows(self, table: str) -> list[int]:
        return list(range(len(self.values.get(table) or [])))

    def checked(self, path: str) -> bool:
        return is_true(self.input(path))

    def selected(self, path: str) -> list[str]:
        v = self.input(path)
        if isinstance(v, str):
            return [v] if v else []
        return [str(x) for x in (v or [])]

    # -- states and errors ------------------------------------------------------------------
    def state(self, path: str) -> FieldState:
        st = self.states.get(path)
        if st is None:
            f = self.field(path)
            return FieldState(True, f.required, f.readonly or f.is_computed)
        return st

    def blank(self, path: str) -> bool:
        given, raw = self.posted(path)
        return is_blank(raw if given else self.value(path))

    def shows_errors(self, path: str) -> bool:
        """False when the error element is left as it is (a short ID number still being typed)."""
        if path != self.typing or self.show_all:
            return True
        f = self.field(path)
        if f.type in CHECKED_TYPES:
            return len("".join(str(self.input(path)).split())) >= 18
        return True

    def errors(self, path: str) -> list[str]:
        ms = self.all_errors.get(path) or []
        if not ms:
            return []
        if path and not self.state(path).visible:
            return []
        if not self.show_all and path and self.blank(path):
            return []   # "required" waits for the save; a blank field has nothing else to say
        return [message(m) for m in ms]

    def record_errors(self) -> list[str]:
        """Errors of the record as a whole, and of paths no widget on the form shows."""
        shown = set(self.paths())
        out = [message(m) for m in self.all_errors.get("", [])]
        if self.show_all:
            for path, ms in self.all_errors.items():
                if path and path not in shown:
                    out.extend(f"{path}: {message(m)}" for m in ms)
        return out

    def error_count(self) -> int:
        return sum(len(self.errors(p)) for p in self.paths()) + len(self.record_errors())

    def paths(self) -> list[str]:
        """Every field path drawn on the form (tables' cells included)."""
        out = []
        for f in self.entity.fields:
            if f.hidden:
                continue
            out.append(f.name)
            if f.is_table:
                for i in self.rows(f.name):
                    out.extend(f"{f.name}.{i}.{c.name}" for c in f.fields if not c.hidden)
        return out

    def hidden_paths(self) -> str:
        return ",".join(p for p in self.paths() if not self.state(p).visible)

    def readonly_paths(self) -> str:
        return ",".join(p for p in self.paths() if self.state(p).readonly)

    # -- options ------------------------------------------------------------------------------
    def options(self, path: str) -> list[tuple[str, Any]]:
        """(code, label) pairs offered: active ones, and inactive ones already chosen."""
        f = self.field(path)
        chosen = set(self.selected(path))
        if f.type == "user":
            return [(str(u.id), f"{u.name}（{u.username}）") for u in self._users()
                    if u.active or str(u.id) in chosen]
        if f.options is not None:
            return [(o.value, o.label) for o in f.options if o.active or o.value in chosen]
        cl = codelist_of(self.meta, f)
        if cl is None:
            return [(c, c) for c in chosen]
        return [(i.code, i.label) for i in cl.items if i.active or i.code in chosen]

    def cascade(self, path: str) -> bool:
        cl = codelist_of(self.meta, self.field(path))
        return bool(cl and cl.hierarchical)

    def chain(self, path: str) -> list[str]:
        """The chosen code and its ancestors, root first."""
        cl = codelist_of(self.meta, self.field(path))
        code = self.selected(path)[-1:] or [None]
        item = cl.get(code[0]) if code[0] else None
        chain, seen = [], set()
        while item is not None and item.code not in seen:
            seen.add(item.code)
            chain.append(item.code)
            item = cl.get(item.parent) if item.parent else None
        return list(reversed(chain))

    def codelist(self, path: str):
        return codelist_of(self.meta, self.field(path))

    # -- tables -------------------------------------------------------------------------------
    def columns(self, table: str) -> list[Field]:
        return [c for c in self.entity.field(table).fields if not c.hidden]

    def total(self, table: str, col: Field) -> str | None:
        """The sum of a numeric column, formatted; None for other columns."""
        if col.value_type not in NUMERIC:
            return None
        total = Decimal(0)
        for row in self.values.get(table) or []:
            v = row.get(col.name)
            if v is None or isinstance(v, bool):
                continue
            try:
                total += Decimal(v)
            except (InvalidOperation, TypeError):
                continue
        if col.value_type == "integer":
            return f"{int(total):,}"
        if col.value_type == "money":
            return f"{total:,.2f}"
        s = format(total.normalize(), "f") if total else "0"
        return s + ("%" if col.value_type == "percent" else "")

    def link_title(self, path: str) -> str:
        f = self.field(path)
        v = self.value(path)
        if v is None:
            given, raw = self.posted(path)
            return "" if not given or not raw else f"#{raw}"
        return self.display.value(f, v)
