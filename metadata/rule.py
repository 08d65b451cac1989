"""The rule kind: warning rules (预警规则) as metadata (see docs/rules.md).

A rule watches one entity: when its `condition` (a formula on the record) holds, a warning of
its `level` is raised for the record, with a `message` filled from the record (`{{ formula }}`
placeholders), for its `recipients` (the workflow engine's resolvers: roles, positions, a user
field, the record's creator, the creator's department head, users, a formula). `runs` says when
it is evaluated (the daily scan, on save, on entering named workflow steps), `escalate` whom to
add when nobody has handled a warning after N days, `key` tells several warnings of one rule on
one record apart. `compile_rule` checks every reference with file:line:path; overlays are in
metadata/rule_overlay.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from . import rule_overlay
from .doc import Doc
from .entity import SYSTEM_NAMES, _reach
from .formulas import formula_problems
from .kinds import Context, Kind, register_kind
from .labels import label
from .model import Label
from .workflow import Resolver, _resolvers

LEVELS = ("red", "orange", "yellow", "blue")          # most to least severe
DAILY, SAVE = "daily", "save"
# {{ formula }} in a message: the formula's value, formatted (docs/rules.md "Messages")
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


@dataclass(frozen=True)
class Rule:
    name: str
    label: Label
    entity: str
    condition: str
    level: str
    message: Label                        # {locale: template}
    recipients: tuple[Resolver, ...]
    daily: bool = True                    # evaluated by the scan (`danbao warnings scan`)
    on_save: bool = False                 # evaluated after each save of a record
    steps: tuple[str, ...] = ()           # evaluated when the record's workflow enters these steps
    escalate_days: int | None = None
    escalate_to: tuple[Resolver, ...] = ()
    key: str | None = None                # a formula telling warnings of one record apart (None: one)
    enabled: bool = True
    description: Label | None = None
    pack: str = ""

    def formulas(self) -> list[str]:
        """Every formula the rule evaluates on a record (condition, key, message placeholders,
        formula recipients), for link loading and checks."""
        out = [self.condition, *placeholders(self.message)]
        if self.key:
            out.append(self.key)
        out += [r.value for r in (*self.recipients, *self.escalate_to) if r.kind == "formula"]
        return out


def placeholders(message: Mapping[str, str] | None) -> list[str]:
    """The formulas of a message's `{{ … }}` placeholders, in every locale, in order."""
    return [m.strip() for text in (message or {}).values() for m in PLACEHOLDER.findall(text)]


def recipients(items) -> tuple[Resolver, ...]:
    """Recipients are the workflow resolvers; `creator: true` is the record's creator (the
    resolvers' `initiator`)."""
    return _resolvers([{"initiator": True} if "creator" in r else r for r in items or ()])


def build(data: Mapping, pack: str = "") -> Rule:
    runs = data.get("runs") or [DAILY]
    escalate = data.get("escalate") or None
    return Rule(
        name=data["name"], label=label(data["label"]), entity=data["entity"], condition=data["condition"],
        level=data["level"], message=label(data["message"]), recipients=recipients(data["recipients"]),
        daily=DAILY in runs, on_save=SAVE in runs,
        steps=tuple(r["step"] for r in runs if isinstance(r, Mapping)),
        escalate_days=escalate["days"] if escalate else None,
        escalate_to=recipients(escalate["to"]) if escalate else (),
        key=data.get("key") or None, enabled=data.get("enabled", True),
        description=label(data.get("description")), pack=pack)


# -- semantic checks -------------------------------------------------------------------------

def compile_rule(doc: Doc, ctx: Context) -> Rule | None:
    data = doc.data
    rule = build(data, doc.pack)

    def report(path, message):
        ctx.report(doc, path, message)

    entity = ctx.compiled.get("entities", {}).get(rule.entity)
    if entity is None:
        report(("entity",), f"no entity '{rule.entity}'")
        return rule
    fields = {f.name: f for f in entity.fields}
    names = {n: _reach(f, ctx) for n, f in fields.items()} | {n: None for n in SYSTEM_NAMES}
    codelists = ctx.names("codelists")

    def formula(text, path):
        for message in formula_problems(text, names, ctx.functions, codelists):
            report(path, message)

    formula(rule.condition, ("condition",))
    if rule.key:
        formula(rule.key, ("key",))
    for locale, text in rule.message.items():
        if text.count("{{") != text.count("}}"):
            report(("message", locale), "unbalanced '{{' and '}}': a placeholder is written {{ formula }}")
        for m in PLACEHOLDER.findall(text):
            if not m.strip():
                report(("message", locale), "an empty placeholder {{ }}: write a formula inside")
            else:
                formula(m.strip(), ("message", locale))
    positions = ctx.compiled.get("codelists", {}).get("position")
    departments = ctx.compiled.get("codelists", {}).get("department")

    def check_recipients(items, raw_items, path):
        for i, (r, raw) in enumerate(zip(items, raw_items)):
            if r.kind == "position" and positions is not None:
                for name in r.value:
                    if positions.get(name) is None:
                        report(path + (i, "position"), f"'{name}' is not a code of the code list 'position'")
            if r.department is not None and departments is not None and departments.get(r.department) is None:
                report(path + (i, "department"), f"'{r.department}' is not a code of the code list 'department'")
            if r.kind == "formula":
                formula(r.value, path + (i, "formula"))
            elif r.kind == "field":
                f = fields.get(r.value)
                if f is None:
                    report(path + (i, "field"), f"entity '{entity.name}' has no field '{r.value}'")
                elif f.type != "user":
                    report(path + (i, "field"), f"'{r.value}' is a {f.type} field; recipients come from user "
                           "fields (for a linked record's user write {formula: link.field})")
            elif r.kind == "department_head" and departments is None:
                report(path + (i, "department_head"), "no code list 'department' names the department heads")

    check_recipients(rule.recipients, data["recipients"], ("recipients",))
    if rule.escalate_days:
        check_recipients(rule.escalate_to, data["escalate"]["to"], ("escalate", "to"))
    workflows = [w for w in ctx.compiled.get("workflows", {}).values() if w.entity == rule.entity]
    for i, step in ((i, r["step"]) for i, r in enumerate(data.get("runs") or ()) if isinstance(r, Mapping)):
        if not workflows:
            report(("runs", i, "step"), f"no workflow runs on entity '{rule.entity}'")
        elif not any(w.has_step(step) for w in workflows):
            report(("runs", i, "step"), f"no workflow of entity '{rule.entity}' has a step '{step}' "
                   f"(workflows: {', '.join(sorted(w.name for w in workflows))})")
    runs = data.get("runs") or []
    if len([r for r in runs if isinstance(r, str)]) != len({r for r in runs if isinstance(r, str)}):
        report(("runs",), "a run is listed twice")
    return rule


register_kind(Kind(folder="rules", schema="rule/rule.json", overlay_schema="rule/rule_overlay.json",
                   overlay=rule_overlay.apply, compile=compile_rule, order=80))
