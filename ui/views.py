"""The home page: the entities the user may read, with capped record counts."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from core.query import Query, count

from . import context
from .display import Display

bp = Blueprint("views", __name__)
COUNT_CAP = 10001      # counting stops here; the page shows "10,000+"


@bp.route("/")
@login_required
def home():
    meta = context.meta()
    entities = context.readable(meta)
    engine = context.engine()
    counts = {e.name: count(engine, meta, Query(e.name), context.types(), cap=COUNT_CAP) for e in entities}
    display = Display(meta, engine, context.types()) if meta is not None else None
    shown = {name: display.count(n, COUNT_CAP) for name, n in counts.items()} if display else {}
    return render_template("home.html", entities=entities, counts=shown, installed=context.installed())
