"""The studio's code-list editor (docs/studio.md): code lists and their entries, written to the draft.

    GET  /studio/codelists                 every code list (the draft's, else the installed ones); a form
                                           for a new one
    POST /studio/codelists                 create a code list (name, label) and go to it
    GET  /studio/codelists/<name>          its entries as a tree, the draft's problems in its file, the
                                           form for a new entry (?edit=<code>: the form for that entry)
    POST /studio/codelists/<name>          relabel the list
    POST /studio/codelists/<name>/items    save one entry (code is the key: `mode` new adds, edit changes)

Entries are never deleted (old records keep their codes): an entry is deactivated by saving it with
"active" unchecked. A list of another pack is changed by overlay (core.studio_pack); there the parent
of that pack's entries stays as it is. Nothing reaches staff until the draft is published.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_pack

from . import context
from .studio import _require
from .studio_draft import change, compiled, current, pack, problems_for

bp = Blueprint("studio_codelists", __name__, url_prefix="/studio/codelists")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$")


def _state():
    """(draft, metadata, problems): the draft's metadata, or what is installed when the draft does not
    compile (edits then build on that) or there is no draft."""
    draft = current()
    meta, problems = compiled(draft)
    return draft, meta or context.meta(), problems


def _label(zh: str, en: str) -> dict:
    return {"zh": zh, **({"en": en} if en else {})}


def _form() -> dict:
    return {k: request.form.get(k, "").strip() for k in ("name", "code", "zh", "en", "parent", "mode")}


@bp.route("")
@login_required
def codelists():
    _require()
    return _list_page({}, {})


def _list_page(form, errors, status=200):
    draft, meta, problems = _state()
    return render_template("studio/codelists.html", draft=draft, codelists=meta.codelists if meta else {},
                           problems=[str(p) for p in problems], form=form, errors=errors), status


@bp.route("", methods=["POST"])
@login_required
def create():
    _require()
    _draft, meta, _problems = _state()
    form, errors = _form(), {}
    if not NAME.match(form["name"]):
        errors["name"] = _("A name starts with a lower-case letter and has only lower-case letters, digits "
                           "and _ (at most 63).")
    elif meta is not None and form["name"] in meta.codelists:
        errors["name"] = _("A code list with this name exists already.")
    if not form["zh"]:
        errors["zh"] = _("The Chinese label is required.")
    if errors:
        return _list_page(form, errors, 422)
    change(lambda s, m: studio_pack.put_codelist(s, pack(), m, form["name"], _label(form["zh"], form["en"])))
    flash(_("Code list %(n)s created in the draft.", n=form["name"]), "info")
    return redirect(url_for(".codelist", name=form["name"]))


def _rows(cl) -> list[tuple]:
    """(item, depth) in tree order; entries whose parent is missing come last, at the top level."""
    rows, seen = [], set()

    def walk(parent, depth):
        for item in cl.children(parent):
            if item.code not in seen:
                seen.add(item.code)
                rows.append((item, depth))
                walk(item.code, depth + 1)
    walk(None, 0)
    return rows + [(i, 0) for i in cl.items if i.code not in seen]


def _below(cl, code: str) -> set[str]:
    """`code` and every entry under it (not offered as its parent: no cycles)."""
    out, todo = set(), [code]
    while todo:
        c = todo.pop()
        out.add(c)
        todo += [i.code for i in cl.children(c) if i.code not in out]
    return out


def _movable(draft, cl) -> set[str] | None:
    """The codes whose parent this studio may set (None: all, the list is the studio pack's own)."""
    sources = draft.sources if draft else (context.installed().sources if context.installed() else [])
    path = f"codelists/{cl.name}.yaml"
    doc = studio_pack.read(sources, pack(), path) or {}
    if studio_pack.defines(doc):
        return None
    return {str(i["code"]) for i in doc.get("add_items") or []}


def _codelist(meta, name: str):
    if meta is None or name not in meta.codelists:
        abort(404)
    return meta.codelist(name)


def _page(name, form=None, errors=None, status=200):
    draft, meta, problems = _state()
    cl = _codelist(meta, name)
    label_form = {"zh": cl.label.get("zh", ""), "en": cl.label.get("en", "")}
    if form is None:                    # a fresh page: the form of ?edit=<code>, else for a new entry
        item = cl.get(request.args.get("edit", ""))
        form = {"mode": "new", "active": True} if item is None else {
            "mode": "edit", "code": item.code, "zh": item.label.get("zh", ""), "en": item.label.get("en", ""),
            "parent": item.parent or "", "active": item.active}
    elif form["mode"] == "label":
        label_form, form = form, {"mode": "new", "active": True}
    editing = cl.get(form.get("code", "")) if form["mode"] == "edit" else None
    movable = _movable(draft, cl)
    below = _below(cl, editing.code) if editing else set()
    rows = _rows(cl)
    return render_template("studio/codelist.html", draft=draft, cl=cl, rows=rows, editing=editing, form=form,
                           label_form=label_form, errors=errors or {},
                           parents=[(i, d) for i, d in rows if i.code not in below],
                           parent_fixed=editing is not None and movable is not None and editing.code not in movable,
                           problems=problems_for(problems, f"codelists/{name}.yaml"),
                           broken=draft is not None and bool(problems)), status


@bp.route("/<name>")
@login_required
def codelist(name):
    _require()
    return _page(name)


@bp.route("/<name>", methods=["POST"])
@login_required
def relabel(name):
    _require()
    _codelist(_state()[1], name)
    form = {**_form(), "mode": "label"}
    if not form["zh"]:
        return _page(name, form, {"label_zh": _("The Chinese label is required.")}, 422)
    change(lambda s, m: studio_pack.put_codelist(s, pack(), m, name, _label(form["zh"], form["en"])))
    flash(_("The label was saved in the draft."), "info")
    return redirect(url_for(".codelist", name=name))


@bp.route("/<name>/items", methods=["POST"])
@login_required
def save_item(name):
    _require()
    draft, meta, _problems = _state()
    cl = _codelist(meta, name)
    form = {**_form(), "active": request.form.get("active") == "1"}
    form["mode"] = "edit" if form["mode"] == "edit" else "new"
    existing = cl.get(form["code"])
    errors = {}
    if form["mode"] == "edit":
        if existing is None:
            abort(404)
        movable = _movable(draft, cl)
        if movable is not None and existing.code not in movable:
            form["parent"] = existing.parent or ""     # another pack's entry keeps its place
    elif not CODE.match(form["code"]):
        errors["item_code"] = _("A code has letters, digits, _ . or - (at most 63) and starts with a letter or digit.")
    elif existing is not None:
        errors["item_code"] = _("This code exists already: edit its entry instead.")
    if not form["zh"]:
        errors["item_zh"] = _("The Chinese label is required.")
    if form["parent"] and (cl.get(form["parent"]) is None
                           or (existing is not None and form["parent"] in _below(cl, existing.code))):
        errors["item_parent"] = _("Choose an entry of this list that is not this entry or below it.")
    if errors:
        return _page(name, form, errors, 422)
    item = {"code": form["code"], "label": _label(form["zh"], form["en"]), "parent": form["parent"] or None,
            "active": form["active"]}
    change(lambda s, m: studio_pack.put_item(s, pack(), m, name, item))
    flash(_("Entry %(c)s saved in the draft.", c=form["code"]), "info")
    return redirect(url_for(".codelist", name=name) + f"#item-{form['code']}")
