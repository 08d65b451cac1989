"""The studio's workflow editor (docs/studio.md "Workflows"): written to the draft, never straight to staff.

    GET  /studio/workflows                          every workflow of the draft; a form for a new one
    POST /studio/workflows                          create one (a start task, the approved and rejected ends)
    GET  /studio/workflows/<w>                      its steps beside the flow diagram; the draft's problems
    POST /studio/workflows/<w>                      its label and start step
    POST /studio/workflows/<w>/steps                add a step (then its form)
    GET  /studio/workflows/<w>/steps/<s>            a step's form beside the diagram (the step marked)
    POST /studio/workflows/<w>/steps/<s>            save it (`refresh`: lay the form out for the kind;
                                                    `up`: move transition n up; neither is saved)
    POST /studio/workflows/<w>/steps/<s>/move       `by` -1 (up) or 1 (down): the diagram's order
    POST /studio/workflows/<w>/steps/<s>/remove     the step and the transitions into it
    POST /studio/workflows/<w>/formula              check a transition's condition as it is typed

The editor reads the workflow as the draft's packs merge it (core.studio_workflows), so it works on a
draft with problems too; the diagram is ui/flowchart.py's, over the draft's compiled workflow (while
the draft does not compile, over the workflow as it stands, the problems listed where they are).
Forms post with HTMX and swap the page's main part: the diagram is drawn again after every change.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import metastore
from core import studio_workflows as flows
from core.users import list_users
from metadata.formulas import formula_problems
from metadata.workflow import EXTRA_NAMES, FORWARD, build

from . import context, flowchart
from .i18n import N_, text_of
from .studio import _require
from .studio_draft import change, compiled, current, pack
from .studio_entities import formula_functions
from .studio_formula import evaluate, names as formula_names

bp = Blueprint("studio_workflows", __name__, url_prefix="/studio/workflows")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KINDS = {"task": N_("Task"), "approval": N_("Approval"), "vote": N_("Vote"), "automatic": N_("Automatic"),
         "end": N_("End")}
OUTCOMES = {"approved": N_("Approved"), "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn")}
MODES = {"all": N_("Everyone approves"), "any": N_("The first decision decides"),
         "ratio": N_("A share of the approvers"), "sequential": N_("One after another")}
EVENTS = {"approve": N_("Approved or submitted"), "reject": N_("Rejected"), "pass": N_("Passed"),
          "fail": N_("Not passed"), "no_quorum": N_("No quorum")}
WHO = ("assignees", "members")                   # the resolver lists the form edits
FLAGS = ("initiator", "department_head", "initiator_manager")
LISTS = {"roles": "role", "positions": "position", "users": "users"}
SHOWN = {"initiator", "department_head", "initiator_manager", "role", "position", "users", "field"}
FRACTIONS = {"ratio": N_("Give a fraction: 2/3, 0.5 or 60%."), "pass": N_("Give a fraction: 2/3, 0.5 or 60%."),
             "min_attendance": N_("Give a number of members or a fraction of them: 3 or 2/3.")}
SCALARS = ("kind", "label_zh", "label_en", "outcome", "mode", "ratio", "pass", "min_attendance")


# -- reading the draft -----------------------------------------------------------------------------

def _sources():
    draft = current()
    return list(draft.sources) if draft else metastore.installed_sources(context.engine())


def _meta():
    meta, problems = compiled(current())
    return meta, meta or context.meta(), problems       # the draft's (None: it has problems), a usable one


def _document(name: str) -> dict:
    doc = flows.document(_sources(), name)
    if doc is None:
        abort(404)
    return doc


def _step(doc: dict, name: str) -> dict:
    step = next((s for s in doc["steps"] if s["name"] == name), None)
    if step is None:
        abort(404)
    return step


def located(problems, name: str) -> dict:
    """The draft's problems in the workflow's files (any pack's), by where they are: a step's
    transition (step, index), a step, or the workflow."""
    out: dict = {"all": [], "steps": {}, "transitions": {}}
    for p in problems:
        if not p.file.endswith(f"/{flows.path_of(name)}"):
            continue
        out["all"].append(str(p))
        parts = p.path.split(".")
        if parts[0] in ("steps", "change_steps") and len(parts) > 1:
            if len(parts) > 3 and parts[2] == "transitions" and parts[3].isdigit():
                out["transitions"].setdefault((parts[1], int(parts[3])), []).append(p.message)
            else:
                out["steps"].setdefault(parts[1], []).append(p.message)
    return out


def diagram(name: str, doc: dict, meta, marked: str | None = None) -> tuple:
    """(the diagram's <svg> or None, a note): the draft's compiled workflow; while the draft has
    problems, the workflow as it stands."""
    wf = meta.kinds.get("workflows", {}).get(name) if meta else None
    note = None
    if wf is None:
        try:
            wf = build(doc)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None, _("The diagram cannot be drawn until the problems below are solved.")
        note = _("The draft has problems: the diagram shows the steps as they stand.")
    legend = {"title": text_of(wf.label), "reject": _("Reject"), "fail": _("Not passed"),
              "no_quorum": _("No quorum"), "reconsider": _("Reconsider"),
              **{k: _(v) for k, v in KINDS.items()}}
    return flowchart.render(wf, taken=[], current=marked, label=lambda s: text_of(s.label), legend=legend), note


# -- the list and new workflows --------------------------------------------------------------------

@bp.route("")
@login_required
def index():
    _require()
    return _index({}, {})


def _index(form, errors, status=200):
    _draft_meta, meta, problems = _meta()
    return render_template("studio/workflows.html", draft=current(), items=flows.documents(_sources()),
                           entities=sorted((n, f"{text_of(e.label)} ({n})") for n, e in meta.entities.items()),
                           form=form, errors=errors, problems=[str(p) for p in problems]), status


@bp.route("", methods=["POST"])
@login_required
def create():
    _require()
    form = request.form
    name, entity = form.get("name", "").strip(), form.get("entity", "")
    errors = {}
    if not NAME.match(name) or len(name) > 63:
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif name in flows.documents(_sources()):
        errors["name"] = _("A workflow of this name exists.")
    if entity not in _meta()[1].entities:
        errors["entity"] = _("Choose the entity whose records the workflow runs on.")
    if not form.get("label_zh", "").strip():
        errors["label_zh"] = _("Give the Chinese label.")
    if errors:
        return _index(form, errors, 422)
    label = _label(form)
    change(lambda s, m: flows.create(s, pack(), name, entity, label))
    return redirect(url_for("studio_workflows.editor", name=name))


def _label(form, key: str = "label") -> dict:
    zh, en = form.get(f"{key}_zh", "").strip(), form.get(f"{key}_en", "").strip()
    return {"zh": zh, **({"en": en} if en else {})}


# -- the editor ------------------------------------------------------------------------------------

@bp.route("/<name>")
@login_required
def editor(name: str):
    _require()
    return _editor(name, _document(name), {}, {})


def _editor(name, doc, form, errors, status=200):
    draft_meta, meta, problems = _meta()
    svg, note = diagram(name, doc, draft_meta)
    return render_template("studio/workflow.html", doc=doc, draft=current(), form=form, errors=errors,
                           diagram=svg, note=note, problems=located(problems, name),
                           owned=flows.owned(_sources(), pack(), name), kinds=KINDS, who=who,
                           kind_options=[(k, _(v)) for k, v in KINDS.items()], step_options=step_options(doc),
                           entity=meta.entities.get(doc["entity"])), status


def step_options(doc: dict) -> list[tuple[str, str]]:
    return [(s["name"], f"{text_of(s.get('label') or s['name'])} ({s['name']})") for s in doc["steps"]]


@bp.route("/<name>", methods=["POST"])
@login_required
def save_settings(name: str):
    _require()
    doc = _document(name)
    form = request.form
    errors = {}
    if not form.get("label_zh", "").strip():
        errors["label_zh"] = _("Give the Chinese label.")
    start = form.get("start", "")
    if start not in {s["name"] for s in doc["steps"]}:
        errors["start"] = _("Choose the step the workflow starts at.")
    if errors:
        return _editor(name, doc, form, errors, 422)
    label = _label(form)
    change(lambda s, m: flows.save(s, pack(), flows.settings(flows.document(s, name), label, start)))
    return redirect(url_for("studio_workflows.editor", name=name))


@bp.route("/<name>/steps", methods=["POST"])
@login_required
def add_step(name: str):
    _require()
    doc = _document(name)
    form = request.form
    step_name, kind = form.get("name", "").strip(), form.get("kind", "")
    errors = {}
    if not NAME.match(step_name) or len(step_name) > 63:
        errors["name"] = _("A name is lower-case letters, digits and _, starting with a letter.")
    elif any(s["name"] == step_name for s in doc["steps"]):
        errors["name"] = _("A step of this name exists.")
    if kind not in KINDS:
        errors["kind"] = _("Choose the kind of step.")
    if not form.get("new_label_zh", "").strip():
        errors["new_label_zh"] = _("Give the Chinese label.")
    if errors:
        return _editor(name, doc, form, errors, 422)
    step = {"name": step_name, "kind": kind, "label": _label(form, "new_label"), **NEW_STEP.get(kind, {})}
    change(lambda s, m: flows.save(s, pack(), flows.put_step(flows.document(s, name), step)))
    return redirect(url_for("studio_workflows.step", name=name, step=step_name))


# what a new step of a kind starts with: the language's defaults made visible
NEW_STEP = {"approval": {"mode": "any"}, "end": {"outcome": "approved"}}


@bp.route("/<name>/steps/<step>/move", methods=["POST"])
@login_required
def move_step(name: str, step: str):
    _require()
    _step(_document(name), step)
    by = -1 if request.form.get("by") == "-1" else 1
    change(lambda s, m: flows.save(s, pack(), flows.move_step(flows.document(s, name), step, by)))
    return redirect(url_for("studio_workflows.editor", name=name) + f"#step-{step}")


@bp.route("/<name>/steps/<step>/remove", methods=["POST"])
@login_required
def remove_step(name: str, step: str):
    _require()
    doc = _document(name)
    _step(doc, step)
    if doc["start"] == step:
        return _editor(name, doc, {}, {"remove": _("The start step cannot be removed: choose another start first.")},
                       422)
    change(lambda s, m: flows.save(s, pack(), flows.remove_step(flows.document(s, name), step)))
    return redirect(url_for("studio_workflows.editor", name=name))


# -- a step's form ---------------------------------------------------------------------------------

@bp.route("/<name>/steps/<step>")
@login_required
def step(name: str, step: str):
    _require()
    doc = _document(name)
    current_step = _step(doc, step)
    return _step_form(name, doc, current_step, values_of(current_step), {})


def _step_form(name, doc, step, values, errors, status=200):
    draft_meta, meta, problems = _meta()
    svg, note = diagram(name, doc, draft_meta, marked=step["name"])
    entity = meta.entities.get(doc["entity"])
    kind = values.get("kind") or step["kind"]
    return render_template(
        "studio/workflow_step.html", doc=doc, step=step, values=values, errors=errors, diagram=svg, note=note,
        problems=located(problems, name), draft=current(), kinds=KINDS, kind=kind,
        outcome_options=[(k, _(v)) for k, v in OUTCOMES.items()], mode_options=[(k, _(v)) for k, v in MODES.items()],
        events=[(e, _(EVENTS[e])) for e in flows.EVENTS.get(kind, flows.DEFAULT_EVENTS)], applies=flows.APPLIES,
        targets=step_options(doc),
        user_fields=[(f.name, text_of(f.label)) for f in entity.fields if f.type == "user"] if entity else [],
        roles=sorted({r for u in list_users(context.engine()) for r in u.roles}),
        others={p: [r for r in step.get(p) or [] if not _shown(r)] for p in WHO},
        functions=formula_functions(), fields=entity.fields if entity else []), status


@bp.route("/<name>/steps/<step>", methods=["POST"])
@login_required
def save_step(name: str, step: str):
    _require()
    doc = _document(name)
    old = _step(doc, step)
    values = posted(request.form)
    if request.form.get("up", "").isdigit():         # move a transition up: the order decides
        i = int(request.form["up"])
        rows = values["rows"]
        if 0 < i < len(rows):
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        return _step_form(name, doc, old, values, {})
    if request.form.get("refresh"):                   # the kind changed: the form for that kind
        return _step_form(name, doc, old, values, {})
    spec, errors = _spec(values, old, doc)
    if errors:
        return _step_form(name, doc, old, values, errors, 422)
    change(lambda s, m: flows.save(s, pack(), flows.put_step(flows.document(s, name), spec)))
    return redirect(url_for("studio_workflows.step", name=name, step=step))


@bp.route("/<name>/formula", methods=["POST"])
@login_required
def check(name: str):
    _require()
    doc = _document(name)
    which = request.form.get("which", "")
    text = request.form.get(which, "").strip() if re.fullmatch(r"t\d+_when", which) else ""
    problems = _formula_problems(doc, text) if text else []
    record = request.form.get("record", type=int)
    result = error = None
    meta = _meta()[1]
    if text and not problems and record and doc["entity"] in meta.entities:     # tried as if you acted
        me = {"initiator": current_user.username, "actor": current_user.username}
        result, error = evaluate(meta.entity(doc["entity"]), text, record, me)
    return render_template("studio/_formula_check.html", text=text, problems=problems, record=record,
                           result=result, error=error)


def _formula_problems(doc: dict, text: str) -> list[str]:
    """The static checks of pack loading, with the names a workflow's formula sees: the entity's
    fields, the system's, `initiator` and `actor`."""
    meta = _meta()[1]
    if doc["entity"] not in meta.entities:
        return []                 # an entity new in a draft with problems: the draft's problems say
    names = formula_names(meta, meta.entity(doc["entity"])) | {n: None for n in EXTRA_NAMES}
    return formula_problems(text, names, formula_functions(), set(meta.codelists))


# -- the form's values and the step they make ---------------------------------------------------------

def values_of(step: dict) -> dict:
    """The form's inputs for a step as it is."""
    label = step.get("label") or {}
    label = label if isinstance(label, dict) else {"zh": label}
    out = {"kind": step["kind"], "label_zh": label.get("zh", ""), "label_en": label.get("en", ""),
           "outcome": step.get("outcome", ""), "mode": step.get("mode", "all"), "ratio": step.get("ratio", ""),
           "pass": step.get("pass", ""), "min_attendance": str(step.get("min_attendance", "")),
           "rows": [{"to": t["to"], "on": t.get("on", ""), "when": t.get("when", "")}
                    for t in step.get("transitions") or []]}
    for p in WHO:
        items = [r for r in step.get(p) or [] if _shown(r)]
        for flag in FLAGS:
            out[f"{p}_{flag}"] = "1" if any(flag in r for r in items) else ""
        for key, kind in LISTS.items():
            out[f"{p}_{key}"] = ", ".join(v for r in items if kind in r for v in _values(r[kind]))
        out[f"{p}_fields"] = [r["field"] for r in items if "field" in r]
    return out


def posted(form) -> dict:
    out = {k: form.get(k, "").strip() for k in SCALARS}
    for p in WHO:
        out.update({f"{p}_{k}": form.get(f"{p}_{k}", "").strip() for k in (*FLAGS, *LISTS)})
        out[f"{p}_fields"] = form.getlist(f"{p}_fields")
    count = form.get("rows", type=int) or 0
    rows = [{k: form.get(f"t{i}_{k}", "").strip() for k in ("to", "on", "when")} for i in range(min(count, 100))]
    out["rows"] = [r for r in rows if r["to"] or r["when"]]            # blank rows add nothing
    return out


def _spec(values: dict, old: dict, doc: dict) -> tuple[dict, dict]:
    """The step from the form, on top of the properties the form does not show (kept)."""
    errors: dict[str, str] = {}
    kind = values["kind"]
    if kind not in KINDS:
        errors["kind"] = _("Choose the kind of step.")
        kind = old["kind"]
    spec = {**old, "kind": kind}
    if values["label_zh"]:
        spec["label"] = {"zh": values["label_zh"], **({"en": values["label_en"]} if values["label_en"] else {})}
    else:
        errors["label_zh"] = _("Give the Chinese label.")
    if kind == "end":
        if values["outcome"] not in OUTCOMES:
            errors["outcome"] = _("Choose how the workflow ends here.")
        spec["outcome"] = values["outcome"]
    if kind == "approval":
        if values["mode"] not in MODES:
            errors["mode"] = _("Choose how the approvers decide.")
        spec["mode"] = values["mode"]
        _optional(spec, "ratio", values["ratio"] if values["mode"] == "ratio" else "")
        if values["mode"] == "ratio" and not values["ratio"]:
            errors["ratio"] = _("Give the share of approvers needed, e.g. 2/3.")
    if kind == "vote":
        _optional(spec, "pass", values["pass"])
        attendance = values["min_attendance"]
        _optional(spec, "min_attendance", int(attendance) if attendance.isdigit() else attendance)
    users = {u.username for u in list_users(context.engine())}
    for p in WHO:
        if kind in flows.APPLIES[p]:
            _optional(spec, p, _resolvers(values, p, old.get(p) or [], users, errors))
    if kind != "end":
        spec["transitions"] = _transitions(values, kind, doc, errors)
    for path, message in flows.step_errors(flows.fit(spec)):     # what the schema refuses, at its input
        key = path[0] if path and path[0] in FRACTIONS else "step"
        errors.setdefault(key, _(FRACTIONS[key]) if key in FRACTIONS else f"{'.'.join(map(str, path))}: {message}")
    return flows.fit(spec), errors


def _optional(spec: dict, key: str, value) -> None:
    if value in ("", None, []):
        spec.pop(key, None)
    else:
        spec[key] = value


def _resolvers(values: dict, p: str, old: list, users: set, errors: dict) -> list:
    """Who acts, from the form; what it does not show (formulas, positions of a department) kept,
    and the entries unchanged kept as they were written, in their order."""
    new: list[dict] = [{flag: True} for flag in FLAGS if values[f"{p}_{flag}"]]
    new += [{"field": f} for f in values[f"{p}_fields"]]
    for key, kind in LISTS.items():
        items = [v for v in re.split(r"[\s,，、;；]+", values[f"{p}_{key}"]) if v]
        if kind == "role" and any(not NAME.match(v) for v in items):
            errors[f"{p}_{key}"] = _("A role is lower-case letters, digits and _, starting with a letter.")
        unknown = [v for v in items if v not in users] if kind == "users" else []
        if unknown:
            errors[f"{p}_{key}"] = _("No such user: %(names)s", names=", ".join(unknown))
        if items:
            new.append({kind: items if kind == "users" or len(items) > 1 else items[0]})
    return _in_old_order(old, new)


def _in_old_order(old: list, new: list) -> list:
    def kind(r):
        return next(k for k in r if k != "department")

    def flat(items, k):
        return sorted(str(v) for r in items if _shown(r) and kind(r) == k for v in _values(r[k]))

    out, done = [], set()
    for r in old:
        k = kind(r)
        if not _shown(r) or flat(old, k) == flat(new, k):
            out.append(r)
        elif k not in done:
            out += [n for n in new if kind(n) == k]
        if _shown(r):
            done.add(k)
    return out + [n for n in new if kind(n) not in done]


def _shown(resolver: dict) -> bool:
    return "department" not in resolver and any(k in SHOWN for k in resolver)


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def _transitions(values: dict, kind: str, doc: dict, errors: dict) -> list[dict]:
    steps = {s["name"] for s in doc["steps"]}
    allowed = flows.EVENTS.get(kind, flows.DEFAULT_EVENTS)
    out = []
    for i, row in enumerate(values["rows"]):
        if row["to"] not in steps:
            errors[f"t{i}_to"] = _("Choose the step it goes to.")
        if row["on"] and row["on"] not in allowed:
            errors[f"t{i}_on"] = _("Choose one of the events offered.")
        problems = _formula_problems(doc, row["when"]) if row["when"] else []
        if problems:
            errors[f"t{i}_when"] = "；".join(problems)
        t = {"to": row["to"]}
        if row["on"] and row["on"] != FORWARD.get(kind):
            t["on"] = row["on"]
        if row["when"]:
            t["when"] = row["when"]
        out.append(t)
    return out


def who(resolvers) -> str:
    """Who acts, in words (the steps' table)."""
    parts = []
    for r in resolvers or []:
        (k, v), = ((k, v) for k, v in r.items() if k != "department")
        text = {"initiator": _("the initiator"), "department_head": _("the department head"),
                "initiator_manager": _("the initiator's manager")}.get(k)
        parts.append(text or f"{_(WHO_LABELS.get(k, k))}: {', '.join(map(str, _values(v)))}")
    return "; ".join(parts)


WHO_LABELS = {"role": N_("Role"), "position": N_("Position"), "users": N_("Users"), "field": N_("Field"),
              "formula": N_("Formula")}
