"""The studio's workflows editor (docs/studio.md): written to the draft, never straight to staff.

    GET  /studio/workflows                 every one of the draft's workflows (else the installed ones)
"""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from .studio import _require
from .studio_draft import compiled, current

bp = Blueprint("studio_workflows", __name__, url_prefix="/studio/workflows")


@bp.route("")
@login_required
def index():
    _require()
    draft = current()
    meta, problems = compiled(draft)
    return render_template("studio/workflows.html", draft=draft, items=meta.kinds.get("workflows", {}) if meta else {},
                           problems=[str(p) for p in problems])
