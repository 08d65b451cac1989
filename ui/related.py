"""Related records on a record's view: the sections of its form that list another entity's records
linking to it (`related:` in the form, metadata/form.py), and the new-record form pre-filled with
that link.

    GET /e/<entity>/<id>/related/<section>     the section's table (a fragment the view loads with HTMX)

The view shows a section only to users who may read the related entity (`visible`), the 新建
button only to those who may create it; the fragment checks both again. Columns are formatted as
the lists format them (ui/display.py). `prefill` reads link values from the new-record URL
(`/e/repayment/new?project=12`), so the form opens with the link set and the store validates it
like any input.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from core.products import form_of
from core.query import Filter, Query, count, find
from metadata.form import Related
from metadata.model import Entity, Field

from . import context, formdata, lists
from .display import Display
from .i18n import text_of

bp = Blueprint("related", __name__)
COUNT_CAP = 10_001


def visible(related: Related | None) -> bool:
    """Whether the signed-in user sees this related section (they may read its entity)."""
    meta = context.meta()
    if related is None or meta is None or related.entity not in meta.entities:
        return False
    return context.store().allowed(current_user.actor, "read", meta.entity(related.entity))


def title(related: Related) -> str:
    meta = context.meta()
    return text_of(related.label) if related.label else text_of(meta.entity(related.entity).label)


def _section(entity: Entity, values: dict, name: str) -> Related:
    """The related section `name` of the form the record is laid out with."""
    form = form_of(context.meta(), entity.name, values)
    for tab in (form.tabs if form else ()):
        for sec in tab.sections:
            if sec.name == name and getattr(sec, "related", None) is not None:
                return sec.related
    abort(404)


def columns(target: Entity, related: Related) -> list[Field]:
    """The columns: the section's, else the related entity's list columns; never the link itself
    (every row names the same record)."""
    cols = [target.field(n) for n in related.columns if target.has(n)] or lists.columns(target)
    return [f for f in cols if f.name != related.link and not f.hidden] or cols


def new_url(related: Related, record_id: int) -> str:
    """The related entity's new-record form with the link to `record_id` filled in."""
    key = related.link if "." not in related.link else related.link.replace(".", ".0.", 1)
    return url_for("records.record_new", entity_name=related.entity) + "?" + urlencode({key: record_id})


def list_url(related: Related, record_id: int) -> str | None:
    """The related entity's list filtered by the link (a top-level link only: lists filter those)."""
    if "." in related.link:
        return None
    return url_for("lists.entity_list", entity_name=related.entity) + "?" + urlencode({f"f.{related.link}": record_id})


@bp.route("/e/<entity_name>/<int:record_id>/related/<section>")
@login_required
def related_view(entity_name: str, record_id: int, section: str):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    record = store.get(entity.name, record_id, actor=current_user.actor)  # 404, or 403 when unreadable
    related = _section(entity, record.values, section)
    target = context.entity_or_404(related.entity)                        # 403 when unreadable
    meta, engine, types = context.meta(), context.engine(), context.types()
    query = Query(target.name, filters=[Filter(related.link, "eq", record_id)], sort=[related.order_by, "-id"],
                  limit=related.limit)
    total = count(engine, meta, query, types, cap=COUNT_CAP)
    rows = find(engine, meta, query, types) if total else []
    cols = columns(target, related)
    display = Display(meta, engine, types)
    display.preload_links(cols, [r.values for r in rows])
    can_create = related.new and store.allowed(current_user.actor, "create", target)
    return render_template("related/list.html", section=section, related=related, target=target, rows=rows,
                           cols=cols, display=display, total=total, total_text=display.count(total, COUNT_CAP),
                           title=title(related), new_url=new_url(related, record_id) if can_create else None,
                           list_url=list_url(related, record_id) if total > len(rows) else None)


# -- the new-record form, pre-filled from the URL ------------------------------------------------
def _link_keys(entity: Entity) -> dict[str, Field]:
    """The query-string keys that may pre-fill a link: `field` or `table.0.column`."""
    keys = {}
    for f in entity.fields:
        if f.type == "link" and not f.is_computed and not f.hidden:
            keys[f.name] = f
        elif f.is_table:
            for c in f.fields:
                if c.type == "link" and not c.hidden:
                    keys[f"{f.name}.0.{c.name}"] = c
    return keys


def prefill(entity: Entity, args) -> dict:
    """Record data from the new-record URL's link parameters (others are ignored), as a form post
    would give them: the store parses and checks them (an id that is no record is an error at the
    field), and the user may still change them."""
    keys = _link_keys(entity)
    given = MultiDict()
    for key in args:
        if key in keys and (value := (args.get(key) or "").strip()):
            given[key] = value[:20]
            table = key.split(".")[0]
            if table != key:
                given[table] = ""                                        # the table's marker
    return formdata.parse_form(entity, given, context.meta()) if given else {}


bp.add_app_template_global(title, "related_title")
