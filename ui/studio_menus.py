"""The studio's menu editor (docs/studio.md "Menus"): the side navigation's groups, into the draft.

    GET  /studio/menus     the `main` menu: its groups (label, order) and where each entity is
    POST /studio/menus     save them all (positions are numbers: keyboard-friendly ordering)

Entities left out of every group follow the groups under "Other" in the navigation.
"""
from __future__ import annotations

import re

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_pack
from metadata.menu import MAIN

from .studio import _require
from .studio_draft import change, pack, problems_for
from .studio_entities import _meta

bp = Blueprint("studio_menus", __name__, url_prefix="/studio/menus")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
NEW = "new"             # the row of a group being added


def _rows(meta):
    """The form's rows from the draft's menu: groups, and each entity's group and position."""
    menu = meta.kinds.get("menus", {}).get(MAIN) if meta else None
    groups = [{"key": str(i), "name": g.name, "zh": g.label.get("zh", ""), "en": g.label.get("en", ""),
               "pos": i + 1} for i, g in enumerate(menu.groups if menu else ())]
    placed = {e: (g.name, j + 1) for g in (menu.groups if menu else ()) for j, e in enumerate(g.entities)}
    entities = [{"name": n, "label": e.label, "group": placed.get(n, ("", ""))[0], "pos": placed.get(n, ("", ""))[1]}
                for n, e in sorted(meta.entities.items())] if meta else []
    return groups, entities


@bp.route("")
@login_required
def menus():
    _require()
    meta, problems = _meta()
    groups, entities = _rows(meta)
    return render_template("studio/menus.html", groups=groups, entities=entities, errors={},
                           problems=problems_for(problems, f"menus/{MAIN}.yaml"))


@bp.route("", methods=["POST"])
@login_required
def save():
    _require()
    meta, problems = _meta()
    form = request.form
    groups, entities, errors = _read(form, meta)
    if errors:
        return render_template("studio/menus.html", groups=groups, entities=entities, errors=errors,
                               problems=problems_for(problems, f"menus/{MAIN}.yaml")), 422
    kept = sorted((g for g in groups if g["name"] and not g.get("remove")), key=lambda g: g["pos"])
    spec = [{"name": g["name"], "label": {"zh": g["zh"], **({"en": g["en"]} if g["en"] else {})},
             "entities": [e["name"] for e in sorted((e for e in entities if e["group"] == g["name"]),
                                                   key=lambda e: (e["pos"], e["name"]))]} for g in kept]
    change(lambda s, m: studio_pack.put_menu_groups(s, pack(), m, MAIN, spec))
    return redirect(url_for("studio_menus.menus"))


def _read(form, meta):
    errors: dict[str, str] = {}
    keys = sorted({k.split("-")[1] for k in form if k.startswith("g-")})
    groups = []
    for key in keys:
        g = {"key": key, "name": form.get(f"g-{key}-name", "").strip(), "zh": form.get(f"g-{key}-zh", "").strip(),
             "en": form.get(f"g-{key}-en", "").strip(), "remove": bool(form.get(f"g-{key}-remove")),
             "pos": form.get(f"g-{key}-pos", "").strip()}
        groups.append(g)
        if key == NEW and not g["name"]:
            continue
        if not NAME.match(g["name"]) or len(g["name"]) > 63:
            errors[f"g-{key}-name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif sum(1 for o in groups if o["name"] == g["name"]) > 1:
            errors[f"g-{key}-name"] = _("Two groups have this name.")
        if not g["zh"] and not g["remove"]:
            errors[f"g-{key}-zh"] = _("Give the Chinese label.")
        g["pos"] = _number(g["pos"], f"g-{key}-pos", errors, default=len(keys) + 1)
    names = {g["name"] for g in groups if g["name"] and not g["remove"]}
    removed = {g["name"] for g in groups if g["remove"]}          # their entities are left unplaced
    entities = []
    for n, e in sorted((meta.entities if meta else {}).items()):
        row = {"name": n, "label": e.label, "group": form.get(f"e-{n}-group", ""), "pos": form.get(f"e-{n}-pos", "")}
        entities.append(row)
        if row["group"] in removed:
            row["group"] = ""
        if row["group"] and row["group"] not in names:
            errors[f"e-{n}-group"] = _("Choose one of the groups.")
        row["pos"] = _number(row["pos"], f"e-{n}-pos", errors, default=999)
    return groups, entities, errors


def _number(raw: str, key: str, errors: dict, default: int):
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        errors[key] = _("Enter a whole number.")
        return raw
