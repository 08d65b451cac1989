"""The workflow kind: approval flows as metadata (see docs/workflow.md).

A workflow names its entity, a start step and a list of steps (task, approval, vote, automatic,
end). `build(data)` turns a checked document into an immutable `Workflow`; the engine also uses it
to rebuild the exact definition an instance started with. `compile_workflow` adds the semantic
checks (unknown fields, steps, unreachable steps, nobody to act), reported with file:line:path.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field as dc_field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Mapping

from . import workflow_overlay
from .doc import Doc
from .entity import SYSTEM_NAMES, _reach
from .formulas import formula_problems
from .kinds import Context, Kind, register_kind
from .labels import label

STEP_KINDS = ("task", "approval", "vote", "automatic", "end")
VOTE_OPTIONS = ("approve", "reject", "abstain", "reconsider")
FORWARD = {"task": "approve", "approval": "approve", "automatic": "approve", "vote": "pass"}
# names a workflow formula may use besides the record's fields
EXTRA_NAMES = ("initiator", "actor")


def fraction(text) -> Fraction:
    """'2/3', '0.5', '50%' or 1 as an exact fraction."""
    s = str(text).strip()
    if s.endswith("%"):
        return Fraction(s[:-1].strip()) / 100
    return Fraction(s.replace(" ", ""))


@dataclass(frozen=True)
class Resolver:
    kind: str          # role | position | initiator | initiator_manager | department_head | field | users | formula
    value: Any
    department: str | None = None   # position only: "initiator" (the initiator's department) or a code


def _no_formulas() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Effect:
    set: Mapping[str, str]            # field -> formula
    number_field: str | None = None
    number_pattern: str | None = None  # None: the entity's own numbering pattern
    create_entity: str | None = None   # create a record of this entity …
    create_values: Mapping[str, str] = dc_field(default_factory=_no_formulas)   # … with field -> formula
    call: str | None = None            # a plugin's workflow action (hook danbao_workflow_actions) …
    call_with: Mapping[str, str] = dc_field(default_factory=_no_formulas)       # … with param -> formula
    update_record: str | None = None   # write the record this link field points to …
    update_values: Mapping[str, str] = dc_field(default_factory=_no_formulas)   # … with field -> formula


@dataclass(frozen=True)
class Transition:
    to: str
    when: str | None
    on: str               # approve | reject (task/approval/automatic); pass | fail | no_quorum (vote)


@dataclass(frozen=True)
class Deadline:
    hours: float
    action: str           # remind | escalate | auto_approve | auto_reject | close
    to: tuple[Resolver, ...] = ()


@dataclass(frozen=True)
class Step:
    name: str
    kind: str
    label: Mapping[str, str]
    outcome: str | None = None
    assignees: tuple[Resolver, ...] = ()
    fallback: tuple[Resolver, ...] = ()
    forbid_self: bool = False
    mode: str = "all"
    ratio: Fraction | None = None
    editable: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    on_enter: tuple[Effect, ...] = ()
    on_leave: tuple[Effect, ...] = ()
    deadline: Deadline | None = None
    allow_proxy: bool = False
    transitions: tuple[Transition, ...] = ()
    members: tuple[Resolver, ...] = ()
    min_attendance: int | Fraction | None = None
    pass_ratio: Fraction = Fraction(1, 2)
    options: tuple[str, ...] = ("approve", "reject", "abstain")
    reconsider_to: str | None = None
    chair: tuple[Resolver, ...] = ()
    veto: bool = False

    def transitions_on(self, event: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if t.on == event)


@dataclass(frozen=True)
class Workflow:
    name: str
    entity: str
    label: Mapping[str, str]
    start: str
    steps: tuple[Step, ...]
    source: Mapping[str, Any]     # the document it was built from (stored with each instance)
    digest: str                   # content hash of `source`
    pack: str = ""

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def has_step(self, name: str) -> bool:
        return any(s.name == name for s in self.steps)


def digest_of(data: Mapping) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
                          .encode()).hexdigest()[:32]


def _resolvers(items) -> tuple[Resolver, ...]:
    out = []
    for item in items or ():
        item = dict(item)
        department = item.pop("department", None)
        (kind, value), = item.items()
        if kind in ("role", "position") and isinstance(value, str):
            value = [value]
        out.append(Resolver(kind, tuple(value) if isinstance(value, list) else value, department))
    return tuple(out)


def _effects(items) -> tuple[Effect, ...]:
    out = []
    for e in items or ():
        number = e.get("number")
        number_field, pattern = (number, None) if isinstance(number, str) else \
            ((number or {}).get("field"), (number or {}).get("pattern"))
        create, update = e.get("create") or {}, e.get("update") or {}
        out.append(Effect(MappingProxyType(dict(e.get("set") or {})), number_field, pattern,
                          create.get("entity"), MappingProxyType(dict(create.get("values") or {})),
                          e.get("call"), MappingProxyType(dict(e.get("with") or {})),
                          update.get("record"), MappingProxyType(dict(update.get("values") or {}))))
    return tuple(out)


def _step(s: dict) -> Step:
    kind = s["kind"]
    deadline = None
    if s.get("deadline"):
        d = s["deadline"]
        hours = float(d.get("hours") or 0) + float(d.get("days") or 0) * 24
        deadline = Deadline(hours, d["action"], _resolvers(d.get("to")))
    attendance = s.get("min_attendance")
    if attendance is not None and not isinstance(attendance, int):
        attendance = fraction(attendance)
    return Step(
        name=s["name"], kind=kind, label=label(s.get("label"), s["name"]), outcome=s.get("outcome"),
        assignees=_resolvers(s.get("assignees")), fallback=_resolvers(s.get("fallback")),
        forbid_self=bool(s.get("forbid_self")), mode=s.get("mode", "all"),
        ratio=fraction(s["ratio"]) if s.get("ratio") else None,
        editable=tuple(s.get("editable") or ()), required=tuple(s.get("required") or ()),
        on_enter=_effects(s.get("on_enter")), on_leave=_effects(s.get("on_leave")), deadline=deadline,
        allow_proxy=bool(s.get("allow_proxy")),
        transitions=tuple(Transition(t["to"], t.get("when"), t.get("on", FORWARD.get(kind, "approve")))
                          for t in s.get("transitions") or ()),
        members=_resolvers(s.get("members")), min_attendance=attendance,
        pass_ratio=fraction(s["pass"]) if s.get("pass") else Fraction(1, 2),
        options=tuple(s.get("options") or ("approve", "reject", "abstain")),
        reconsider_to=s.get("reconsider_to"), chair=_resolvers(s.get("chair")), veto=bool(s.get("veto")),
    )


def build(data: Mapping, pack: str = "") -> Workflow:
    """The immutable workflow for a schema-valid document (no semantic checks)."""
    source = json.loads(json.dumps(data, default=str))
    return Workflow(name=data["name"], entity=data["entity"], label=label(data.get("label"), data["name"]),
                    start=data["start"], steps=tuple(_step(s) for s in data["steps"]),
                    source=source, digest=digest_of(source), pack=pack)


# -- semantic checks -------------------------------------------------------------------------

def compile_workflow(doc: Doc, ctx: Context) -> Workflow | None:
    data = doc.data

    def report(path, message):
        ctx.report(doc, path, message)

    entity = ctx.compiled.get("entities", {}).get(data["entity"])
    names = [s["name"] for s in data["steps"]]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            report(("steps", n, "name"), f"step '{n}' is defined twice")
        seen.add(n)
    if entity is None:
        report(("entity",), f"no entity '{data['entity']}'")
    if data["start"] not in seen:
        report(("start",), f"no step '{data['start']}'")
    wf = build(data, doc.pack)
    fields = {f.name: f for f in entity.fields} if entity else {}
    formula_names = {n: _reach(f, ctx) for n, f in fields.items()} | {n: None for n in SYSTEM_NAMES} \
        | {n: None for n in EXTRA_NAMES}
    codelists = ctx.names("codelists")

    def formula(text, path):
        if entity is None:
            return
        for message in formula_problems(text, formula_names, ctx.functions, codelists):
            report(path, message)

    def field(name, path, what="field"):
        if entity is not None and name not in fields:
            report(path, f"entity '{entity.name}' has no {what} '{name}'")
            return None
        return fields.get(name)

    positions = ctx.compiled.get("codelists", {}).get("position")
    departments = ctx.compiled.get("codelists", {}).get("department")

    def resolvers(items, path):
        for i, r in enumerate(items):
            if r.kind == "position" and positions is not None:
                for name in r.value:
                    if positions.get(name) is None:
                        report(path + (i, "position"), f"'{name}' is not a code of the code list 'position'")
            if r.department not in (None, "initiator") and departments is not None \
                    and departments.get(r.department) is None:
                report(path + (i, "department"), f"'{r.department}' is neither 'initiator' nor a code of "
                       "the code list 'department'")
            if r.kind == "formula":
                formula(r.value, path + (i, "formula"))
            elif r.kind == "field":
                f = field(r.value, path + (i, "field"))
                if f is not None and f.type != "user":
                    report(path + (i, "field"), f"'{r.value}' is a {f.type} field; approvers come from user fields")

    def create(eff, path):
        target = ctx.compiled.get("entities", {}).get(eff.create_entity)
        if target is None:
            report(path + ("entity",), f"no entity '{eff.create_entity}'")
        for name, text in eff.create_values.items():
            if target is not None and not target.has(name):
                report(path + ("values", name), f"entity '{target.name}' has no field '{name}'")
            formula(text, path + ("values", name))   # evaluated on the workflow's record

    def update(eff, path):
        link = field(eff.update_record, path + ("record",))
        target = None
        if link is not None:
            if link.type != "link":
                report(path + ("record",), f"'{eff.update_record}' is a {link.type} field; "
                       "update needs a link field of the workflow's entity")
            else:
                target = ctx.compiled.get("entities", {}).get(link.entity)
        for name, text in eff.update_values.items():
            if target is not None and not target.has(name):
                report(path + ("values", name), f"entity '{target.name}' has no field '{name}'")
            elif target is not None and target.field(name).is_computed:
                report(path + ("values", name), f"'{target.name}.{name}' is {target.field(name).type}: "
                       "the system computes it")
            formula(text, path + ("values", name))   # evaluated on the workflow's record

    for step in wf.steps:
        p = ("steps", step.name)
        if step.kind == "end":
            if not step.outcome:
                report(p, "an end step needs an outcome: approved, rejected or withdrawn")
            if step.transitions:
                report(p + ("transitions",), "an end step has no transitions")
        elif step.outcome:
            report(p + ("outcome",), "only end steps have an outcome")
        resolvers(step.assignees, p + ("assignees",))
        resolvers(step.fallback, p + ("fallback",))
        resolvers(step.members, p + ("members",))
        resolvers(step.chair, p + ("chair",))
        if step.deadline:
            resolvers(step.deadline.to, p + ("deadline", "to"))
            action = step.deadline.action
            if action == "escalate" and not step.deadline.to:
                report(p + ("deadline",), "escalate needs 'to': whom to escalate to")
            if action == "close" and step.kind != "vote":
                report(p + ("deadline", "action"), "'close' applies to vote steps only")
            if action in ("auto_approve", "auto_reject") and step.kind not in ("approval", "task"):
                report(p + ("deadline", "action"), f"'{action}' applies to approval and task steps")
        if step.kind == "approval" and not step.assignees and not step.fallback:
            report(p, "an approval step needs assignees (or a fallback): nobody could act")
        if step.kind == "vote":
            if not step.members and not step.fallback:
                report(p, "a vote step needs members (or a fallback): nobody could vote")
            if "approve" not in step.options:
                report(p + ("options",), "a vote needs the option 'approve'")
            if "reconsider" in step.options and not step.reconsider_to:
                report(p + ("options",), "the option 'reconsider' needs 'reconsider_to': the step it sends back to")
            if step.veto and not step.chair:
                report(p + ("veto",), "a veto needs a 'chair'")
        if step.mode == "ratio" and step.ratio is None:
            report(p + ("mode",), "mode 'ratio' needs 'ratio', e.g. \"2/3\"")
        for key in ("editable", "required"):
            for name in getattr(step, key):
                field(name, p + (key,))
        for key in ("on_enter", "on_leave"):
            for i, eff in enumerate(getattr(step, key)):
                for target, text in eff.set.items():
                    field(target, p + (key, i, "set", target))
                    formula(text, p + (key, i, "set", target))
                if eff.create_entity:
                    create(eff, p + (key, i, "create"))
                if eff.update_record:
                    update(eff, p + (key, i, "update"))
                if eff.call:
                    if ctx.workflow_actions is not None and eff.call not in ctx.workflow_actions:
                        known = ", ".join(sorted(ctx.workflow_actions)) or "none"
                        report(p + (key, i, "call"), f"no plugin workflow action '{eff.call}' (known: {known})")
                    for param, text in eff.call_with.items():
                        formula(text, p + (key, i, "with", param))
                if eff.number_field:
                    f = field(eff.number_field, p + (key, i, "number"))
                    if f is not None and eff.number_pattern is None and (
                            entity.numbering is None or entity.numbering.field != eff.number_field):
                        report(p + (key, i, "number"), f"'{eff.number_field}' is not the entity's numbering "
                               "field: give {field, pattern}")
        for i, t in enumerate(step.transitions):
            if t.to not in seen:
                report(p + ("transitions", i, "to"), f"no step '{t.to}'")
            if t.when:
                formula(t.when, p + ("transitions", i, "when"))
            allowed = ("pass", "fail", "no_quorum") if step.kind == "vote" else ("approve", "reject")
            if t.on not in allowed:
                report(p + ("transitions", i, "on"), f"'{t.on}' does not apply to a {step.kind} step "
                       f"(use {', '.join(allowed)})")
        if step.reconsider_to and step.reconsider_to not in seen:
            report(p + ("reconsider_to",), f"no step '{step.reconsider_to}'")
        if step.kind != "end" and not step.transitions_on(FORWARD[step.kind]):
            report(p + ("transitions",), f"step '{step.name}' has no way out: add a transition"
                   + (" with on: pass" if step.kind == "vote" else ""))
    # withdraw and reject without a matching transition go to the end step of that outcome
    implicit = {s.name for s in wf.steps if s.kind == "end" and s.outcome in ("withdrawn", "rejected")}
    for name in sorted(seen - reachable(wf) - implicit):
        report(("steps", name), f"step '{name}' cannot be reached from the start step '{wf.start}'")
    return wf


def reachable(wf: Workflow) -> set[str]:
    """Steps reachable from the start by transitions (and a vote's reconsider_to)."""
    by_name = {s.name: s for s in wf.steps}
    todo, seen = [wf.start], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        step = by_name[name]
        todo.extend(t.to for t in step.transitions)
        if step.reconsider_to:
            todo.append(step.reconsider_to)
    return seen


register_kind(Kind(folder="workflows", schema="workflow/workflow.json", overlay_schema="workflow/workflow_overlay.json",
                   overlay=workflow_overlay.apply, compile=compile_workflow, order=60))
