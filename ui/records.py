"""A record's page, laid out by the entity's form."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from markupsafe import Markup

from metadata.model import Entity, Metadata, text_of

from . import context
from .display import Display

bp = Blueprint("records", __name__)


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
    entity = context.entity_or_404(entity_name)
    meta, engine = context.meta(), context.engine()
    record = context.store().get(entity.name, record_id, actor=current_user.actor)  # NotFound -> 404
    display = Display(meta, engine, context.types())
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
