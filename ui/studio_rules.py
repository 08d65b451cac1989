"""The studio's rules editor (docs/studio.md): written to the draft, never straight to staff.

    GET  /studio/rules                 every one of the draft's rules (else the installed ones)
"""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from .studio import _require
from .studio_draft import compiled, current

bp = Blueprint("studio_rules", __name__, url_prefix="/studio/rules")


@bp.route("")
@login_required
def index():
    _require()
    draft = current()
    meta, problems = compiled(draft)
    return render_template("studio/rules.html", draft=draft, items=meta.kinds.get("rules", {}) if meta else {},
                           problems=[str(p) for p in problems])
