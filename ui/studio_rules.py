"""The studio's warning-rule editor (docs/rules.md, docs/studio.md): written to the draft, never
straight to staff.

    GET  /studio/rules                      every rule of the draft (else the installed ones), on or off
    GET  /studio/rules/new                  the form for a new rule
    GET  /studio/rules/<r>                  the form for a rule; the draft's problems in its file
    POST /studio/rules                      save a rule (new, or `original` names it); `add` asks for
                                            one more recipient row (nothing saved)
    POST /studio/rules/<r>/enabled          turn it on (`enabled=1`) or off
    POST /studio/rules/<r>/remove           delete a rule made in the studio (others are turned off)

Every formula (condition, key, each `{{ … }}` of the message, formula recipients) is checked with
the pack loader's static checks against the draft's entity before it is saved.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_rules
from metadata.formulas import formula_problems
from metadata.rule import LEVELS, PLACEHOLDER

from .i18n import N_, text_of
from .studio import _require
from .studio_draft import change, current, pack, problems_for
from .studio_entities import NAME, _label, _meta, formula_functions
from .studio_formula import names
from .studio_scorecards import rows, with_blank

bp = Blueprint("studio_rules", __name__, url_prefix="/studio/rules")
LEVEL_LABELS = {"red": N_("Red"), "orange": N_("Orange"), "yellow": N_("Yellow"), "blue": N_("Blue")}
RECIPIENT_KINDS = {"role": N_("Role"), "position": N_("Position"), "field": N_("User field of the record"),
                   "creator": N_("Creator of the record"), "department_head": N_("Head of the creator's department"),
                   "users": N_("Users"), "formula": N_("Formula giving users")}
LISTS = ("role", "position", "users")           # several values, separated by commas
RECIPIENT = ("kind", "value", "department")


def _rules(meta) -> dict:
    return meta.kinds.get("rules", {}) if meta else {}


def _rule(meta, name: str):
    rule = _rules(meta).get(name)
    if rule is None:
        abort(404)
    return rule


@bp.route("")
@login_required
def index():
    _require()
    meta, problems = _meta()
    return render_template("studio/rules.html", draft=current(), items=_rules(meta), pack=pack(),
                           problems=[str(p) for p in problems], levels=LEVEL_LABELS)


@bp.route("/new")
@login_required
def new():
    _require()
    meta, _problems = _meta()
    return _form(meta, None, {"level": "orange", "runs": ["daily"], "recipients": []}, {})


@bp.route("/<name>")
@login_required
def rule(name: str):
    _require()
    meta, _problems = _meta()
    current_rule = _rule(meta, name)
    return _form(meta, current_rule, studio_rules.rule_spec(current_rule), {})


def _form(meta, current_rule, spec, errors, status=200, typed=None, add=None):
    """The rule's form; `typed`: the recipient rows as typed (errors name them by number)."""
    entity = spec.get("entity")
    steps = [(s.name, f"{w.name}: {s.name}") for w in meta.kinds.get("workflows", {}).values()
             if w.entity == entity for s in w.steps]
    problems = problems_for(_meta()[1], f"rules/{current_rule.name}.yaml") if current_rule else []
    rows_of = typed or {"recipients": [_row(r) for r in spec.get("recipients") or []],
                        "escalate": [_row(r) for r in (spec.get("escalate") or {}).get("to") or []]}
    return render_template(
        "studio/rule.html", rule=current_rule, spec=spec, errors=errors, problems=problems,
        own=current_rule is None or current_rule.pack == pack(),
        entities=[(n, f"{text_of(e.label)} ({n})") for n, e in sorted(meta.entities.items())],
        entity_names=set(meta.entities), functions=formula_functions(),
        fields=meta.entity(spec["entity"]).fields if spec.get("entity") in meta.entities else (), levels=[(v, _(LEVEL_LABELS[v])) for v in LEVELS], kinds=[(k, _(t)) for k, t in RECIPIENT_KINDS.items()],
        steps=steps, recipients={key: with_blank(items, add == key) for key, items in rows_of.items()}), status


def _row(recipient: dict) -> dict:
    """A recipient as the form's row: kind, value (lists joined by commas), department."""
    department = recipient.get("department")
    (kind, value), = ((k, v) for k, v in recipient.items() if k != "department")
    if kind in ("creator", "department_head"):
        value = ""
    elif isinstance(value, list):
        value = ", ".join(value)
    return {"kind": kind, "value": value, "department": department or ""}


@bp.route("", methods=["POST"])
@login_required
def save():
    _require()
    meta, _problems = _meta()
    original = request.form.get("original") or None
    old = _rule(meta, original) if original else None
    spec, errors = _spec(request.form, meta, old)
    typed = {key: [row for _n, row in rows(request.form, key, RECIPIENT)] for key in ("recipients", "escalate")}
    add = request.form.get("add")
    if add in ("recipients", "escalate"):                # one more row: the form again, nothing saved
        return _form(meta, old, spec, {}, typed=typed, add=add)
    if errors:
        return _form(meta, old, spec, errors, 422, typed=typed)
    change(lambda s, m: studio_rules.put_rule(s, pack(), m, spec))
    return redirect(url_for("studio_rules.rule", name=spec["name"]))


@bp.route("/<name>/enabled", methods=["POST"])
@login_required
def enabled(name: str):
    _require()
    meta, _problems = _meta()
    _rule(meta, name)
    on = request.form.get("enabled") == "1"
    change(lambda s, m: studio_rules.set_enabled(s, pack(), m, name, on))
    return redirect(url_for("studio_rules.index") + f"#rule-{name}")


@bp.route("/<name>/remove", methods=["POST"])
@login_required
def remove(name: str):
    _require()
    meta, _problems = _meta()
    if _rule(meta, name).pack != pack():
        abort(404)                                      # another pack's rule is turned off, not deleted
    change(lambda s, m: studio_rules.remove_rule(s, pack(), name))
    return redirect(url_for("studio_rules.index"))


def _spec(form, meta, old) -> tuple[dict, dict]:
    """The rule from the form, and the errors by input name."""
    errors: dict[str, str] = {}
    name = old.name if old else form.get("name", "").strip()
    if not old:
        if not NAME.match(name) or len(name) > 63:
            errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif name in _rules(meta):
            errors["name"] = _("A rule of this name exists.")
    own = old is None or old.pack == pack()
    entity = form.get("entity", "") if own else old.entity
    if entity not in meta.entities:
        errors["entity"] = _("Choose the entity the rule watches.")
    spec: dict = {"name": name, "label": _label(form, "label"), "entity": entity,
                  "condition": form.get("condition", "").strip(), "level": form.get("level", ""),
                  "message": _label(form, "message")}
    if form.get("description_zh", "").strip():
        spec["description"] = _label(form, "description")
    for key, text in (("label_zh", _("Give the Chinese label.")), ("message_zh", _("Give the Chinese message."))):
        if not form.get(key, "").strip():
            errors[key] = text
    if spec["level"] not in LEVELS:
        errors["level"] = _("Choose a level.")
    check = _checker(meta, entity, errors)
    if not spec["condition"]:
        errors["condition"] = _("Give the condition.")
    else:
        check(spec["condition"], "condition")
    for locale in spec["message"]:
        _check_message(spec["message"][locale], f"message_{locale}", check, errors)
    spec["recipients"] = _recipients(form, "recipients", meta, entity, check, errors)
    if not spec["recipients"]:
        errors.setdefault("recipients-0-kind", _("Name at least one recipient."))
    runs = [r for r in ("daily", "save") if form.get(f"run_{r}")] + [{"step": s} for s in form.getlist("step")]
    if not runs:
        errors["runs"] = _("Choose when the rule runs.")
    if runs != ["daily"]:
        spec["runs"] = runs
    _escalation(form, spec, meta, entity, check, errors)
    if form.get("key", "").strip():
        spec["key"] = form["key"].strip()
        check(spec["key"], "key")
    if not form.get("enabled"):
        spec["enabled"] = False
    return spec, errors


def _checker(meta, entity: str, errors: dict):
    """check(formula, input name): the loader's static checks, the first problem beside the input."""
    if entity not in meta.entities:
        return lambda text, key: None
    allowed = names(meta, meta.entity(entity))

    def check(text: str, key: str) -> None:
        problems = formula_problems(text, allowed, formula_functions(), set(meta.codelists))
        if problems and key not in errors:
            errors[key] = "; ".join(problems)
    return check


def _check_message(text: str, key: str, check, errors: dict) -> None:
    if text.count("{{") != text.count("}}"):
        errors[key] = _("Unbalanced {{ and }}: a placeholder is written {{ formula }}.")
        return
    for placeholder in PLACEHOLDER.findall(text):
        if not placeholder.strip():
            errors[key] = _("An empty placeholder {{ }}: write a formula inside.")
        else:
            check(placeholder.strip(), key)


def _escalation(form, spec: dict, meta, entity: str, check, errors: dict) -> None:
    raw = form.get("escalate_days", "").strip()
    to = _recipients(form, "escalate", meta, entity, check, errors)
    if not raw and not to:
        return
    days = int(raw) if raw.isdigit() else 0
    spec["escalate"] = {"days": days or raw, "to": to}
    if not 1 <= days <= 3650:
        errors["escalate_days"] = _("Give the days (1 to 3650) after which the warning is escalated.")
    if not to:
        errors["escalate-0-kind"] = _("Name whom the warning is escalated to.")


def _recipients(form, prefix: str, meta, entity: str, check, errors: dict) -> list[dict]:
    """The recipient rows (a row without a kind is left out), each checked in place."""
    out = []
    for n, row in rows(form, prefix, RECIPIENT):
        kind, value, department = row["kind"], row["value"], row["department"]
        if not kind:
            continue
        at = f"{prefix}-{n}-value"
        if kind not in RECIPIENT_KINDS:
            errors[f"{prefix}-{n}-kind"] = _("Choose whom.")
            continue
        if kind in ("creator", "department_head"):
            out.append({kind: True})
            continue
        if not value:
            errors[at] = _("Give the value for this recipient.")
        items = [v.strip() for v in value.split(",") if v.strip()]
        if kind in LISTS:
            recipient = {kind: items if kind == "users" or len(items) != 1 else items[0]}
        else:
            recipient = {kind: value}
        if kind == "field" and value and entity in meta.entities:
            e = meta.entity(entity)
            if not e.has(value) or e.field(value).type != "user":
                errors[at] = _("Give a user field of the entity.")
        if kind == "formula" and value:
            check(value, at)
        if department:
            if kind != "position":
                errors[f"{prefix}-{n}-department"] = _("A department goes with a position only.")
            recipient["department"] = department
        out.append(recipient)
    return out
