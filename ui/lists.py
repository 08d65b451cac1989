"""An entity's list: active search, typed filters, sort by column, capped count, pages, export.

Everything is generated from the entity's metadata, and the whole state of the list lives in the URL
(see docs/ui.md, "Lists"):

    /e/<entity>?q=恒信&sort=-amount&page=2&f.kind=loan&f.kind=bond&f.amount.min=1万&f.start.max=2026-03-31

A plain request renders the whole page; an HTMX request (``HX-Request``) renders only the results
fragment (`list_results.html`), which HTMX swaps in and whose URL it pushes to the history.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from datetime import date, timedelta
from functools import partial
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from core.errors import DanbaoError, ValidationError, msg
from core.query import SYSTEM_COLUMNS, Filter, Query, count, find
from core.users import list_users
from metadata.model import Entity, Field

from . import context, export
from .display import IMPLIED_CODELIST, Display
from .i18n import current_locale, message, text_of
from .metacache import cached

bp = Blueprint("lists", __name__)

MAX_PAGE = 100_000
DEFAULT_CAP = 10_001          # count at most this many matches; one more than the largest shown total
LINK_OPTIONS = 200            # a link filter offers at most this many records of the linked entity
CODE_OPTIONS = 300            # a longer hierarchical code list offers only its first two levels
DEFAULT_SORT = "-id"          # newest first

RANGE_TYPES = {"integer", "decimal", "money", "percent", "date", "datetime"}
CHOICE_TYPES = {"choice", "region", "industry", "department", "boolean"}
UNSORTABLE_TYPES = {"link", "user", "multichoice", "table", "attachment"}
_DATE_ONLY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


# ------------------------------------------------------------------------------ interface text

def label(value) -> str:
    """A metadata label ({zh:…, en:…} or plain) in the request's language."""
    return text_of(value)


# ------------------------------------------------------------------------------ columns and filters

def columns(entity: Entity) -> list[Field]:
    """The list's columns: the entity's `list_columns`, else its first six plain fields."""
    names = [n for n in entity.list_columns if entity.has(n)]
    if not names:
        names = [f.name for f in entity.fields if not f.hidden and not f.is_table and f.type != "attachment"][:6]
    return [entity.field(n) for n in names]


def filter_kind(f: Field) -> str | None:
    """range | choice | link | user | text, or None for a field the list cannot filter."""
    if f.is_table or f.storage == "json":
        return None
    t = f.value_type
    if t in RANGE_TYPES:
        return "range"
    if t in CHOICE_TYPES:
        return "choice"
    if t in ("link", "user"):
        return t
    if f.storage == "text":
        return "text"
    return None


def filter_fields(entity: Entity) -> list[Field]:
    """Fields offered as filters: the list's columns, then the other indexed fields; scalar only."""
    names = [f.name for f in columns(entity)]
    names += [f.name for f in entity.fields if (f.indexed or f.unique) and f.name not in names]
    return [entity.field(n) for n in names if not entity.field(n).hidden and filter_kind(entity.field(n))]


def sortable(f: Field) -> bool:
    return f.value_type not in UNSORTABLE_TYPES and filter_kind(f) is not None


def _codelist(meta, f: Field):
    name = f.codelist or IMPLIED_CODELIST.get(f.type)
    return meta.codelists.get(name) if name else None


def _descendants(cl, codes: list[str]) -> list[str]:
    """The codes and, in a hierarchical code list, every code under them (a province matches its
    cities and districts)."""
    if not cl.hierarchical:
        return codes
    out, todo = [], list(codes)
    seen = set()
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        out.append(code)
        todo.extend(i.code for i in cl.children(code))
    return out


def _depth(cl, item) -> int:
    depth, seen = 0, set()
    while item is not None and item.parent and item.code not in seen:
        seen.add(item.code)
        depth += 1
        item = cl.get(item.parent)
    return depth


def choice_options(meta, f: Field) -> list[tuple[str, str]]:
    """(value, label) pairs offered by a choice filter."""
    loc = current_locale()           # once: a region filter labels hundreds of codes

    def label(value) -> str:
        return text_of(value, loc)

    if f.value_type == "boolean":
        return [("true", _("Yes")), ("false", _("No"))]
    if f.options is not None:
        return [(o.value, label(o.label)) for o in f.options]
    cl = _codelist(meta, f)
    if cl is None:
        return []
    if not cl.hierarchical:
        return [(i.code, label(i.label)) for i in cl.items]
    out = []

    def walk(parent, depth):
        for item in cl.children(parent):
            if len(cl.items) > CODE_OPTIONS and depth > 1:
                continue
            out.append((item.code, "\u3000" * depth + label(item.label)))
            walk(item.code, depth + 1)
    walk(None, 0)
    if not out:   # parents that do not resolve to roots: a flat list
        out = [(i.code, "\u3000" * min(_depth(cl, i), 2) + label(i.label)) for i in cl.items]
    return out


@dataclass
class ListState:
    """The list's state as read from the URL, and the URLs that change one part of it."""
    entity: Entity
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    params: dict[str, list[str]] = dc_field(default_factory=dict)   # "f.amount.min" -> ["100"]
    errors: list[str] = dc_field(default_factory=list)

    def args(self, *, page: int | None = None, sort: str | None = None, with_page=True) -> dict:
        """Query arguments in a stable order: page, q, sort, filters."""
        out: dict = {}
        page = self.page if page is None else page
        if with_page and page > 1:
            out["page"] = page
        if self.q:
            out["q"] = self.q
        sort = self.sort if sort is None else sort
        if sort != DEFAULT_SORT:
            out["sort"] = sort
        for key, values in self.params.items():
            out[key] = values if len(values) > 1 else values[0]
        return out

    def url(self, endpoint="lists.entity_list", **kw) -> str:
        return url_for(endpoint, entity_name=self.entity.name, **self.args(**kw))

    def url_without_filters(self) -> str:
        return url_for("lists.entity_list", entity_name=self.entity.name, **({"q": self.q} if self.q else {}))

    def values(self, key: str) -> list[str]:
        return self.params.get(key, [])

    def value(self, key: str) -> str:
        vs = self.params.get(key)
        return vs[0] if vs else ""

    @property
    def filtered(self) -> bool:
        return bool(self.params)

    def next_sort(self, f: Field) -> str:
        return "-" + f.name if self.sort == f.name else f.name

    def aria_sort(self, f: Field) -> str | None:
        if self.sort == f.name:
            return "ascending"
        if self.sort == "-" + f.name:
            return "descending"
        return None


def read_state(entity: Entity) -> ListState:
    """The list's state from the query string; unusable parts become messages, never errors."""
    args = request.args
    state = ListState(entity, q=(args.get("q") or "").strip()[:200])
    try:
        state.page = min(max(int(args.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        state.page = 1
    sort = (args.get("sort") or "").strip()
    if sort:
        name = sort.removeprefix("-")
        if name in SYSTEM_COLUMNS or (entity.has(name) and sortable(entity.field(name))):
            state.sort = sort
        else:
            state.errors.append(_("Cannot sort by “%(name)s”.", name=name))
    offered = {f.name: f for f in filter_fields(entity)}
    for key in args:
        if not key.startswith("f."):
            continue
        values = [v.strip()[:200] for v in args.getlist(key) if v.strip()]
        parts = key.split(".")
        name = parts[1] if len(parts) > 1 else ""
        suffix = parts[2] if len(parts) == 3 else None
        f = offered.get(name)
        ok = f is not None and len(parts) in (2, 3) and (
            suffix is None or (suffix in ("min", "max") and filter_kind(f) == "range"))
        if not ok:
            state.errors.append(_("Cannot filter by “%(name)s”.", name=key[2:]))
            continue
        if values:
            state.params[key] = values[:50]
    return state


def build_query(state: ListState, meta) -> Query:
    """The core query for the state: typed filters (core validates the values)."""
    entity, filters = state.entity, []
    for key, values in state.params.items():
        parts = key.split(".")
        f = entity.field(parts[1])
        kind = filter_kind(f)
        suffix = parts[2] if len(parts) == 3 else None
        if suffix == "min":
            filters.append(Filter(f.name, "ge", values[0]))
        elif suffix == "max":
            v = values[0]
            if f.value_type == "datetime" and _DATE_ONLY.fullmatch(v):
                try:   # a date as the upper bound of a date-time range includes that whole day
                    y, m, d = (int(p) for p in v.split("-"))
                    filters.append(Filter(f.name, "lt", (date(y, m, d) + timedelta(days=1)).isoformat()))
                    continue
                except ValueError:
                    pass   # core reports the bad date
            filters.append(Filter(f.name, "le", v))
        elif kind == "text":
            filters.extend(Filter(f.name, "contains", v) for v in values)
        elif kind == "range":
            filters.append(Filter(f.name, "eq", values[0]))
        else:   # choice, link, user: any of the values
            cl = _codelist(meta, f) if kind == "choice" else None
            filters.append(Filter(f.name, "in", _descendants(cl, values) if cl else values))
    return Query(entity.name, filters=filters, search=state.q or None, sort=[state.sort])


def error_lines(entity: Entity, e: ValidationError) -> list[str]:
    lines = []
    for path, msgs in e.errors.items():
        name = path.split(".")[0]
        where = label(entity.field(name).label) if entity.has(name) else path
        lines += [f"{where}：{message(m)}" if where else message(m) for m in msgs]
    return lines


# ------------------------------------------------------------------------------ the list screen

def _link_options(meta, engine, f: Field, selected: list[str]) -> list[tuple[str, str]] | None:
    """Up to LINK_OPTIONS records of the linked entity (by title), plus any selected ones; None when
    the user may not read that entity."""
    target = meta.entities.get(f.entity) if f.entity else None
    if target is None or not context.store().allowed(current_user.actor, "read", target):
        return None
    title = target.title_field if target.title_field and target.has(target.title_field) else None
    sort = [title] if title and sortable(target.field(title)) else ["id"]
    rows = find(engine, meta, Query(target.name, sort=sort, limit=LINK_OPTIONS), context.types())
    display = Display(meta, engine, context.types())
    out = [(str(r.id), display.title(target, r.values, r.id)) for r in rows]
    have = {v for v, _t in out}
    missing = [int(s) for s in selected if s.isdigit() and s not in have]
    if missing:
        display.preload_links([f], [{f.name: i} for i in missing])
        out += [(str(i), display.value(f, i)) for i in missing]
    return out


def _filter_widgets(meta, engine, state: ListState) -> list[dict]:
    widgets = []
    users = None
    loc = str(current_locale())
    for f in filter_fields(state.entity):
        kind = filter_kind(f)
        w = {"field": f, "kind": kind, "label": label(f.label), "name": "f." + f.name}
        tags = None
        if kind == "range":
            w["input"] = "date" if f.value_type in ("date", "datetime") else "text"
        elif kind == "choice":
            # the same for every request until new metadata: a region filter offers ~600 codes
            w["options"] = cached(meta, ("filter", state.entity.name, f.name, loc), partial(choice_options, meta, f))
            tags = cached(meta, ("filter-tags", state.entity.name, f.name, loc), partial(_tags, w["options"]))
        elif kind == "link":
            w["options"] = _link_options(meta, engine, f, state.values(w["name"]))
            if w["options"] is None:
                continue
        elif kind == "user":
            if users is None:
                users = [(str(u.id), u.name) for u in list_users(engine) if u.active]
            w["options"] = users
        if "options" in w:
            chosen = set(state.values(w["name"]))
            w["option_tags"] = Markup("".join(on if v in chosen else off
                                              for v, off, on in (tags or _tags(w["options"]))))
        widgets.append(w)
    return widgets


def _tags(options: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(value, <option>, <option selected>) of a select's options, drawn once."""
    out = []
    for value, text in options:
        v, t = escape(value), escape(text)
        out.append((value, f'\n          <option value="{v}">{t}</option>',
                    f'\n          <option value="{v}" selected>{t}</option>'))
    return out


def _wants_fragment() -> bool:
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


@bp.route("/e/<entity_name>")
@login_required
def entity_list(entity_name: str):
    entity = context.entity_or_404(entity_name)
    meta, engine, types = context.meta(), context.engine(), context.types()
    size = max(1, int(current_app.config.get("PAGE_SIZE", 20)))
    cap = max(2, int(current_app.config.get("LIST_COUNT_CAP", DEFAULT_CAP)))
    state = read_state(entity)
    errors = list(state.errors)
    total, capped, pages, rows, has_next = 0, False, 1, [], False
    try:
        query = build_query(state, meta)
        total = count(engine, meta, query, types, cap=cap)
        capped = total >= cap
        if not capped:
            pages = max(1, -(-total // size))
            state.page = min(state.page, pages)
        found = find(engine, meta, replace(query, limit=size + 1, offset=(state.page - 1) * size), types)
        has_next, rows = len(found) > size, found[:size]
    except ValidationError as e:
        errors += error_lines(entity, e)
        total = 0
    cols = columns(entity)
    display = Display(meta, engine, types)
    display.preload_links(cols, [r.values for r in rows])
    page = {
        "number": state.page, "size": size, "has_prev": state.page > 1, "has_next": has_next,
        "pages": None if capped else pages, "capped": capped,
        "total": f"{cap - 1:,}+" if capped else f"{total:,}",
    }
    ctx = {"entity": entity, "columns": cols, "rows": rows, "display": display, "state": state,
           "page": page, "errors": errors, "label": label, "sortable": sortable}
    if _wants_fragment():
        resp = Response(render_template("list_results.html", **ctx))
        resp.headers["HX-Push-Url"] = state.url()   # the canonical URL, without the form's blank fields
    else:
        search_labels = [label(entity.field(n).label) for n in entity.search_fields if entity.has(n)]
        can_create = context.store().allowed(current_user.actor, "create", entity)
        resp = Response(render_template("list.html", filters=_filter_widgets(meta, engine, state),
                                        search_labels=search_labels, can_create=can_create, **ctx))
    resp.headers["Vary"] = "HX-Request"
    return resp


# ------------------------------------------------------------------------------ export

def _export_query(entity: Entity) -> Query:
    meta = context.meta()
    state = read_state(entity)
    if state.errors:
        raise DanbaoError(msg("; ".join(state.errors), "; ".join(state.errors)))
    query = build_query(state, meta)
    try:   # report bad filter values before the download starts
        count(context.engine(), meta, replace(query, sort=[]), context.types(), cap=1)
    except ValidationError as e:
        text = "; ".join(error_lines(entity, e))
        raise DanbaoError(msg(text, text)) from None
    return query


def _disposition(entity: Entity, ext: str) -> str:
    name = f"{label(entity.label)}.{ext}"
    return f"attachment; filename=\"{entity.name}.{ext}\"; filename*=UTF-8''{quote(name)}"


def _exporter(entity: Entity) -> export.Exporter:
    return export.Exporter(context.meta(), context.engine(), context.types(), entity,
                           header=lambda f: label(f.label), system_labels={"id": "ID"})


@bp.route("/e/<entity_name>/export.csv")
@login_required
def export_csv(entity_name: str):
    entity = context.entity_or_404(entity_name)
    query = _export_query(entity)
    body = stream_with_context(_exporter(entity).csv_chunks(query))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": _disposition(entity, "csv"), "Cache-Control": "no-store"})


@bp.route("/e/<entity_name>/export.xlsx")
@login_required
def export_xlsx(entity_name: str):
    entity = context.entity_or_404(entity_name)
    query = _export_query(entity)
    spool = _exporter(entity).xlsx_file(query, title=label(entity.label))
    resp = Response(export.file_chunks(spool), direct_passthrough=True,
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": _disposition(entity, "xlsx"), "Cache-Control": "no-store"})
    return resp
