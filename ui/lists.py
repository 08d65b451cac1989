"""An entity's list: search and pages."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import login_required

from core.errors import ValidationError
from core.query import Query, count, find
from metadata.model import Entity, Field

from . import context
from .display import Display

bp = Blueprint("lists", __name__)
MAX_PAGE = 100_000


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
    entity = context.entity_or_404(entity_name)
    meta, engine = context.meta(), context.engine()
    size = int(current_app.config["PAGE_SIZE"])
    q = (request.args.get("q") or "").strip()[:200]
    page = _page_arg()
    error = None
    try:
        total = count(engine, meta, Query(entity.name, search=q or None), context.types())
        pages = max(1, -(-total // size))
        page = min(page, pages)
        rows = find(engine, meta, Query(entity.name, search=q or None, sort=["-id"], limit=size,
                                        offset=(page - 1) * size), context.types())
    except ValidationError as e:
        error = "; ".join(m["zh"] for ms in e.errors.values() for m in ms)
        total, pages, rows = 0, 1, []
    columns = _columns(entity)
    display = Display(meta, engine, context.types())
    display.preload_links(columns, [r.values for r in rows])
    return render_template("list.html", entity=entity, columns=columns, rows=rows, display=display, q=q,
                           page=page, pages=pages, total=total, size=size, error=error,
                           page_url=lambda p: url_for("lists.entity_list", entity_name=entity.name, page=p,
                                                      **({"q": q} if q else {})))
