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

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import gettext
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from core.compute import is_blank
from core.validate import FieldState
from metadata.model import Entity, Field, Metadata
from metadata.model import text_of as text_in

from .formdata import codelist_of
from .i18n import message, text_of

NUMERIC = ("integer", "decimal", "money", "percent")
TEXT_INPUTS = ("text", "long_text", "integer", "decimal", "money", "percent", "id_number", "uscc",
               "phone", "email")
CHECKED_TYPES = ("id_number", "uscc")   # check-digit feedback once 18 characters are typed
INPUT_MODES = {"integer": "numeric", "decimal": "decimal", "money": "decimal", "percent": "decimal",
               "phone": "tel", "email": "email"}
OOB = ' hx-swap-oob="true"'
SELECT_TYPES = ("choice", "department", "region", "industry", "user")
# child-table cells drawn by FormView.row_cells (the rest by the `cell` macro of widgets/fields.html)
FAST_CELL_TYPES = frozenset(t for t in TEXT_INPUTS if t != "long_text") | {"date", "datetime", "boolean",
                                                                           *SELECT_TYPES}


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

    # -- child-table cells drawn in Python ------------------------------------------------------
    # The same HTML as the `cell` macro of widgets/fields.html (keep the two in step), for the
    # common column types; one call per row instead of ~6 macro calls per cell. `None` in the
    # answer leaves that cell to the macro (links, cascades, attachments, multi-choice, …).

    def _col(self, table: str, c: Field, live_url: str) -> dict:
        key = (table, c.name)
        cache = self.__dict__.setdefault("_cols", {})
        info = cache.get(key)
        if info is None:
            t = c.type
            numeric = self.display.numeric(c)
            info = {"td": '<td class="num">' if numeric else "<td>", "label": escape(text_of(c.label)),
                    "type": escape(t), "live": escape(live_url)}
            if t in TEXT_INPUTS:
                mode = INPUT_MODES.get(t)
                extra = f' inputmode="{mode}"' if mode else ""
                if t in ("id_number", "uscc"):
                    extra += ' maxlength="20" autocomplete="off" spellcheck="false"'
                if c.max_length:
                    extra += f' maxlength="{escape(c.max_length)}"'
                if c.placeholder:
                    extra += f' placeholder="{escape(text_of(c.placeholder))}"'
                info["cls"] = ("num" if t in NUMERIC else "") + f" t-{escape(t)}"
                info["extra"] = extra
            info["fast"] = t in FAST_CELL_TYPES and not (t in SELECT_TYPES[:4] and self.cascade_field(c))
            cache[key] = info
        return info

    def cascade_field(self, c: Field) -> bool:
        cl = codelist_of(self.meta, c)
        return bool(cl and cl.hierarchical)

    def row_cells(self, table: str, i: int, cols: list[Field], editable: bool, live_url: str,
                  autofocus=None) -> list[tuple[Field, str, Markup | None]]:
        out = []
        for c in cols:
            path = f"{table}.{i}.{c.name}"
            info = self._col(table, c, live_url)
            st = self.state(path)
            readonly = st.readonly if editable else True
            if not (c.is_computed or readonly):
                if not info["fast"]:
                    out.append((c, path, None))
                    continue
                html = self._cell_input(c, path, st, info, autofocus)
            else:
                html = self._cell_shown(c, path)
                if html is None:
                    out.append((c, path, None))
                    continue
            id_ = escape(pid(path))
            on = st.required and not c.required
            out.append((c, path, Markup(
                f'{info["td"]}<div class="field cell t-{info["type"]}" id="w-{id_}"'
                f'{"" if st.visible else " hidden"}>\n'
                f'  <label class="sr-only" id="l-{id_}" for="f-{id_}">{info["label"]}</label>{html}'
                f'<span class="req" id="req-{id_}"'
                + (f' title="{self._t("Required")}">*' if on else ">")
                + f'</span><div class="error" id="err-{id_}">'
                + "".join(f"<div>{escape(m)}</div>" for m in self.errors(path))
                + "</div>\n</div></td>")))
        return out

    def input_html(self, f: Field, path: str, st, live_url: str, autofocus=None) -> Markup | None:
        """A top-level field's input as the `input` macro draws it, for the common types; None
        leaves it to the macro."""
        if f.is_table or path != f.name:
            return None
        if f.is_computed or st.readonly:
            html = self._cell_shown(f, path)
        else:
            info = self._col("", f, live_url)
            html = self._cell_input(f, path, st, info, autofocus) if info["fast"] else None
        return None if html is None else Markup(html)

    def field_html(self, f: Field, path: str, live_url: str, autofocus=None, oob: bool = False) -> Markup | None:
        """A top-level field with its wrapper, label, marker, hint and errors, as the `field`
        macro draws it, when its input is one `input_html` draws; else None (the macro draws it)."""
        if f.is_table or path != f.name:
            return None
        st = self.state(path)
        inp = self.input_html(f, path, st, live_url, autofocus)
        if inp is None:
            return None
        t = f.type
        id_ = escape(pid(path))
        lang = self.display.lang
        head = (f'<div class="field t-{escape(t)}{" check" if t == "boolean" else ""}'
                f'{" span-all" if t == "long_text" else ""}" id="w-{id_}"{"" if st.visible else " hidden"}'
                f"{OOB if oob else ''}>")
        marker = (f'<span class="req" id="req-{id_}"'
                  + (f' title="{self._t("Required")}">*' if st.required else ">") + "</span>")
        label = escape(text_in(f.label, lang))
        if t == "boolean" and not st.readonly:
            body = f'\n  {inp}\n  <label for="f-{id_}" id="l-{id_}">{label}{marker}</label>'
        else:
            for_ = f' for="f-{id_}"' if t != "multichoice" and not (st.readonly or f.is_computed) else ""
            body = f'\n  <label{for_} id="l-{id_}">{label}{marker}</label>\n  {inp}'
        hint = f'<small class="hint">{escape(text_in(f.help, lang))}</small>' if f.help else ""
        errors = "".join(f"<div>{escape(m)}</div>" for m in self.errors(path))
        return Markup(f'{head}{body}{hint}\n  <div class="error" id="err-{id_}">{errors}</div>\n</div>')

    def _t(self, text: str) -> Markup:
        """A translated constant, looked up once per form (safe, as Jinja's `_()` gives it)."""
        cache = self.__dict__.setdefault("_texts", {})
        if text not in cache:
            cache[text] = Markup(gettext(text))
        return cache[text]

    def row_actions(self, table: str, i: int, count: int, live_url: str, autofocus=None) -> Markup:
        """The ↑ / ↓ / × buttons of an editable child row (as the `table` macro drew them)."""
        t, live, n = escape(table), escape(live_url), i + 1
        attrs = f'hx-post="{live}" hx-target="#form-body" hx-swap="outerHTML"'

        def af(id_):
            return " autofocus" if autofocus == id_ else ""
        return Markup(
            f'\n      <td class="row-actions">\n'
            f'        <button type="submit" class="small" name="_action" value="move_row:{t}:{i}:up" id="mv-{t}-{i}-up"\n'
            f'                {attrs} title="{self._t("Move up")}" aria-label="{self._t("Move row %(n)s up") % {"n": n}}"'
            f'{" disabled" if i == 0 else ""}{af(f"mv-{table}-{i}-up")}>↑</button>\n'
            f'        <button type="submit" class="small" name="_action" value="move_row:{t}:{i}:down" id="mv-{t}-{i}-down"\n'
            f'                {attrs} title="{self._t("Move down")}" aria-label="{self._t("Move row %(n)s down") % {"n": n}}"'
            f'{" disabled" if i == count - 1 else ""}{af(f"mv-{table}-{i}-down")}>↓</button>\n'
            f'        <button type="submit" class="small danger" name="_action" value="remove_row:{t}:{i}" id="rm-{t}-{i}"\n'
            f'                {attrs} title="{self._t("Remove row")}" aria-label="{self._t("Remove row %(n)s") % {"n": n}}">×</button>\n'
            f'      </td>')

    def _cell_shown(self, c: Field, path: str) -> str | None:
        v = self.value(path)
        if (c.type in ("link", "attachment") and v) or (v is None and self.entity.numbering
                                                          and self.entity.numbering.field == path):
            return None
        id_ = escape(pid(path))
        num = " num" if self.display.numeric(c) else ""
        return (f'<output id="f-{id_}" class="value{num}" aria-labelledby="l-{id_}">'
                f'{escape(self.display.value(c, v))}</output>')

    def _option_items(self, info: dict, f: Field) -> list | None:
        """(code, active, <option>, <option selected>) of every option a select of `f` may offer,
        in the order of options(); None when the offer depends on the value (no code list)."""
        if "options" not in info:
            if f.type == "user":
                src = [(str(u.id), f"{u.name}（{u.username}）", u.active) for u in self._users()]
            elif f.options is not None:
                src = [(o.value, o.label, o.active) for o in f.options]
            else:
                cl = codelist_of(self.meta, f)
                src = None if cl is None else [(i.code, i.label, i.active) for i in cl.items]
            lang = self.display.lang
            items = None
            if src is not None:
                items = []
                for code, label, active in src:
                    text = escape(text_in(label, lang) if isinstance(label, Mapping) else label)
                    items.append((code, active, f'\n  <option value="{escape(code)}">{text}</option>',
                                  f'\n  <option value="{escape(code)}" selected>{text}</option>'))
            info["options"] = items
        return info["options"]

    def _cell_input(self, c: Field, path: str, st, info: dict, autofocus) -> str:
        t = c.type
        id_ = escape(pid(path))
        name = escape(path)
        dis = "" if st.visible else " disabled"
        if t == "boolean":
            return (f'<input type="hidden" name="{name}" value="false"{dis}>\n'
                    f'  <input type="checkbox" name="{name}" id="f-{id_}" value="true" aria-describedby="err-{id_}"'
                    f'{" checked" if self.checked(path) else ""}{dis}>')
        if t in ("date", "datetime"):
            kind = "date" if t == "date" else "datetime-local"
            return (f'<input type="{kind}" name="{name}" id="f-{id_}" value="{escape(self.input(path))}" '
                    f'aria-describedby="err-{id_}"{dis}>')
        af = " autofocus" if autofocus == f"f-{pid(path)}" else ""
        if t in SELECT_TYPES:
            chosen = self.selected(path)
            items = self._option_items(info, c)
            if items is None:
                lang = self.display.lang
                opts = "".join(
                    f'\n  <option value="{escape(code)}"{" selected" if code in chosen else ""}>'
                    f'{escape(text_in(label, lang) if isinstance(label, Mapping) else label)}</option>'
                    for code, label in self.options(path))
            else:   # the same options as options(path), each drawn once per form
                opts = "".join(on if code in chosen else off for code, active, off, on in items
                               if active or code in chosen)
            return (f'<select name="{name}" id="f-{id_}" aria-describedby="err-{id_}"{dis}{af}>\n'
                    f'  <option value="">{self._t("— choose —")}</option>{opts}\n</select>')
        typing = htmlsafe_json_dumps({"_typing": path}, dumps=current_app.json.dumps)
        html = (f'<input type="text" name="{name}" id="f-{id_}" value="{escape(self.input(path))}"\n'
                f'         class="{info["cls"]}"{info["extra"]}\n'
                f'         aria-describedby="err-{id_}"{dis}{af} hx-post="{info["live"]}" '
                f'hx-trigger="input changed delay:400ms" hx-vals=\'{typing}\'>')
        if t == "percent":
            html = f'<span class="suffixed">{html}<span class="suffix" aria-hidden="true">%</span></span>'
        return html

    def link_title(self, path: str) -> str:
        f = self.field(path)
        v = self.value(path)
        if v is None:
            given, raw = self.posted(path)
            return "" if not given or not raw else f"#{raw}"
        return self.display.value(f, v)
