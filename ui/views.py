"""The home page."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from core.query import Query, count

from . import context

bp = Blueprint("views", __name__)


@bp.route("/")
@login_required
def home():
    meta = context.meta()
    entities = context.readable(meta)
    engine = context.engine()
    counts = {e.name: count(engine, meta, Query(e.name), context.types()) for e in entities}
    return render_template("home.html", entities=entities, counts=counts, installed=context.installed())
