"""Record screens: view, new, edit (with live formulas), delete, history, link picker, code cascade.

Every rule runs on the server: the form posts what the user typed to the live route, which asks
`Store.preview` for computed values, visibility, requirement, read-only state and errors, and
answers with out-of-band fragments (`record_live.html`) that replace only those parts, never an
input the user is typing in. Row actions of child tables (add, remove, move, pick a linked record)
re-render the whole form body. Saving goes through `Store.create/update`, which checks it all again.
See docs/ui.md ("Records") for the ids a browser test can rely on.
"""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from core.compute import is_blank
from core.edit_state import preview_stored
from core.errors import ConflictError, ValidationError
from core.files import attach
from core.products import form_of
from core.query import Query, find
from core.users import list_users
from metadata.model import Entity, Field, Form, Metadata
from metadata.model import text_of as label_in

from . import context, formdata
from .display import Display
from .i18n import current_locale, text_of
from .metacache import cached
from .related import prefill, visible
from .widgets import FormView, pid

bp = Blueprint("records", __name__)
PICK_LIMIT = 20


# -- layout ----------------------------------------------------------------------------------
def _layout(meta: Metadata, entity: Entity, form: Form | None, shown, related=None) -> list[dict]:
    """Tabs of sections of fields, as `form` (the record's: `core.products.form_of`) lays them out;
    fields no section names go in a trailing "Other" section. `shown(field)` decides which fields are
    drawn (never `hidden` ones); `related(r)` which sections of related records (ui/related.py) are
    kept (None: none, as on forms)."""
    tabs = []
    form_tabs, unplaced = _form_layout(meta, entity, form)
    for name, label, sections in form_tabs:
        kept = [{**sec, "fields": fields} for sec in sections
                if (fields := [f for f in sec["fields"] if shown(f)]) or (related and related(sec["related"]))]
        if kept:
            tabs.append({"name": name, "label": label, "sections": kept})
    rest = [f for f in unplaced if shown(f)]
    if rest:
        other = {"name": "other", "label": _("Other"), "columns": 2, "fields": rest}
        if len(tabs) == 1:
            tabs[0]["sections"].append(other)
        else:
            tabs.append({"name": "other", "label": _("Other"), "sections": [other]})
    return tabs


def _form_layout(meta: Metadata, entity: Entity, form: Form | None) -> tuple[list[tuple], list[Field]]:
    """The tabs (name, label, sections) of the form with the fields that exist and are not hidden,
    and the fields no section names: read once per metadata version, form and locale."""
    def read():
        tabs = []
        for tab in (form.tabs if form else ()):
            sections = [{"name": sec.name, "label": text_of(sec.label) if sec.label else "", "columns": sec.columns,
                         "fields": [entity.field(n) for n in sec.fields if _drawn(entity, n)],
                         "related": getattr(sec, "related", None)}
                        for sec in tab.sections]
            tabs.append((tab.name or "main", text_of(tab.label) if tab.label else "", sections))
        if form is None:
            return tabs, [f for f in entity.fields if _drawn(entity, f.name)]
        return tabs, []     # the form's compiler put every field it does not leave off on purpose
    return cached(meta, ("layout", entity.name, form.name if form else "", str(current_locale())), read)


def _drawn(entity: Entity, name: str) -> bool:
    return entity.has(name) and not entity.field(name).hidden


def _preload(display: Display, entity: Entity, values: dict, conn=None) -> None:
    """Read the titles of the records the values link to (through `conn` when given)."""
    display.preload_links([f for f in entity.fields if f.type == "link"], [values], conn)
    for f in entity.fields:
        if f.is_table and any(c.type == "link" for c in f.fields):
            display.preload_links([c for c in f.fields if c.type == "link"], values.get(f.name) or [], conn)


def _user_fields(meta: Metadata, entity: Entity) -> tuple[list, list]:
    """The fields holding a user that record screens draw, and the child columns as (table, column)."""
    return cached(meta, ("user-fields", entity.name), lambda: (
        [f.name for f in entity.fields if f.value_type == "user" and not f.hidden],
        [(f.name, c.name) for f in entity.fields if f.is_table and not f.hidden
         for c in f.fields if c.value_type == "user" and not c.hidden]))


def _names_user(meta: Metadata, entity: Entity, values: dict) -> bool:
    """Whether a user field or child column of the record holds a user."""
    fields, cols = _user_fields(meta, entity)
    return (any(not is_blank(values.get(n)) for n in fields)
            or any(not is_blank(row.get(c)) for t, c in cols for row in values.get(t) or ()))


def _display() -> Display:
    return Display(context.meta(), context.engine(), context.types())


def _actor():
    return current_user.actor


def _can(action: str, entity: Entity) -> bool:
    return context.store().allowed(_actor(), action, entity)


# -- view -------------------------------------------------------------------------------------
def _view_value(display: Display, f: Field, v) -> str:
    """One non-blank value of a plain field or child column on the record view, as HTML."""
    if f.type == "link" and v:
        url = url_for("records.record_view", entity_name=f.entity, record_id=v)
        return f'<a href="{escape(url)}">{escape(display.formatter(f)(v))}</a>'
    return escape(display.formatter(f)(v))


def _view_section(display: Display, section: dict, values: dict) -> Markup:
    """A section of the record view: its plain fields, long texts, then child tables. Everything but
    the values (wrappers, labels, table heads) comes from `_view_plan`; here only values are drawn."""
    fields = section["fields"]
    dl, plain, texts, tables = cached(display.meta, ("view-plan", display.lang, section["columns"], *map(id, fields)),
                                      lambda: _view_plan(display, section["columns"], fields))
    out = []
    if plain:
        out.append(dl)
        for name, head, f in plain:
            v = values.get(name)
            out += (head, "" if is_blank(v) else _view_value(display, f, v), "</dd></div>\n      ")
        out.append("</dl>")
    for name, head, f in texts:
        v = values.get(name)
        out += (head, nl2br(v) if v else "", "</dd></div></dl>")
    for name, (h4, head), cols in tables:
        rows = values.get(name)
        if not rows:
            out += (h4, f'<span class="muted">{escape(_("None"))}</span>')
            continue
        out.append(head)
        for n, row in enumerate(rows, 1):
            out.append(f'\n      <tr><td class="num muted">{n}</td>')
            for col, td, c in cols:
                v = row.get(col)
                out += (td, "" if is_blank(v) else _view_value(display, c, v), "</td>")
            out.append("</tr>\n      ")
        out.append("</tbody>\n    </table>\n    </div>")
    return Markup("".join(out))


def _view_plan(display: Display, columns: int, fields: list[Field]) -> tuple:
    """What a section of the record view draws whatever the record: the list of its plain fields, per
    plain field and long text its wrapper, label and <dd>, per child table its heading and head and
    each column's <td>. Drawn once per metadata version, language and list of fields shown."""
    num, lang = ' class="num"', display.lang

    def label(f: Field) -> str:
        return escape(label_in(f.label, lang))

    plain = [(f.name, f'\n      <div class="field" id="v-{f.name}"><dt>{label(f)}</dt>'
                      f'<dd{num if display.numeric(f) else ""}>', f)
             for f in fields if not f.is_table and f.type != "long_text"]
    texts = [(f.name, f'\n    <dl class="fields cols-1"><div class="field" id="v-{f.name}"><dt>{label(f)}</dt><dd>', f)
             for f in fields if f.type == "long_text"]
    tables = []
    for f in fields:
        if f.is_table:
            cols = [c for c in f.fields if not c.hidden]
            h4 = f"\n    <h4>{label(f)}</h4>\n    "
            head = "".join(f'<th{num if display.numeric(c) else ""}>{label(c)}</th>' for c in cols)
            table = (f'{h4}<div class="scroll">\n    <table class="data compact child" id="view-{f.name}">\n'
                     f'      <thead><tr><th class="num">#</th>{head}</tr></thead>\n      <tbody>')
            tables.append((f.name, (h4, table),
                           [(c.name, '<td class="num">' if display.numeric(c) else "<td>", c) for c in cols]))
    return f'\n    <dl class="fields grid cols-{escape(columns)}">', plain, texts, tables


@bp.route("/e/<entity_name>/<int:record_id>")
@login_required
def record_view(entity_name: str, record_id: int):
    entity = context.entity_or_404(entity_name)
    meta = context.meta()
    with context.engine().connect() as conn:    # the record and what it names: one connection
        record = context.store().get(entity.name, record_id, actor=_actor(), conn=conn)  # NotFound -> 404
        display = _display()
        _preload(display, entity, record.values, conn)
        if _names_user(meta, entity, record.values):
            display.users(conn)

    def shown(f: Field) -> bool:   # a blank field with visible_if is hidden (its value is cleared on save)
        return not (f.visible_if and is_blank(record.values.get(f.name)))

    form = form_of(meta, entity.name, record.values)
    return render_template("record.html", entity=entity, record=record, tabs=_layout(meta, entity, form, shown, visible),
                           display=display, title=display.title(entity, record.values, record.id),
                           view_section=lambda section: _view_section(display, section, record.values),
                           can_update=_can("update", entity), can_delete=_can("delete", entity), tab="record")


# -- history ----------------------------------------------------------------------------------
def _load(f: Field, stored):
    try:
        return context.types().type(f.type).load(stored, f)
    except Exception:  # noqa: BLE001 - history may hold values of an older field type
        return stored


def _fmt(display: Display, f: Field | None, stored) -> str:
    if stored is None or stored == "" or stored == []:
        return ""
    if f is None:
        return stored if isinstance(stored, str) else json.dumps(stored, ensure_ascii=False)
    return display.value(f, _load(f, stored))


def _row_text(display: Display, table: Field, row: dict) -> str:
    parts = []
    for c in table.fields:
        if row.get(c.name) not in (None, "", []):
            parts.append(f"{text_of(c.label)}: {_fmt(display, c, row[c.name])}")
    return "; ".join(parts)


def change_lines(entity: Entity, changes: dict, action: str, display: Display) -> list[dict]:
    """Stored history changes as lines of {label, before, after}, child rows included."""
    lines = []
    for key, change in changes.items():
        f = entity.field(key) if entity.has(key) else None
        label = text_of(f.label) if f else key
        if f is not None and f.is_table:
            if isinstance(change, list):            # create / delete: the whole table
                for i, row in enumerate(change):
                    text = _row_text(display, f, row)
                    lines.append({"label": f"{label} #{i + 1}", "before": text if action == "delete" else "",
                                  "after": "" if action == "delete" else text})
                continue
            if isinstance(change, dict) and ("rows" in change or "added" in change or "removed" in change):
                for i, cols in sorted((change.get("rows") or {}).items(), key=lambda kv: int(kv[0])):
                    for col, (b, a) in cols.items():
                        ch = next((c for c in f.fields if c.name == col), None)
                        lines.append({"label": f"{label} #{int(i) + 1} {text_of(ch.label) if ch else col}",
                                      "before": _fmt(display, ch, b), "after": _fmt(display, ch, a)})
                for row in change.get("added") or []:
                    lines.append({"label": f"{label} + ", "before": "", "after": _row_text(display, f, row)})
                for row in change.get("removed") or []:
                    lines.append({"label": f"{label} − ", "before": _row_text(display, f, row), "after": ""})
                continue
            if isinstance(change, list) and len(change) == 2:
                b, a = change
                lines.append({"label": label, "before": _rows_summary(display, f, b),
                              "after": _rows_summary(display, f, a)})
                continue
        if f is not None and isinstance(change, dict):   # a list of dicts that is no table: attachments
            lines += _list_lines(display, f, label, change)
            continue
        if action == "update" and isinstance(change, list) and len(change) == 2:
            b, a = change
        elif action == "delete":
            b, a = change, None
        else:
            b, a = None, change
        lines.append({"label": label, "before": _fmt(display, f, b), "after": _fmt(display, f, a)})
    return lines


def _list_lines(display: Display, f: Field, label: str, change: dict) -> list[dict]:
    """The lines of a list field's element-wise change (core.history.diff): items added, removed, changed."""
    lines = [{"label": f"{label} + ", "before": "", "after": _fmt(display, f, change["added"])}] \
        if change.get("added") else []
    if change.get("removed"):
        lines.append({"label": f"{label} − ", "before": _fmt(display, f, change["removed"]), "after": ""})
    for i, cols in sorted((change.get("rows") or {}).items(), key=lambda kv: int(kv[0])):
        for key, (b, a) in cols.items():
            lines.append({"label": f"{label} #{int(i) + 1} {key}", "before": _fmt(display, None, b),
                          "after": _fmt(display, None, a)})
    return lines


def _rows_summary(display: Display, f: Field, rows) -> str:
    return " | ".join(_row_text(display, f, r) for r in rows or [])


@bp.route("/e/<entity_name>/<int:record_id>/history")
@login_required
def record_history(entity_name: str, record_id: int):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    record = store.get(entity.name, record_id, actor=_actor())
    display = _display()
    names = {u.username: u.name for u in list_users(context.engine())}
    entries = []
    for h in reversed(store.history(entity.name, record_id)):
        changes = h["changes"] or {}
        for key, change in changes.items():     # titles of linked records named in the changes
            f = entity.field(key) if entity.has(key) else None
            if f is not None and f.type == "link":
                vals = change if isinstance(change, list) and h["action"] == "update" else [change]
                display.preload_links([f], [{f.name: v} for v in vals if isinstance(v, int)])
        entries.append({"action": h["action"], "actor": h["actor"], "actor_name": names.get(h["actor"], h["actor"]),
                        "at": h["at"], "version": h["version"],
                        "lines": change_lines(entity, changes, h["action"], display) if h["action"] != "delete" else []})
    return render_template("record_history.html", entity=entity, record=record, entries=entries, display=display,
                           title=display.title(entity, record.values, record.id), can_update=_can("update", entity),
                           can_delete=_can("delete", entity), tab="history")


# -- forms ------------------------------------------------------------------------------------
def _users_loader(conn=None):
    """The users a form's user selects offer: read when first needed, or at once through `conn`."""
    cache: list = list_users(conn) if conn is not None else []

    def users():
        if not cache:
            cache.extend(list_users(context.engine()))
        return cache
    return users


def _form_view(entity: Entity, data: dict, *, record=None, record_id=None, version=None, show_all=False,
               typing=None, extra_errors=None, conn=None) -> FormView:
    """The form of `data` (or of the stored `record` unchanged); `conn`, the connection the record
    was read with, reads the linked titles and the users offered as well."""
    store, meta = context.store(), context.meta()
    if data or record is None or record.id != record_id:
        p = store.preview(entity.name, data, record_id=record_id, actor=_actor())
    else:   # the stored record unchanged (the edit form's GET): only what may have changed since its save
        p = preview_stored(store, entity.name, record, actor=_actor())
    display = _display()
    _preload(display, entity, p.values, conn)
    fields, cols = _user_fields(meta, entity)
    users = _users_loader(conn if fields or cols else None)
    return FormView(meta, entity, p, data, display=display, users=users, record=record,
                    version=version, show_all=show_all, typing=typing, extra_errors=extra_errors, actor=_actor())


def _form_context(entity: Entity, fc: FormView, *, record=None, autofocus=None) -> dict:
    meta = context.meta()
    form = form_of(meta, entity.name, fc.values)
    return {
        "entity": entity, "fc": fc, "record": record, "pid": pid, "autofocus": autofocus,
        "form_name": form.name if form else "", "tabs": _layout(meta, entity, form, lambda f: True),
        "live_url": live_url(entity),
        "has_files": "files_widget" in current_app.jinja_env.globals,
    }


def _render_form(entity: Entity, fc: FormView, *, record=None, conflict=None, status=200, autofocus=None):
    ctx = _form_context(entity, fc, record=record, autofocus=autofocus)
    if record is not None:
        title = fc.display.title(entity, record.values, record.id)
        save_url = url_for("records.record_edit", entity_name=entity.name, record_id=record.id)
        cancel_url = url_for("records.record_view", entity_name=entity.name, record_id=record.id)
    else:
        title = _("New %(entity)s", entity=text_of(entity.label))
        save_url = url_for("records.record_new", entity_name=entity.name)
        cancel_url = url_for("lists.entity_list", entity_name=entity.name)
    return render_template("record_form.html", title=title, save_url=save_url, cancel_url=cancel_url,
                           conflict=conflict, **ctx), status


def _parse() -> tuple[dict, str | None]:
    entity = context.entity_or_404(request.view_args["entity_name"])
    return formdata.parse_form(entity, request.form, context.meta()), request.form.get("_action")


def _apply(entity: Entity, data: dict, action: str | None):
    if not action:
        return data, None
    try:
        return formdata.apply_action(entity, data, action)
    except formdata.ActionError:
        abort(400)


@bp.route("/e/<entity_name>/new", methods=["GET", "POST"])
@login_required
def record_new(entity_name: str):
    entity = context.entity_or_404(entity_name)
    if request.method == "GET":   # links may come filled in from the URL (a related section's 新建)
        return _render_form(entity, _form_view(entity, prefill(entity, request.args)))
    data, action = _parse()
    if action:
        data, focus = _apply(entity, data, action)
        return _render_form(entity, _form_view(entity, data, show_all=_show_all()), autofocus=focus)
    store = context.store()
    try:
        with store.transaction() as conn:  # the record and its uploads' ownership, together
            rec = store.create(entity.name, data, actor=_actor(), conn=conn)
            attach(conn, entity.name, rec.id, rec.values)
    except ValidationError as e:
        fc = _form_view(entity, data, show_all=True, extra_errors=e.errors)
        return _render_form(entity, fc, status=422)
    flash(_("Saved."), "info")
    return redirect(url_for("records.record_view", entity_name=entity.name, record_id=rec.id))


@bp.route("/e/<entity_name>/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def record_edit(entity_name: str, record_id: int):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    if request.method == "GET":
        with context.engine().connect() as conn:    # the record and what its form names and offers
            record = store.get(entity.name, record_id, actor=_actor(), conn=conn)
            fc = _form_view(entity, {}, record=record, record_id=record_id, version=record.version, conn=conn)
        return _render_form(entity, fc, record=record)
    record = store.get(entity.name, record_id, actor=_actor())
    data, action = _parse()
    version = _int(request.form.get("version")) or record.version
    if action:
        data, focus = _apply(entity, data, action)
        fc = _form_view(entity, data, record=record, record_id=record_id, version=version, show_all=_show_all())
        return _render_form(entity, fc, record=record, autofocus=focus)
    try:
        with store.transaction() as conn:
            rec = store.update(entity.name, record_id, data, version=version, actor=_actor(), conn=conn)
            attach(conn, entity.name, record_id, rec.values)
    except ValidationError as e:
        fc = _form_view(entity, data, record=record, record_id=record_id, version=version, show_all=True,
                        extra_errors=e.errors)
        return _render_form(entity, fc, record=record, status=422)
    except ConflictError as e:
        fc = _form_view(entity, data, record=record, record_id=record_id, version=version)
        return _render_form(entity, fc, record=record, conflict=_conflict(entity, e, fc), status=409)
    flash(_("Saved."), "info")
    return redirect(url_for("records.record_view", entity_name=entity.name, record_id=record_id))


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _show_all() -> bool:
    return request.form.get("_all_errors") == "1"


def _conflict(entity: Entity, e: ConflictError, fc: FormView) -> dict:
    """What the other save changed, beside what this user entered."""
    names = {u.username: u.name for u in list_users(context.engine())}
    rows = []
    for key, change in e.changes.items():
        f = entity.field(key) if entity.has(key) else None
        if key == "(deleted)":
            return {"deleted": True, "by": names.get(e.by, e.by), "version": e.current_version, "rows": []}
        if f is None:
            continue
        for line in change_lines(entity, {key: change}, "update", fc.display):
            yours = ""
            if not f.is_table:
                given, raw = fc.posted(key)
                yours = (", ".join(raw) if isinstance(raw, list) else str(raw or "")) if given else line["before"]
            rows.append({**line, "yours": yours, "table": f.is_table})
    return {"deleted": False, "by": names.get(e.by, e.by) if e.by else None, "version": e.current_version,
            "rows": rows}


# -- live evaluation --------------------------------------------------------------------------
@bp.route("/e/<entity_name>/live", methods=["POST"])
@login_required
def record_live(entity_name: str):
    entity = context.entity_or_404(entity_name)
    record_id = _int(request.form.get("record_id"))
    version = _int(request.form.get("version"))
    data, action = _parse()
    data, focus = _apply(entity, data, action)
    record = context.store().get(entity.name, record_id, actor=_actor()) if record_id else None
    typing = request.form.get("_typing") or None
    fc = _form_view(entity, data, record=record, record_id=record_id, version=version, show_all=_show_all(),
                    typing=typing)
    ctx = _form_context(entity, fc, record=record, autofocus=focus)
    if action:
        return render_template("record_form_body.html", **ctx)
    if request.form.get("_form", ctx["form_name"]) != ctx["form_name"]:   # the product chose another form
        return render_template("record_form_body.html", swap_oob=True, **ctx)
    before_hidden = _paths(request.form.get("_hidden"))
    before_readonly = _paths(request.form.get("_readonly"))
    now_hidden, now_readonly = _paths(fc.hidden_paths()), _paths(fc.readonly_paths())
    changed = set()
    if request.form.get("_hidden") is not None:
        changed |= before_hidden ^ now_hidden
    if request.form.get("_readonly") is not None:
        changed |= before_readonly ^ now_readonly
    changed.discard(typing)
    return render_template("record_live.html", changed=changed, **ctx)


def _paths(s: str | None) -> set[str]:
    return {p for p in (s or "").split(",") if p}


# -- delete -----------------------------------------------------------------------------------
@bp.route("/e/<entity_name>/<int:record_id>/delete", methods=["POST"])
@login_required
def record_delete(entity_name: str, record_id: int):
    entity = context.entity_or_404(entity_name)
    store = context.store()
    version = _int(request.form.get("version"))
    if version is None:
        abort(400)
    try:
        store.delete(entity.name, record_id, version=version, actor=_actor())
    except ConflictError as e:
        flash(_("The record was changed by %(who)s in the meantime (now version %(version)s); "
                "it was not deleted.", who=e.by or "?", version=e.current_version), "error")
        return redirect(url_for("records.record_view", entity_name=entity.name, record_id=record_id))
    flash(_("Deleted."), "info")
    return redirect(url_for("lists.entity_list", entity_name=entity.name))


# -- link picker ------------------------------------------------------------------------------
@bp.route("/pick/<target>")
@login_required
def pick(target: str):
    """Up to 20 records of `target` matching `q` in its search fields, as buttons that set the link
    field `path` of the form of entity `entity` (through the live route)."""
    target_entity = context.entity_or_404(target)
    entity = context.entity_or_404(request.args.get("entity") or "")
    path = request.args.get("path") or ""
    if not _link_path(entity, path, target):
        abort(400)
    q = (request.args.get("q") or "").strip()[:200]
    rows = find(context.engine(), context.meta(), Query(target_entity.name, search=q or None, sort=["-id"],
                                                         limit=PICK_LIMIT), context.types())
    display = _display()
    extra = [target_entity.field(n) for n in target_entity.search_fields
             if target_entity.has(n) and n != target_entity.title_field][:2]
    items = [{"id": r.id, "title": display.title(target_entity, r.values, r.id),
              "extra": " · ".join(display.value(f, r.values.get(f.name)) for f in extra if r.values.get(f.name))}
             for r in rows]
    if request.args.get("format") == "json":
        return jsonify(items)
    return render_template("widgets/pick.html", items=items, path=path, q=q, target=target_entity,
                           live_url=live_url(entity))


def _link_path(entity: Entity, path: str, target: str) -> bool:
    parts = path.split(".")
    if len(parts) == 1:
        return entity.has(path) and entity.field(path).type == "link" and entity.field(path).entity == target
    if len(parts) == 3 and parts[1].isdigit() and entity.has(parts[0]) and entity.field(parts[0]).is_table:
        ch = next((c for c in entity.field(parts[0]).fields if c.name == parts[2]), None)
        return ch is not None and ch.type == "link" and ch.entity == target
    return False


# -- code cascade ------------------------------------------------------------------------------
@bp.route("/codes/<codelist>")
@login_required
def codes(codelist: str):
    """The children of `parent` (roots without it) in a code list: with `format=json`, a list of
    {code, label}; otherwise the next level of a cascading select widget, for the input `_name` at
    depth `_level` (the parent may come as the value of that input, as the select sends it)."""
    meta = context.meta()
    cl = meta.codelists.get(codelist) if meta else None
    if cl is None:
        abort(404)
    name = request.args.get("_name") or ""
    parent = request.args.get("parent")
    if parent is None and name:
        parent = request.args.get(name)
    parent = (parent or "").strip() or None
    if request.args.get("format") == "json":
        return jsonify([{"code": i.code, "label": text_of(i.label)} for i in cl.children(parent) if i.active])
    level = _int(request.args.get("_level")) or 1
    if not name or not all(part.isidentifier() or part.isdigit() for part in name.split(".")):
        abort(400)
    return render_template("widgets/cascade.html", cl=cl, path=name, level=level, parent=parent, pid=pid,
                           label=request.args.get("_label") or "")


@bp.app_template_filter("nl2br")
def nl2br(value: str) -> Markup:
    return Markup("<br>").join(escape(value).split("\n"))


def live_url(entity: Entity) -> str:
    """Where the form's live round trips go: the records' live route, or the studio's form preview
    (which runs the same route on a draft and sets `g.record_live_url`)."""
    return g.get("record_live_url") or url_for("records.record_live", entity_name=entity.name)
