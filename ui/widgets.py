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

from flask import current_app, render_template, request, session, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from core.compute import is_blank
from core.products import products_for
from core.validate import FieldState
from metadata.model import Entity, Field, Metadata
from metadata.model import text_of as text_in

from .formdata import codelist_of
from .metacache import cached
from .i18n import message

NUMERIC = ("integer", "decimal", "money", "percent")
TEXT_INPUTS = ("text", "long_text", "integer", "decimal", "money", "percent", "id_number", "uscc",
               "phone", "email")
CHECKED_TYPES = ("id_number", "uscc")   # check-digit feedback once 18 characters are typed
INPUT_MODES = {"integer": "numeric", "decimal": "decimal", "money": "decimal", "percent": "decimal",
               "phone": "tel", "email": "email"}
OOB = ' hx-swap-oob="true"'
SELECT_TYPES = ("choice", "department", "region", "industry", "user")
# inputs drawn by FormView (the rest — links, multi-choice, attachments — by the macros of widgets/fields.html)
FAST_CELL_TYPES = frozenset(TEXT_INPUTS) | {"date", "datetime", "boolean", *SELECT_TYPES}
def pid(path: str) -> str:
    return path.replace(".", "-")


def input_value(f: Field, v) -> Any:
    """A typed value as the text an input shows (money with thousands separators)."""
    return "" if v is None else _input_text(f.value_type, v)


def _input_text(t: str, v) -> Any:
    """input_value of a non-blank value of value type `t`."""
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
                 typing: str | None = None, extra_errors: dict | None = None, actor=None):
        self.meta, self.entity, self.display = meta, entity, display
        self.actor = actor          # who fills the form in: a product is offered to the roles that may use it
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
        return _codes(self.input(path))

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
        if "_paths" in self.__dict__:
            return self.__dict__["_paths"]
        out = self.__dict__["_paths"] = []
        for f in self.entity.fields:
            if f.hidden:
                continue
            out.append(f.name)
            if f.is_table:
                for i in self.rows(f.name):
                    out.extend(f"{f.name}.{i}.{c.name}" for c in f.fields if not c.hidden)
        return out

    def hidden_paths(self) -> str:
        return self._live_paths()[0]

    def readonly_paths(self) -> str:
        return self._live_paths()[1]

    def _live_paths(self) -> tuple[str, str]:
        """The drawn paths that are hidden, and those that are read-only (comma-separated): what the
        live route compares with the form's last answer."""
        if "_live" not in self.__dict__:
            hidden, readonly, states = [], [], self.states
            for p in self.paths():
                st = states.get(p) or self.state(p)
                if not st.visible:
                    hidden.append(p)
                if st.readonly:
                    readonly.append(p)
            self.__dict__["_live"] = (",".join(hidden), ",".join(readonly))
        return self.__dict__["_live"]

    def _state_of(self, path: str) -> FieldState:
        return self.states.get(path) or self.state(path)

    # -- options ------------------------------------------------------------------------------
    def options(self, path: str) -> list[tuple[str, Any]]:
        """(code, label) pairs offered: active ones, and inactive ones already chosen."""
        f = self.field(path)
        chosen = set(self.selected(path))
        if f.type == "user":
            return [(str(u.id), f"{u.name}（{u.username}）") for u in self._users()
                    if u.active or str(u.id) in chosen]
        if f.options is not None:
            offered = self._offered(f)
            return [(o.value, o.label) for o in f.options if (o.active and o.value in offered) or o.value in chosen]
        cl = codelist_of(self.meta, f)
        if cl is None:
            return [(c, c) for c in chosen]
        return [(i.code, i.label) for i in cl.items if i.active or i.code in chosen]

    def _offered(self, f: Field) -> set:
        """The option values `f` offers this form's user: the products their roles may use for a
        `options_from: products` field (one already chosen stays shown), else every value."""
        if f.options_from != "products" or self.actor is None:
            return {o.value for o in f.options or ()}
        per_form = self.__dict__.setdefault("_offered", {})
        if f.name not in per_form:
            per_form[f.name] = {p.name for p in products_for(self.meta, self.entity.name, self.actor)}
        return per_form[f.name]

    def cascade(self, path: str) -> bool:
        return self.cascade_field(self.field(path))

    def chain(self, path: str) -> list[str]:
        """The chosen code and its ancestors, root first."""
        return _chain(codelist_of(self.meta, self.field(path)), self.selected(path))

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

    # -- drawn in Python ---------------------------------------------------------------------
    # The same HTML as the macros of widgets/fields.html, which stay the reference for every type
    # (tests/test_widgets_parity.py draws forms both ways and compares them byte for byte): one
    # Python call per field or row instead of several macro calls per input, and the parts that
    # depend only on the metadata and the locale (labels, classes, attributes, options, table
    # headers) drawn once per metadata version. `None` leaves a part to the macros (link pickers,
    # multi-choice, attachments).
    fast = True     # False: every part through the macros (the reference the parity test compares with)

    def _cached(self, key: tuple, make):
        """A part drawn once per metadata version and locale."""
        return cached(self.meta, (*key, self.display.locale), make)

    def _col(self, table: str, c: Field) -> dict:
        return self._cached(("col", self.entity.name, table, c.name), lambda: self._col_parts(c))

    def _col_parts(self, c: Field) -> dict:
        t, lang = c.type, self.display.lang
        info = {"td": '<td class="num">' if self.display.numeric(c) else "<td>",
                "label": escape(text_in(c.label, lang)), "text": text_in(c.label, lang), "type": escape(t),
                "ph": f' placeholder="{escape(text_in(c.placeholder, lang))}"' if c.placeholder else "",
                "fast": t in FAST_CELL_TYPES, "cascade": t in SELECT_TYPES[:4] and self.cascade_field(c),
                "computed": c.is_computed, "vt": c.value_type}
        info["head"] = f'{info["td"]}<div class="field cell t-{info["type"]}" id="w-'
        if t in TEXT_INPUTS:
            mode = INPUT_MODES.get(t)
            extra = f' inputmode="{mode}"' if mode else ""
            if t in CHECKED_TYPES:
                extra += ' maxlength="20" autocomplete="off" spellcheck="false"'
            if c.max_length:
                extra += f' maxlength="{escape(c.max_length)}"'
            info["cls"] = ("num" if t in NUMERIC else "") + f" t-{escape(t)}"
            info["extra"] = extra + info["ph"]
        return info

    def cascade_field(self, c: Field) -> bool:
        cl = codelist_of(self.meta, c)
        return bool(cl and cl.hierarchical)

    def row_cells(self, table: str, i: int, cols: list[Field], editable: bool,
                  autofocus=None) -> list[tuple[Field, str, Markup | None]]:
        """The cells of child row `i` drawn as the `cell` macro draws them (inside their <td>);
        None for a cell left to the macro."""
        return [(c, path, None if html is None else Markup(html))
                for c, path, html in self._row(table, i, cols, editable, autofocus)]

    def _row(self, table: str, i: int, cols: list[Field], editable: bool, autofocus) -> list:
        if not self.fast:
            return [(c, f"{table}.{i}.{c.name}", None) for c in cols]
        rows = self.raw.get(table)
        raw = rows[i] if isinstance(rows, list) and i < len(rows) else None
        vals = self.values.get(table) or []
        val = vals[i] if i < len(vals) else {}
        states, all_errors = self.states, self.all_errors
        at, dash = f"{table}.{i}.", f"{table}-{i}-"     # names are identifiers: nothing to escape in ids
        out = []
        for c, info in self._specs(table, cols):
            name = c.name
            path, id_ = at + name, dash + name
            st = states.get(path) or self.state(path)
            if editable and not info["computed"] and not st.readonly:
                if not info["fast"]:
                    out.append((c, path, None))
                    continue
                if raw is not None and name in raw:
                    shown = raw[name]
                    if shown is None:
                        shown = ""
                else:
                    v = val.get(name)
                    shown = "" if v is None else _input_text(info["vt"], v)
                html = self._cell_input(c, path, st, info, autofocus, shown)
            else:
                html = self._cell_shown(c, path, val.get(name))
                if html is None:
                    out.append((c, path, None))
                    continue
            out.append((c, path,
                        f'{info["head"]}{id_}"{"" if st.visible else " hidden"}>\n'
                        f'  <label class="sr-only" id="l-{id_}" for="f-{id_}">{info["label"]}</label>{html}'
                        f'<span class="req" id="req-{id_}"'
                        + (f' title="{self._t("Required")}">*' if st.required and not c.required else ">")
                        + f'</span><div class="error" id="err-{id_}">'
                        + ("".join(f"<div>{escape(m)}</div>" for m in self.errors(path))
                           if all_errors.get(path) else "")
                        + "</div>\n</div></td>"))
        return out

    def _specs(self, table: str, cols: list[Field]) -> list[tuple[Field, dict]]:
        """(column, its parts) for the columns of a table, looked up once per form."""
        specs = self.__dict__.setdefault("_spec_cache", {})
        key = (table, tuple(c.name for c in cols))
        if key not in specs:
            specs[key] = [(c, self._col(table, c)) for c in cols]
        return specs[key]

    def input_html(self, f: Field, path: str, st, autofocus=None) -> Markup | None:
        """A top-level field's input as the `input` macro draws it; None leaves it to the macro."""
        if not self.fast or f.is_table or path != f.name:
            return None
        if f.is_computed or st.readonly:
            html = self._cell_shown(f, path, self.value(path))
        elif f.type == "attachment":
            html = self._no_files(f, path)
        else:
            info = self._col("", f)
            html = self._cell_input(f, path, st, info, autofocus, self.input(path)) if info["fast"] else None
        return None if html is None else Markup(html)

    def _no_files(self, f: Field, path: str) -> str | None:
        """The files widget of an attachment field without files, as the `input` macro includes it
        (files/widget.html): drawn by that template once per metadata version, locale and field,
        with this session's CSRF token (which its upload request carries) put in. None when the
        field has files or the widget is not installed: the macro draws it."""
        if self.value(path) or "files_widget" not in current_app.jinja_env.globals:
            return None
        token = session.get("csrf_token") or ""

        def draw():
            html = render_template("files/widget.html", entity=self.entity, field=f, name=path, files=[])
            return html.replace(token, _TOKEN) if token else html
        html = self._cached(("files", self.entity.name, path, bool(token), request.script_root), draw)
        return html.replace(_TOKEN, token) if token else html

    def field_html(self, f: Field, path: str, live_url: str, autofocus=None, oob: bool = False,
                   cell=None) -> Markup | None:
        """A top-level field with its wrapper, label, marker, hint and errors, as the `field`
        macro draws it (a child table whole, its uncommon cells through the `cell` macro given);
        None when the macro must draw it."""
        if not self.fast or path != f.name or (f.is_table and cell is None):
            return None
        st = self.state(path)
        inp = self.table_html(f, st, live_url, autofocus, cell) if f.is_table else \
            self.input_html(f, path, st, autofocus)
        if inp is None:
            return None
        t, id_ = f.type, path      # a top-level path is the field's name: an identifier
        part = self._cached(("field", self.entity.name, f.name), lambda: self._field_parts(f))
        marker = part["required"] if st.required else part["optional"]
        if t == "boolean" and not st.readonly:
            body = f'\n  {inp}\n  <label for="f-{id_}" id="l-{id_}">{part["label"]}{marker}</label>'
        else:
            drawn = f.is_table or t == "multichoice" or st.readonly or f.is_computed
            for_ = "" if drawn else f' for="f-{id_}"'
            body = f'\n  <label{for_} id="l-{id_}">{part["label"]}{marker}</label>\n  {inp}'
        errors = "".join(f"<div>{escape(m)}</div>" for m in self.errors(path)) if self.all_errors.get(path) else ""
        return Markup(f'{part["head"]}{"" if st.visible else " hidden"}{OOB if oob else ""}>{body}{part["hint"]}'
                      f'\n  <div class="error" id="err-{id_}">{errors}</div>\n</div>')

    def _field_parts(self, f: Field) -> dict:
        t, id_, lang = f.type, f.name, self.display.lang
        return {"head": f'<div class="field t-{escape(t)}{" check" if t == "boolean" else ""}'
                        f'{" span-all" if f.is_table or t == "long_text" else ""}" id="w-{id_}"',
                "label": escape(text_in(f.label, lang)),
                "required": f'<span class="req" id="req-{id_}" title="{self._t("Required")}">*</span>',
                "optional": f'<span class="req" id="req-{id_}"></span>',
                "hint": f'<small class="hint">{escape(text_in(f.help, lang))}</small>' if f.help else ""}

    def fields_html(self, fields: list[Field], live_url: str, autofocus, field, cell) -> Markup:
        """A section's fields, each drawn by field_html or else by the `field` macro given."""
        # an f-string, not "\n" + Markup (which escapes the text and makes two Markups per field)
        return Markup("".join(f"\n        {self.field_html(f, f.name, live_url, autofocus, cell=cell) or field(f)}"
                              for f in fields))

    def _t(self, text: str) -> Markup:
        """A translated constant (safe, as Jinja's `_()` gives it), looked up once per locale."""
        return self._cached(("t", text), lambda: Markup(gettext(text)))

    # -- child tables ---------------------------------------------------------------------------
    def table_html(self, f: Field, st, live_url: str, autofocus, cell) -> str:
        """A child table as the `table` macro draws it: header, rows, totals, row buttons."""
        name = escape(f.name)
        cols = self.columns(f.name)
        rows = self.rows(f.name)
        editable = st.visible and not st.readonly
        off = "" if editable else " disabled"
        out = [f'<div class="child-table" id="f-{name}" role="group" aria-labelledby="l-{name}">\n'
               f'  <input type="hidden" name="{name}" value=""{off}>\n  <div class="scroll">\n'
               f'  <table class="data compact child" id="table-{name}">\n'
               f'    <thead><tr><th class="num">#</th>{self._table_head(f, cols)}'
               + (f'<th><span class="sr-only">{self._t("Row actions")}</span></th>' if editable else "")
               + "</tr></thead>\n    <tbody>"]
        for i in rows:
            cells = "".join(html if html is not None else self._macro_cell(c, path, editable, cell)
                            for c, path, html in self._row(f.name, i, cols, editable, autofocus))
            actions = self.row_actions(f.name, i, len(rows), live_url, autofocus) if editable else ""
            out.append(f'\n    <tr id="row-{name}-{i}">\n      <td class="num muted">{i + 1}'
                       f'<input type="hidden" name="{name}.{i}" value=""{off}></td>{cells}{actions}\n    </tr>')
        if not rows:
            out.append(f'\n    <tr class="empty-row"><td colspan="{len(cols) + 2}" class="muted">'
                       f'{self._t("No rows")}</td></tr>')
        out.append("\n    </tbody>")
        if rows and any(c.value_type in NUMERIC for c in cols):
            totals = []
            for c in cols:
                t = self.total(f.name, c)
                totals.append('<td class="num">' + ("" if t is None else
                                                    f'<output id="tot-{name}-{escape(c.name)}">{escape(t)}</output>')
                              + "</td>")
            out.append(f'\n    <tfoot><tr><td class="muted">{self._t("Total")}</td>{"".join(totals)}'
                       f'{"<td></td>" if editable else ""}</tr></tfoot>')
        out.append("\n  </table>\n  </div>")
        if editable:
            af = " autofocus" if autofocus == f"add-{f.name}" else ""
            out.append(f'\n  <div class="toolbar">\n    <button type="submit" class="small" name="_action" '
                       f'value="add_row:{name}" id="add-{name}"\n            hx-post="{escape(live_url)}" '
                       f'hx-target="#form-body" hx-swap="outerHTML"{af}>+ {self._t("Add row")}</button>\n  </div>')
        out.append("\n</div>")
        return "".join(out)

    def _table_head(self, f: Field, cols: list[Field]) -> str:
        def draw():
            lang, num, req = self.display.lang, ' class="num"', '<span class="req">*</span>'
            return "".join(f'<th{num if self.display.numeric(c) else ""} id="h-{escape(f.name)}-'
                           f'{escape(c.name)}">{escape(text_in(c.label, lang))}{req if c.required else ""}</th>'
                           for c in cols)
        return self._cached(("thead", self.entity.name, f.name), draw)

    def _macro_cell(self, c: Field, path: str, editable: bool, cell) -> str:
        """A cell Python does not draw, through the `cell` macro (as the `table` macro calls it)."""
        st = self.state(path)
        if not editable:
            st = FieldState(st.visible, st.required, True)
        td = '<td class="num">' if self.display.numeric(c) else "<td>"
        return f"{td}{cell(c, path, st)}</td>"

    def row_actions(self, table: str, i: int, count: int, live_url: str, autofocus=None) -> Markup:
        """The ↑ / ↓ / × buttons of an editable child row."""
        up, down, remove = (f"mv-{table}-{i}-up", f"mv-{table}-{i}-down", f"rm-{table}-{i}")
        return Markup(self._row_buttons(live_url) % {
            "t": table, "i": i, "n": i + 1, "up": up, "down": down, "rm": remove,
            "up_off": " disabled" if i == 0 else "", "down_off": " disabled" if i == count - 1 else "",
            "up_af": " autofocus" if autofocus == up else "", "down_af": " autofocus" if autofocus == down else ""})

    def _row_buttons(self, live_url: str) -> str:
        """The row buttons with their translated texts, as a %-template drawn once per locale (a
        table name is an identifier and a row number a number: nothing left to escape)."""
        def draw():
            attrs = f'hx-post="{escape(live_url)}" hx-target="#form-body" hx-swap="outerHTML"'

            def text(msgid, **kw):
                return str(self._t(msgid)).replace("%", "%%").replace("%%(n)s", "%(n)s")
            return (
                f'\n      <td class="row-actions">\n'
                f'        <button type="submit" class="small" name="_action" value="move_row:%(t)s:%(i)s:up" id="%(up)s"\n'
                f'                {attrs} title="{text("Move up")}" aria-label="{text("Move row %(n)s up")}"'
                f'%(up_off)s%(up_af)s>↑</button>\n'
                f'        <button type="submit" class="small" name="_action" value="move_row:%(t)s:%(i)s:down" id="%(down)s"\n'
                f'                {attrs} title="{text("Move down")}" aria-label="{text("Move row %(n)s down")}"'
                f'%(down_off)s%(down_af)s>↓</button>\n'
                f'        <button type="submit" class="small danger" name="_action" value="remove_row:%(t)s:%(i)s" id="%(rm)s"\n'
                f'                {attrs} title="{text("Remove row")}" aria-label="{text("Remove row %(n)s")}">×</button>\n'
                f'      </td>')
        return self._cached(("row-buttons", live_url), draw)

    # -- inputs and values ----------------------------------------------------------------------
    def _cell_shown(self, c: Field, path: str, v) -> str | None:
        """A computed or read-only value `v` as the `shown` macro draws it (attachments: None)."""
        id_ = pid(path)
        if c.type == "attachment" and v:
            return None
        if c.type == "link" and v:
            url = url_for("records.record_view", entity_name=c.entity, record_id=v)
            text = f'<a href="{escape(url)}">{escape(self.link_title(path))}</a>'
        elif v is None and self.entity.numbering and self.entity.numbering.field == path:
            text = f'<span class="muted">{self._t("assigned when saved")}</span>'
        else:
            text = escape(self.display.value(c, v))
        num = " num" if self.display.numeric(c) else ""
        return f'<output id="f-{id_}" class="value{num}" aria-labelledby="l-{id_}">{text}</output>'

    def _option_items(self, info: dict, f: Field) -> list | None:
        """(code, active, <option>, <option selected>) of every option a select of `f` may offer,
        in the order of options(); None when the offer depends on the value (no code list). Users
        are read per form (they change without new metadata); the rest is kept in `info`."""
        if f.type == "user":
            per_form = self.__dict__.setdefault("_user_options", {})
            if f.name not in per_form:
                per_form[f.name] = _option_html((str(u.id), f"{u.name}（{u.username}）", u.active)
                                                for u in self._users())
            return per_form[f.name]
        if f.options_from == "products" and self.actor is not None:    # depends on the user's roles
            per_form = self.__dict__.setdefault("_product_options", {})
            if f.name not in per_form:
                offered, lang = self._offered(f), self.display.lang
                per_form[f.name] = _option_html((o.value, text_in(o.label, lang) if isinstance(o.label, Mapping)
                                                 else o.label, o.active and o.value in offered) for o in f.options)
            return per_form[f.name]
        if "options" not in info:
            lang = self.display.lang
            if f.options is not None:
                src = [(o.value, o.label, o.active) for o in f.options]
            else:
                cl = codelist_of(self.meta, f)
                src = None if cl is None else [(i.code, i.label, i.active) for i in cl.items]
            info["options"] = None if src is None else _option_html(
                (code, text_in(label, lang) if isinstance(label, Mapping) else label, active)
                for code, label, active in src)
        return info["options"]

    def _select_options(self, items: list, chosen: list[str]) -> str:
        """The <option>s of a select offering `items` (what _option_items gives) with `chosen`
        selected: the active ones, and an inactive one when chosen, in the items' order. The
        active ones are joined once per list of items; a chosen active one is marked in place."""
        joins = self.__dict__.setdefault("_joins", {})
        hit = joins.get(id(items))
        if hit is None or hit[0] is not items:
            hit = joins[id(items)] = (items, "".join(off for code, active, off, on in items if active),
                                      {code: (active, off, on) for code, active, off, on in items})
        _items, joined, tags = hit
        if not chosen:
            return joined
        if len(chosen) == 1:
            tag = tags.get(chosen[0])
            if tag is None or tag[0]:
                return _mark(joined, tag)
        return "".join(on if code in chosen else off for code, active, off, on in items if active or code in chosen)

    def _code_options(self, cl, parent: str | None) -> list:
        """The options of one level of a cascade (the children of `parent`), drawn once."""
        lang = self.display.lang
        return self._cached(("codes", cl.name, parent), lambda: _option_html(
            (i.code, text_in(i.label, lang), i.active) for i in cl.children(parent)))

    def _level_options(self, cl, parent: str | None) -> tuple[str, dict]:
        """The <option>s of the active children of `parent` joined, and (active, <option>,
        <option selected>) by code (inactive ones too: shown when chosen), drawn once."""
        def draw():
            items = self._code_options(cl, parent)
            return ("".join(off for code, active, off, on in items if active),
                    {code: (active, off, on) for code, active, off, on in items})
        return self._cached(("level", cl.name, parent), draw)

    def _cascade_level(self, cl, path: str, level: int, parent, chain: list, disabled: bool, label: str) -> str:
        """Level `level` of a cascade, as the `cascade_level` macro draws it: the select of
        `parent`'s children (active ones, and an inactive one only when chosen), then the next."""
        id_ = escape(pid(path))
        chosen = chain[level] if len(chain) > level else ""
        joined, tags = self._level_options(cl, parent) if (parent or level == 0) else ("", {})
        opts = _mark(joined, tags.get(chosen))
        if not opts:
            return f'<span class="cascade-level" id="c-{id_}-{level}"></span>'
        url = self._cached(("codes-url", cl.name, level, path, label, request.script_root),
                           lambda: url_for("records.codes", codelist=cl.name, _level=level + 1, _name=path,
                                           _label=label))
        return (f'<span class="cascade-level" id="c-{id_}-{level}">\n'
                f'<select name="{escape(path)}" id="f-{id_}{f"-{level}" if level else ""}"\n'
                f'        aria-label="{escape(label)} {level + 1}" aria-describedby="err-{id_}"\n'
                f'        hx-get="{escape(url)}"\n'
                f'        hx-target="#c-{id_}-{level + 1}" hx-swap="outerHTML" hx-sync="this:replace"'
                f'{" disabled" if disabled else ""}>\n'
                f'  <option value="">{self._t("— choose —")}</option>{opts}\n</select>\n'
                f'{self._cascade_level(cl, path, level + 1, chosen, chain, disabled, label)}</span>')

    def _cell_input(self, c: Field, path: str, st, info: dict, autofocus, shown) -> str:
        """The input of `c` at `path` showing `shown` (what input() gives), as the `input` macro
        draws it. Paths are made of field names (identifiers) and row numbers: ids need no escaping."""
        t = c.type
        id_ = path.replace(".", "-")
        name = path
        dis = "" if st.visible else " disabled"
        if t == "boolean":
            return (f'<input type="hidden" name="{name}" value="false"{dis}>\n'
                    f'  <input type="checkbox" name="{name}" id="f-{id_}" value="true" aria-describedby="err-{id_}"'
                    f'{" checked" if is_true(shown) else ""}{dis}>')
        if t in ("date", "datetime"):
            kind = "date" if t == "date" else "datetime-local"
            return (f'<input type="{kind}" name="{name}" id="f-{id_}" value="{escape(shown)}" '
                    f'aria-describedby="err-{id_}"{dis}>')
        if t == "long_text":
            return (f'<textarea name="{name}" id="f-{id_}" rows="3" aria-describedby="err-{id_}"{info["ph"]}{dis}>'
                    f'{escape(shown)}</textarea>')
        if info["cascade"]:
            cl = codelist_of(self.meta, c)
            return (f'<span class="cascade" id="cascade-{id_}">'
                    f'{self._cascade_level(cl, path, 0, None, _chain(cl, _codes(shown)), bool(dis), info["text"])}'
                    f'</span>')
        af = " autofocus" if autofocus and autofocus == "f-" + id_ else ""
        if t in SELECT_TYPES:
            chosen = _codes(shown)
            items = self._option_items(info, c)
            if items is None:
                lang = self.display.lang
                opts = "".join(
                    f'\n  <option value="{escape(code)}"{" selected" if code in chosen else ""}>'
                    f'{escape(text_in(label, lang) if isinstance(label, Mapping) else label)}</option>'
                    for code, label in self.options(path))
            else:   # the same options as options(path), each drawn once
                opts = self._select_options(items, chosen)
            return (f'<select name="{name}" id="f-{id_}" aria-describedby="err-{id_}"{dis}{af}>\n'
                    f'  <option value="">{self._t("— choose —")}</option>{opts}\n</select>')
        html = (f'<input type="text" name="{name}" id="f-{id_}" value="{escape(shown)}"\n'
                f'         class="{info["cls"]}"{info["extra"]}\n'
                f'         aria-describedby="err-{id_}"{dis}{af}>')
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


_TOKEN = "\x00csrf\x00"     # stands for the session's CSRF token in drawings kept across sessions


def _mark(joined: str, tag) -> str:
    """`joined` <option>s with the option `tag` (active, <option>, <option selected>) selected: an
    active one in its place (an option's tag occurs once: its value is unique), an inactive one
    after the active ones; `joined` as it is without a tag."""
    if tag is None:
        return joined
    active, off, on = tag
    return joined.replace(off, on, 1) if active else joined + on


def _option_html(items) -> list[tuple[str, bool, str, str]]:
    """(code, active, <option>, <option selected>) for (code, label text, active) triples."""
    out = []
    for code, text, active in items:
        code_, text_ = escape(code), escape(text)
        out.append((code, active, f'\n  <option value="{code_}">{text_}</option>',
                    f'\n  <option value="{code_}" selected>{text_}</option>'))
    return out


def _codes(shown) -> list[str]:
    """The chosen codes of a select or cascade showing `shown` (what FormView.input gives)."""
    if isinstance(shown, str):
        return [shown] if shown else []
    return [str(x) for x in (shown or [])]


def _chain(cl, chosen: list[str]) -> list[str]:
    """The last chosen code and its ancestors in code list `cl`, root first."""
    item = cl.get(chosen[-1]) if chosen else None
    chain, seen = [], set()
    while item is not None and item.code not in seen:
        seen.add(item.code)
        chain.append(item.code)
        item = cl.get(item.parent) if item.parent else None
    return list(reversed(chain))
