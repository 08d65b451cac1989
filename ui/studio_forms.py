"""The studio's form layout editor and form preview (docs/studio.md): written to the draft, never
straight to staff. Layout edits are pure functions of the pack in core/studio_forms.py.

    GET  /studio/forms                                  every form (the draft's, else the installed ones)
    POST /studio/forms                                  a new form of an entity (the studio's own)
    GET  /studio/forms/<f>                              its tabs → sections → fields; fields not on it
    POST /studio/forms/<f>/tabs                         add a tab (with a first section)
    POST /studio/forms/<f>/tabs/<t>                     relabel a tab
    POST /studio/forms/<f>/tabs/<t>/sections            add a section to a tab
    POST /studio/forms/<f>/sections/<s>                 relabel a section, set its columns
    POST /studio/forms/<f>/sections/<s>/fields          place a field of the entity last in a section
    POST /studio/forms/<f>/{tabs,sections,fields}/<x>/remove       take it off the form
    POST /studio/forms/<f>/{tabs,sections,fields}/<x>/move?step=up|down   reorder (over edges too)
    GET  /studio/forms/<f>/preview                      the new-record screen from the draft's metadata
    POST /studio/forms/<f>/preview                      the same with what was typed: nothing is saved
    POST /studio/forms/<f>/preview/<entity>/live        the records' live round trip, on the draft

Tabs and sections keep their names (overlays and extending forms name them); "rename" sets labels.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from types import MappingProxyType

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from core import metastore, studio_forms as sf
from core.store import Store
from core.studio_pack import defines, read

from . import context, formdata, records
from .i18n import text_of
from .studio import _require
from .studio_draft import change, compiled, current, pack, problems_for

bp = Blueprint("studio_forms", __name__, url_prefix="/studio/forms")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
STEPS = {"up": -1, "down": 1}
KINDS = {"tabs": "tab", "sections": "section", "fields": "field"}
REMOVE = {"tabs": sf.remove_tab, "sections": sf.remove_section, "fields": sf.remove_field}
MOVE = {"tabs": sf.move_tab, "sections": sf.move_section, "fields": sf.move_field}


def _meta():
    meta, problems = compiled(current())
    return (meta or context.meta()), problems


def _sources() -> list:
    draft = current()
    return list(draft.sources if draft else context.installed().sources)


def _tabs(meta, name: str) -> list[dict]:
    try:
        return sf.layout(_sources(), pack(), meta, name)
    except KeyError:
        abort(404)


def _save(name: str, edit, focus: str = "", anchor: str = ""):
    """Apply `edit(sources, pack, meta)` to the draft and go back to the form's page."""
    change(lambda s, m: edit(s, pack(), m))
    return redirect(url_for(".form", name=name, **({"focus": focus} if focus else {}))
                    + (f"#{anchor}" if anchor else ""))


# -- the list, a new form ----------------------------------------------------------------------------

@bp.route("")
@login_required
def index():
    _require()
    return _index({}, {})


def _index(errors: dict, posted, status: int = 200):
    meta, problems = _meta()
    entities = sorted((n, f"{text_of(e.label)} ({n})") for n, e in (meta.entities if meta else {}).items())
    return render_template("studio/forms.html", draft=current(), items=meta.forms if meta else {},
                           entities=entities, errors=errors, posted=posted,
                           problems=[str(p) for p in problems]), status


@bp.route("", methods=["POST"])
@login_required
def create():
    _require()
    meta, _problems = _meta()
    posted = request.form
    name, entity = posted.get("name", "").strip(), posted.get("entity", "")
    errors = {}
    if not NAME.match(name):
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif (meta is not None and name in meta.forms) or sf.owned(_sources(), pack(), name):
        errors["name"] = _("A form of this name exists.")
    if meta is None or entity not in meta.entities:
        errors["entity"] = _("Choose the entity the form edits.")
    label, label_error = _label(posted)
    errors.update(label_error)
    if errors:
        return _index(errors, posted, 422)
    return _save(name, lambda s, p, m: sf.create_form(s, p, name, entity, label))


# -- the layout --------------------------------------------------------------------------------------

@bp.route("/<name>")
@login_required
def form(name: str):
    _require()
    return _page(name)


def _page(name: str, errors: dict | None = None, target: str = "", status: int = 200):
    """The form's layout page; on bad input `errors` of the sub-form `target`, with what it posted."""
    meta, problems = _meta()
    tabs = _tabs(meta, name)
    compiled_form = meta.forms.get(name) if meta else None
    entity_name = compiled_form.entity if compiled_form else _own_entity(name)
    entity = meta.entities.get(entity_name) if meta else None
    on_form = set(sf.placed(tabs))
    other = sf.other_section(compiled_form) if compiled_form else None
    unplaced = [(f, other is not None and f.name in other.fields)
                for f in (entity.fields if entity else ()) if not f.hidden and f.name not in on_form]
    mine = problems_for(problems, sf.path_of(name)) + problems_for(problems, sf.reset_path_of(name))
    return render_template("studio/form.html", name=name, form=compiled_form, entity=entity, tabs=tabs,
                           owned=sf.owned(_sources(), pack(), name), unplaced=unplaced, draft=current(),
                           problems=mine, errors=errors or {}, target=target,
                           posted=request.form if errors else {}, focus=request.args.get("focus", ""),
                           field_options=[(f.name, f"{text_of(f.label)} ({f.name})") for f, _other in unplaced],
                           can_move_section=sf.can_move_section, can_move_field=sf.can_move_field), status


def _own_entity(name: str) -> str:
    """The entity of the studio's own form (when the draft does not compile), else ""."""
    doc = read(_sources(), pack(), sf.path_of(name))
    return doc.get("entity", "") if defines(doc) else ""


@bp.route("/<name>/tabs", methods=["POST"])
@login_required
def add_tab(name: str):
    _require()
    meta, _problems = _meta()
    tabs = _tabs(meta, name)
    tab = request.form.get("name", "").strip()
    errors = _name_errors(tab, sf.names(tabs))
    label, label_error = _label(request.form)
    errors.update(label_error)
    if errors:
        return _page(name, errors, "add-tab", 422)
    return _save(name, lambda s, p, m: sf.add_tab(s, p, m, name, tab, label), anchor=f"tab-{tab}")


@bp.route("/<name>/tabs/<tab>", methods=["POST"])
@login_required
def relabel_tab(name: str, tab: str):
    _require()
    meta, _problems = _meta()
    if tab not in {t["name"] for t in _tabs(meta, name)}:
        abort(404)
    label, errors = _label(request.form)
    if errors:
        return _page(name, errors, f"tab-{tab}", 422)
    return _save(name, lambda s, p, m: sf.relabel_tab(s, p, m, name, tab, label), anchor=f"tab-{tab}")


@bp.route("/<name>/tabs/<tab>/sections", methods=["POST"])
@login_required
def add_section(name: str, tab: str):
    _require()
    meta, _problems = _meta()
    tabs = _tabs(meta, name)
    if tab not in {t["name"] for t in tabs}:
        abort(404)
    section = request.form.get("name", "").strip()
    errors = _name_errors(section, sf.names(tabs))
    label, label_error = _label(request.form)
    columns, columns_error = _columns(request.form)
    errors.update(label_error, **columns_error)
    if errors:
        return _page(name, errors, f"add-section-{tab}", 422)
    return _save(name, lambda s, p, m: sf.add_section(s, p, m, name, tab, section, label, columns),
                 anchor=f"section-{section}")


@bp.route("/<name>/sections/<section>", methods=["POST"])
@login_required
def change_section(name: str, section: str):
    _require()
    meta, _problems = _meta()
    found = next((s for s in sf.sections(_tabs(meta, name)) if s["name"] == section), None)
    if found is None:
        abort(404)
    label, errors = _label(request.form)
    columns, columns_error = _columns(request.form) if "fields" in found else (None, {})
    errors.update(columns_error)
    if errors:
        return _page(name, errors, f"section-{section}", 422)
    return _save(name, lambda s, p, m: sf.change_section(s, p, m, name, section, label, columns),
                 anchor=f"section-{section}")


@bp.route("/<name>/sections/<section>/fields", methods=["POST"])
@login_required
def add_field(name: str, section: str):
    _require()
    meta, _problems = _meta()
    tabs = _tabs(meta, name)
    found = next((s for s in sf.sections(tabs) if s["name"] == section and "fields" in s), None)
    if found is None:
        abort(404)
    field = request.form.get("field", "")
    entity = meta.entities.get(meta.forms[name].entity) if meta and name in meta.forms else None
    if entity is None or not entity.has(field) or entity.field(field).hidden:
        return _page(name, {"field": _("Choose a field of the entity.")}, f"add-field-{section}", 422)
    if field in sf.placed(tabs):
        return _page(name, {"field": _("This field is on the form already.")}, f"add-field-{section}", 422)
    return _save(name, lambda s, p, m: sf.add_field(s, p, m, name, section, field), anchor=f"ff-{field}")


@bp.route("/<name>/<any(tabs, sections, fields):kind>/<item>/remove", methods=["POST"])
@login_required
def remove(name: str, kind: str, item: str):
    _require()
    meta, _problems = _meta()
    tabs = _tabs(meta, name)
    if item not in _items(tabs, kind):
        abort(404)
    if (kind == "tabs" and len(tabs) == 1) or (kind == "sections" and len(sf.sections(tabs)) == 1):
        message = _("A form keeps at least one tab and one section.")
        return _page(name, {"remove": message}, f"{KINDS[kind]}-{item}", 422)
    return _save(name, lambda s, p, m: REMOVE[kind](s, p, m, name, item))


@bp.route("/<name>/<any(tabs, sections, fields):kind>/<item>/move", methods=["POST"])
@login_required
def move(name: str, kind: str, item: str):
    _require()
    meta, _problems = _meta()
    step = request.args.get("step", "")
    if item not in _items(_tabs(meta, name), kind) or step not in STEPS:
        abort(404)
    # no #anchor: browsers skip autofocus on a page opened at a fragment (the focus scrolls to it)
    return _save(name, lambda s, p, m: MOVE[kind](s, p, m, name, item, STEPS[step]),
                 focus=f"{step}-{KINDS[kind]}-{item}")


def _items(tabs: list[dict], kind: str) -> list[str]:
    if kind == "tabs":
        return [t["name"] for t in tabs]
    return [s["name"] for s in sf.sections(tabs)] if kind == "sections" else sf.placed(tabs)


def _name_errors(name: str, taken: set[str]) -> dict:
    if not NAME.match(name):
        return {"name": _("A name is lower-case letters, digits and _, starting with a letter.")}
    if name in taken:
        return {"name": _("A tab or section of this name is on the form.")}
    return {}


def _label(posted) -> tuple[dict, dict]:
    zh, en = posted.get("label_zh", "").strip(), posted.get("label_en", "").strip()
    if not zh:
        return {}, {"label_zh": _("Give the Chinese label.")}
    return {"zh": zh, **({"en": en} if en else {})}, {}


def _columns(posted) -> tuple[int | None, dict]:
    raw = posted.get("columns", "").strip()
    if raw not in ("1", "2", "3", "4"):
        return None, {"columns": _("Choose 1 to 4 columns.")}
    return int(raw), {}


# -- the preview -------------------------------------------------------------------------------------

_previews: dict = {}     # (draft metadata, form) -> that metadata with the form as its entity's


def _preview_meta(name: str):
    """The draft's metadata in which `name` is its entity's form, and that entity (404: no such form)."""
    meta, problems = compiled(current())
    if meta is None:
        return None, None, problems
    if name not in meta.forms:
        abort(404)
    form = meta.forms[name]
    key = (id(meta), name)
    if key not in _previews:
        if len(_previews) >= 8:
            _previews.clear()
        _previews[key] = (meta, replace(meta, forms=MappingProxyType({**meta.forms, form.entity: form})))
    return _previews[key][1], _previews[key][1].entity(form.entity), problems


@contextmanager
def _as_installed(meta):
    """The records screens read the request's metadata and store (ui.context): the draft's here."""
    real = context.installed()
    saved = {k: g.pop(k) for k in ("installed", "store") if k in g}
    ext = current_app.extensions["danbao"]
    g.installed = replace(real, meta=meta) if real else metastore.Installed(0, meta, ())
    g.store = Store(ext.engine, meta, clock=ext.clock, registry=ext.registry, meta_version=None)
    try:
        yield
    finally:
        g.pop("installed", None)
        g.pop("store", None)
        for k, v in saved.items():
            setattr(g, k, v)


@bp.route("/<name>/preview", methods=["GET", "POST"])
@login_required
def preview(name: str):
    _require()
    meta, entity, problems = _preview_meta(name)
    if meta is None:
        return render_template("studio/form_preview.html", name=name, body=None, problems=[str(p) for p in problems],
                               draft=current())
    live_url = g.record_live_url = url_for(".preview_live", name=name, entity_name=entity.name)
    with _as_installed(meta):
        if request.method == "POST":     # submitted: the rules' verdict on what was typed, nothing saved
            data = formdata.parse_form(entity, request.form, meta)
            fc = records._form_view(entity, data, show_all=True)
        else:
            fc = records._form_view(entity, {})
        body = render_template("record_form_body.html", **records._form_context(entity, fc))
    return render_template("studio/form_preview.html", name=name, form=meta.forms[entity.name], entity=entity,
                           body=Markup(body), live_url=live_url, submitted=request.method == "POST",
                           problems=[], draft=current())


@bp.route("/<name>/preview/<entity_name>/live", methods=["POST"])
@login_required
def preview_live(name: str, entity_name: str):
    """The records' own live route, run on the draft's metadata; what it draws posts back here."""
    _require()
    meta, entity, _problems = _preview_meta(name)
    if meta is None or entity.name != entity_name:
        abort(404)
    g.record_live_url = url_for(".preview_live", name=name, entity_name=entity_name)
    with _as_installed(meta):
        return records.record_live(entity_name)
