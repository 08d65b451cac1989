"""The studio's entity and field editor (docs/studio.md): written to the draft, never straight to staff.

    GET  /studio/entities                          every entity; a form for a new one
    POST /studio/entities                          create an entity (with a name field, its title)
    GET  /studio/entities/<e>                      its fields; the draft's problems in its file
    GET  /studio/entities/<e>/fields/new           the form for a new field
    GET  /studio/entities/<e>/fields/<f>           the form for a field
    POST /studio/entities/<e>/fields               save a field (new, or `original` names the field)
    POST /studio/entities/<e>/fields/<f>/remove    take a field out of the model (data kept)
    GET  /studio/entities/<e>/validations/new|<v>  the form for an entity-level validation
    POST /studio/entities/<e>/validations          save one (new, or `original` names it)
    POST /studio/entities/<e>/validations/<v>/remove

A field's type may change only to a compatible type (core.studio_pack.COMPATIBLE_TYPES): the stored
values keep their meaning; the review shows the values the new type would not take.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from core import studio_pack
from core.formula import BUILTIN_FUNCTIONS
from metadata.types import BUILTIN_STORAGE, COMPUTED_RESULTS, RESERVED_FIELDS

from . import context
from .i18n import N_, text_of
from .studio import _require
from .studio_draft import change, current, pack, problems_for, state

bp = Blueprint("studio_entities", __name__, url_prefix="/studio/entities")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
NEW_TYPES = [t for t in BUILTIN_STORAGE if t != "table"]     # a table needs its first column: top level only

FLAGS = ("required", "readonly", "hidden", "unique", "indexed")
FORMULAS = ("visible_if", "required_if", "readonly_if", "default_formula", "formula", "where")
NUMBERS = {"max_length": int, "min_length": int, "precision": int, "min": Decimal, "max": Decimal}
REFERENCES = ("codelist", "entity", "result", "from", "link", "aggregate", "order_by")   # chosen or named
ROLLUP_FIELD = "rollup_field"          # the form's name for a rollup's `field` (the aggregated one)
AGGREGATES = ("sum", "count", "min", "max", "avg", "latest")
TYPE_LABELS = {"text": N_("Text"), "long_text": N_("Long text"), "integer": N_("Integer"), "decimal": N_("Decimal"),
               "money": N_("Money"), "percent": N_("Percent"), "date": N_("Date"), "datetime": N_("Date and time"),
               "boolean": N_("Yes/no"), "choice": N_("Choice"), "multichoice": N_("Multiple choice"),
               "link": N_("Link to a record"), "attachment": N_("Attachments"), "computed": N_("Computed"),
               "user": N_("User"), "department": N_("Department"), "id_number": N_("ID number"),
               "uscc": N_("Unified social credit code"), "phone": N_("Phone"), "email": N_("E-mail"),
               "region": N_("Region"), "industry": N_("Industry"), "table": N_("Child table"), "rollup": N_("Rollup")}


def _meta():
    _draft, meta, problems = state()
    return meta, problems


def _entity(meta, name: str):
    if meta is None or name not in meta.entities:
        abort(404)
    return meta.entity(name)


@bp.route("")
@login_required
def entities():
    _require()
    meta, problems = _meta()
    return render_template("studio/entities.html", entities=meta.entities if meta else {}, errors={}, form={},
                           problems=[str(p) for p in problems], draft=current())


@bp.route("", methods=["POST"])
@login_required
def create_entity():
    _require()
    meta, problems = _meta()
    form = request.form
    name, zh = form.get("name", "").strip(), form.get("label_zh", "").strip()
    errors = {}
    if not NAME.match(name) or len(name) > 63:
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif meta is not None and name in meta.entities:
        errors["name"] = _("An entity of this name exists.")
    if not zh:
        errors["label_zh"] = _("Give the Chinese label.")
    if errors:
        return render_template("studio/entities.html", entities=meta.entities if meta else {}, errors=errors,
                               form=form, problems=[str(p) for p in problems], draft=current()), 422
    label = _label(form, "label")
    change(lambda s, m: studio_pack.put_entity(s, pack(), m, name, label))
    return redirect(url_for("studio_entities.entity", name=name))


@bp.route("/<name>")
@login_required
def entity(name: str):
    _require()
    meta, problems = _meta()
    return render_template("studio/entity.html", entity=_entity(meta, name), draft=current(),
                           problems=problems_for(problems, f"entities/{name}.yaml"))


@bp.route("/<name>/fields/new")
@login_required
def new_field(name: str):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    table = request.args.get("table") or None
    _scope(entity, table)
    return _field_form(meta, entity, None, {"type": request.args.get("type", "text")}, {}, table)


@bp.route("/<name>/fields/<field>")
@login_required
def field(name: str, field: str):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    table = field.rpartition(".")[0] or None
    found = _lookup(entity, field)
    return _field_form(meta, entity, found, studio_pack.field_spec(found), {}, table)


def _scope(entity, table: str | None):
    """The fields a field sits among: the entity's, or a child table's columns (404: no such table)."""
    if table is None:
        return entity.fields
    if not entity.has(table) or not entity.field(table).is_table:
        abort(404)
    return entity.field(table).fields


def _lookup(entity, dotted: str):
    """The field `name` or `table.column` (404 when there is none)."""
    table, _dot, name = dotted.rpartition(".")
    found = next((f for f in _scope(entity, table or None) if f.name == name), None)
    if found is None:
        abort(404)
    return found


def _field_form(meta, entity, current_field, spec, errors, table=None, status=200):
    if current_field is None:
        types = new_types(table)                                  # no tables inside tables
    else:
        types = [current_field.type, *studio_pack.COMPATIBLE_TYPES.get(current_field.type, ())]
    options = {"after": [(f.name, f"{text_of(f.label)} ({f.name})") for f in _scope(entity, table)],
               "codelists": [(n, f"{text_of(c.label)} ({n})") for n, c in sorted(meta.codelists.items())],
               "entities": [(n, f"{text_of(e.label)} ({n})") for n, e in sorted(meta.entities.items())],
               "results": [(r, _(TYPE_LABELS[r])) for r in sorted(COMPUTED_RESULTS)],
               "types": [(t, type_label(t)) for t in types],
               "aggregates": [(a, a) for a in AGGREGATES]}
    formulas = [("formula", _("Formula")), ("default_formula", _("Default (formula)")), ("visible_if", _("Visible if")),
                ("required_if", _("Required if")), ("readonly_if", _("Read-only if"))]
    if (spec.get("type") or "") == "rollup":
        formulas.append(("where", _("Only the records where (a formula on them)")))
    return render_template("studio/field.html", entity=entity, field=current_field, spec=spec, errors=errors,
                           table=table, types=types, entity_names=set(meta.entities), options=options, applies=studio_pack.applies, formulas=formulas,
                           functions=formula_functions()), status


def formula_functions() -> list[str]:
    """The functions a formula may call: the built-ins, LOOKUP and the plugins'."""
    return sorted({*BUILTIN_FUNCTIONS, "LOOKUP", *context.types().checks()["functions"]})


@bp.route("/<name>/fields", methods=["POST"])
@login_required
def save_field(name: str):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    table = request.form.get("table") or None
    scope = _scope(entity, table)
    original = request.form.get("original") or None
    old = _lookup(entity, f"{table}.{original}" if table else original) if original else None
    spec, errors = _spec(request.form, {f.name for f in scope}, old, table)
    if request.form.get("refresh"):                  # the type changed: the form again, for that type
        return _field_form(meta, entity, old, spec, {}, table)
    if errors:
        return _field_form(meta, entity, old, spec, errors, table, 422)
    after = request.form.get("after") or None
    change(lambda s, m: studio_pack.put_field(s, pack(), m, name, spec, after=after, table=table))
    anchor = f"{table}__{spec['name']}" if table else spec["name"]
    return redirect(url_for("studio_entities.entity", name=name) + f"#field-{anchor}")


@bp.route("/<name>/fields/<field>/remove", methods=["POST"])
@login_required
def remove_field(name: str, field: str):
    _require()
    meta, _problems = _meta()
    _lookup(_entity(meta, name), field)
    change(lambda s, m: studio_pack.remove_field(s, pack(), name, field))
    return redirect(url_for("studio_entities.entity", name=name))


def _label(form, key: str) -> dict:
    zh, en = form.get(f"{key}_zh", "").strip(), form.get(f"{key}_en", "").strip()
    return {"zh": zh, **({"en": en} if en else {})}


def _spec(form, taken: set[str], old, table: str | None) -> tuple[dict, dict]:
    """The field's properties from the form, on top of those the form does not show (kept); `taken`:
    the names of the fields it sits among."""
    errors: dict[str, str] = {}
    spec = studio_pack.field_spec(old) if old else {}
    name = old.name if old else form.get("name", "").strip()
    type_name = form.get("type", "")
    allowed = ([old.type, *studio_pack.COMPATIBLE_TYPES.get(old.type, ())] if old
               else new_types(table))
    if not old:
        if not NAME.match(name) or len(name) > 63:
            errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif name in RESERVED_FIELDS:
            errors["name"] = _("This name is reserved by the system.")
        elif name in taken:
            errors["name"] = _("A field of this name exists.")
    if type_name not in allowed:
        errors["type"] = _("Choose one of the types offered.")
        type_name = old.type if old else "text"
    spec.update(name=name, type=type_name)
    if form.get("label_zh", "").strip():
        spec["label"] = _label(form, "label")
    else:
        errors["label_zh"] = _("Give the Chinese label.")
    if form.get("help_zh", "").strip():
        spec["help"] = _label(form, "help")
    else:
        spec.pop("help", None)
    for flag in FLAGS:
        if form.get(flag):
            spec[flag] = True
        else:
            spec.pop(flag, None)
    for key in FORMULAS + REFERENCES:
        value = form.get(key, "").strip()
        if value:
            spec[key] = value
        else:
            spec.pop(key, None)
    for key, kind in NUMBERS.items():
        raw = form.get(key, "").strip()
        if not raw:
            spec.pop(key, None)
            continue
        try:
            value = kind(raw)
            spec[key] = value if kind is int else (int(value) if value == value.to_integral_value() else str(value))
        except (ValueError, InvalidOperation):
            errors[key] = _("Enter a number.")
    if type_name == "choice" and not spec.get("codelist") and not spec.get("options"):
        errors["codelist"] = _("Choose the code list of the choices.")
    if type_name == "link" and not spec.get("entity"):
        errors["entity"] = _("Choose the entity the field links to.")
    if type_name == "computed" and not spec.get("formula"):
        errors["formula"] = _("Give the formula.")
    if type_name == "rollup":
        _rollup(form, spec, errors)
    if type_name == "table" and not old:             # a child table starts with its first column
        column, column_zh = form.get("column_name", "").strip(), form.get("column_label_zh", "").strip()
        if not NAME.match(column) or len(column) > 63 or column in RESERVED_FIELDS:
            errors["column_name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        if not column_zh:
            errors["column_label_zh"] = _("Give the Chinese label.")
        spec["fields"] = [{"name": column, "type": "text", "label": {"zh": column_zh}}]
    spec = {k: v for k, v in spec.items() if k in ("name", "type") or studio_pack.applies(k, type_name)}
    return spec, errors


def new_types(table: str | None) -> list[str]:
    """The types a new field may take: the built-in ones, the plugins', and a child table at top level."""
    return [*NEW_TYPES, *sorted(context.types().storage), *([] if table else ["table"])]

def type_label(type_name: str) -> str:
    return _(TYPE_LABELS[type_name]) if type_name in TYPE_LABELS else type_name


bp.add_app_template_global(type_label, "type_label")


# -- entity-level validations ---------------------------------------------------------------------

@bp.route("/<name>/validations/new")
@bp.route("/<name>/validations/<validation>")
@login_required
def validation(name: str, validation: str | None = None):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    current_v = _validation(entity, validation) if validation else None
    spec = ({"name": current_v.name, "formula": current_v.formula, "message": dict(current_v.message),
             "field": current_v.field} if current_v else {})
    return _validation_form(entity, current_v, spec, {})


def _validation(entity, name: str):
    found = next((v for v in entity.validations if v.name == name), None)
    if found is None:
        abort(404)
    return found


def _validation_form(entity, current_v, spec, errors, status=200):
    return render_template("studio/validation.html", entity=entity, validation=current_v, spec=spec, errors=errors,
                           fields=[(f.name, f"{text_of(f.label)} ({f.name})") for f in entity.fields],
                           functions=formula_functions()), status


@bp.route("/<name>/validations", methods=["POST"])
@login_required
def save_validation(name: str):
    _require()
    meta, _problems = _meta()
    entity = _entity(meta, name)
    form = request.form
    original = form.get("original") or None
    current_v = _validation(entity, original) if original else None
    errors = {}
    vname = original or form.get("name", "").strip()
    if not original:
        if not NAME.match(vname) or len(vname) > 63:
            errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
        elif any(v.name == vname for v in entity.validations):
            errors["name"] = _("A validation of this name exists.")
    spec = {"name": vname, "formula": form.get("formula", "").strip(), "message": _label(form, "message")}
    if form.get("field"):
        spec["field"] = form["field"]
    if not spec["formula"]:
        errors["formula"] = _("Give the formula.")
    if not spec["message"]["zh"]:
        errors["message_zh"] = _("Give the Chinese message.")
    if spec.get("field") and not entity.has(spec["field"]):
        errors["field"] = _("Choose one of the fields.")
    if errors:
        return _validation_form(entity, current_v, spec, errors, 422)
    change(lambda s, m: studio_pack.put_validation(s, pack(), m, name, spec))
    return redirect(url_for("studio_entities.entity", name=name) + f"#validation-{vname}")


@bp.route("/<name>/validations/<validation>/remove", methods=["POST"])
@login_required
def remove_validation(name: str, validation: str):
    _require()
    meta, _problems = _meta()
    _validation(_entity(meta, name), validation)
    change(lambda s, m: studio_pack.remove_validation(s, pack(), name, validation))
    return redirect(url_for("studio_entities.entity", name=name))


def _rollup(form, spec: dict, errors: dict) -> None:
    """A rollup's `field` comes from its own input (`field` would clash); what it needs is asked for.
    Whether the entities and fields exist is the draft's check (it names them)."""
    if form.get(ROLLUP_FIELD, "").strip():
        spec["field"] = form[ROLLUP_FIELD].strip()
    else:
        spec.pop("field", None)
    for key in ("from", "link"):
        if not spec.get(key):
            errors[key] = _("Required for a rollup.")
    if spec.get("aggregate") not in AGGREGATES:
        errors["aggregate"] = _("Choose how the records are aggregated.")
    elif spec["aggregate"] != "count" and not spec.get("field"):
        errors[ROLLUP_FIELD] = _("Name the field aggregated.")
