"""Warning rules in the studio's pack (docs/rules.md): pure edits, sources in → sources out.

A rule the studio pack defines is written whole; a rule of another pack is changed by an overlay
holding only the properties that differ from the rule as it is now (metadata/rule_overlay.py), so
what that pack changes later in the others still arrives. An overlay cannot remove a description;
it removes an escalation or a key with `false`, and turns a rule off with `enabled: false`.
"""
from __future__ import annotations

from metadata.model import Metadata
from metadata.rule import DAILY, SAVE, Rule
from metadata.rule_overlay import CHANGED
from metadata.source import PackSource
from metadata.workflow import Resolver

from .studio_pack import defines, read, write

REMOVABLE = ("escalate", "key")          # an overlay removes them with `false`


def recipient_spec(r: Resolver) -> dict:
    """A compiled recipient as a pack writes it."""
    if r.kind == "initiator":
        return {"creator": True}
    if r.kind == "department_head":
        return {"department_head": True}
    value = list(r.value) if isinstance(r.value, tuple) else r.value
    if r.kind in ("role", "position") and len(value) == 1:
        value = value[0]
    return {r.kind: value, **({"department": r.department} if r.department else {})}


def rule_spec(rule: Rule) -> dict:
    """A compiled rule as the properties a pack writes (defaults left out)."""
    out = {"name": rule.name, "label": dict(rule.label), "entity": rule.entity, "condition": rule.condition,
           "level": rule.level, "message": dict(rule.message),
           "recipients": [recipient_spec(r) for r in rule.recipients]}
    if rule.description:
        out["description"] = dict(rule.description)
    runs = ([DAILY] if rule.daily else []) + ([SAVE] if rule.on_save else []) + [{"step": s} for s in rule.steps]
    if runs != [DAILY]:
        out["runs"] = runs
    if rule.escalate_days:
        out["escalate"] = {"days": rule.escalate_days, "to": [recipient_spec(r) for r in rule.escalate_to]}
    if rule.key:
        out["key"] = rule.key
    if not rule.enabled:
        out["enabled"] = False
    return out


def _path(name: str) -> str:
    return f"rules/{name}.yaml"


def owned(sources, pack: str, name: str) -> bool:
    return defines(read(sources, pack, _path(name)))


def put_rule(sources, pack: str, meta: Metadata | None, spec: dict) -> list[PackSource]:
    """Create a rule or change one to `spec` (a whole rule as `rule_spec` gives it)."""
    name = spec["name"]
    doc = read(sources, pack, _path(name))
    current = (meta.kinds.get("rules") or {}).get(name) if meta is not None else None
    if defines(doc) or current is None:
        return write(sources, pack, _path(name), spec)
    old = rule_spec(current)
    change = {}
    for key in CHANGED:
        before, after = old.get(key), spec.get(key)
        if key == "enabled":                       # left out: the defaults
            before, after = before is not False, after is not False
        elif key == "runs":
            before, after = before or [DAILY], after or [DAILY]
        if before == after or (after is None and key not in REMOVABLE):
            continue
        change[key] = False if after is None else after
    return write(sources, pack, _path(name), {**(doc or {"overlay": name}), **change})


def set_enabled(sources, pack: str, meta: Metadata, name: str, enabled: bool) -> list[PackSource]:
    """Turn a rule on or off (an off rule's open warnings resolve at the next scan)."""
    spec = rule_spec(meta.kinds["rules"][name])
    spec.pop("enabled", None)
    return put_rule(sources, pack, meta, spec if enabled else {**spec, "enabled": False})


def remove_rule(sources, pack: str, name: str) -> list[PackSource]:
    """Delete a rule the studio pack defines (another pack's rule is turned off instead)."""
    return write(sources, pack, _path(name), None)
