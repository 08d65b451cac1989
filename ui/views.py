"""Read-only screens: the home page, an entity's list (search, pages) and a record's page.

Permissions come from the metadata (`Entity.permissions['read']`; absent = everyone signed in);
values are shown in Chinese with code-list labels, money with thousands separators.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import and_, select

from core.codec import decode
from core.db import records
from core.errors import PermissionDenied, ValidationError, msg
from core.query import Query, count, find
from core.store import Store
from core.users import list_users
from metadata.model import Entity, Field, Metadata, text_of

bp = Blueprint("views", __name__)
IMPLIED_CODELIST = {"department": "department", "region": "region", "industry": "industry"}
MAX_PAGE = 100_000


def init_app(app) -> None:
    app.jinja_env.globals["text_of"] = text_of
    app.jinja_env.globals["nav_entities"] = _nav_entities


def _installed():
    if "installed" not in g:
        g.installed = current_app.extensions["danbao"].installed()
    return g.installed


def _meta() -> Metadata | None:
    inst = _installed()
    return inst.meta if inst else None


def _store() -> Store:
    inst = _installed()
    ext = current_app.extensions["danbao"]
    return Store(ext.engine, inst.meta, clock=ext.clock, registry=ext.registry, meta_version=inst.version)


def _types():
    return current_app.extensions["danbao"].registry


def _readable(meta: Metadata) -> list[Entity]:
    if meta is None or not current_user.is_authenticated:
        return []
    store = _store()
    actor = current_user.actor
    return sorted((e for e in meta.entities.values() if store.allowed(actor, "read", e)),
                  key=lambda e: (e.pack, text_of(e.label)))


def _nav_entities() -> list[Entity]:
    try:
        return _readable(_meta())
    except Exception:  # noqa: BLE001 - the navigation must never break an error page
        return []


def _entity(name: str) -> Entity:
    meta = _meta()
    if meta is None or name not in meta.entities:
        abort(404)
    entity = meta.entity(name)
    if not _store().allowed(current_user.actor, "read", entity):
        raise PermissionDenied(msg(f"没有查看「{text_of(entity.label)}」的权限", f"you may not read {name}"))
    return entity


# -- values for people ----------------------------------------------------------------------------

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


# -- pages ------------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def home():
    meta = _meta()
    entities = _readable(meta)
    engine = current_app.extensions["danbao"].engine
    counts = {e.name: count(engine, meta, Query(e.name), _types()) for e in entities}
    return render_template("home.html", entities=entities, counts=counts, installed=_installed())


def _columns(entity: Entity) -> list[Field]:
    names = [n for n in entity.list_columns if entity.has(n)]
    if not names:
        names = [f.name for f in entity.fields if not f.hidden and not f.is_table and f.type != "attachment"][:6]
    return [entity.field(n) for n in names]


def _page_arg() -> int:
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


@bp.route("/e/<entity_name>")
@login_required
def entity_list(entity_name: str):
    entity = _entity(entity_name)
    meta, engine = _meta(), current_app.extensions["danbao"].engine
    size = int(current_app.config["PAGE_SIZE"])
    q = (request.args.get("q") or "").strip()[:200]
    page = _page_arg()
    error = None
    try:
        total = count(engine, meta, Query(entity.name, search=q or None), _types())
        pages = max(1, -(-total // size))
        page = min(page, pages)
        rows = find(engine, meta, Query(entity.name, search=q or None, sort=["-id"], limit=size,
                                        offset=(page - 1) * size), _types())
    except ValidationError as e:
        error = "; ".join(m["zh"] for ms in e.errors.values() for m in ms)
        total, pages, rows = 0, 1, []
    columns = _columns(entity)
    display = Display(meta, engine, _types())
    display.preload_links(columns, [r.values for r in rows])
    return render_template("list.html", entity=entity, columns=columns, rows=rows, display=display, q=q,
                           page=page, pages=pages, total=total, size=size, error=error,
                           page_url=lambda p: url_for("views.entity_list", entity_name=entity.name, page=p,
                                                      **({"q": q} if q else {})))


def _layout(meta: Metadata, entity: Entity, values: dict) -> list[dict]:
    """Tabs of sections of fields, as the entity's form lays them out; fields no section names go in
    a trailing 其他 section. Hidden fields are left out, and so are blank fields with `visible_if`
    (their values are cleared on save whenever the condition hides them)."""
    def shown(name: str) -> bool:
        if not entity.has(name):
            return False
        f = entity.field(name)
        v = values.get(name)
        return not f.hidden and not (f.visible_if and (v is None or v == "" or v == []))

    form = meta.form_for(entity.name)
    tabs, placed = [], set()
    for tab in (form.tabs if form else ()):
        sections = []
        for sec in tab.sections:
            fields = [entity.field(n) for n in sec.fields if shown(n)]
            placed.update(sec.fields)
            if fields:
                sections.append({"name": sec.name, "label": text_of(sec.label) if sec.label else "",
                                 "columns": sec.columns, "fields": fields})
        if sections:
            tabs.append({"name": tab.name or "main", "label": text_of(tab.label) if tab.label else "",
                         "sections": sections})
    rest = [f for f in entity.fields if f.name not in placed and shown(f.name)]
    if rest:
        other = {"name": "other", "label": "其他", "columns": 2, "fields": rest}
        if len(tabs) == 1:
            tabs[0]["sections"].append(other)
        else:
            tabs.append({"name": "other", "label": "其他", "sections": [other]})
    return tabs


@bp.route("/e/<entity_name>/<int:record_id>")
@login_required
def record_view(entity_name: str, record_id: int):
    entity = _entity(entity_name)
    meta, engine = _meta(), current_app.extensions["danbao"].engine
    record = _store().get(entity.name, record_id, actor=current_user.actor)  # NotFound -> 404
    display = Display(meta, engine, _types())
    tabs = _layout(meta, entity, record.values)
    link_fields = [f for f in entity.fields if f.type == "link"]
    child_links = [c for f in entity.fields if f.is_table for c in f.fields if c.type == "link"]
    display.preload_links(link_fields, [record.values])
    if child_links:
        rows = [r for f in entity.fields if f.is_table for r in (record.values.get(f.name) or [])]
        display.preload_links(child_links, rows)
    return render_template("record.html", entity=entity, record=record, tabs=tabs, display=display,
                           title=display.title(entity, record.values, record.id))


@bp.app_template_filter("nl2br")
def nl2br(value: str) -> Markup:
    from markupsafe import escape
    return Markup("<br>").join(escape(value).split("\n"))
