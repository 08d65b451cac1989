"""Workflows in the studio's pack (docs/studio.md "Workflows"): pure edits, sources in, sources out.

The editor works on a workflow's whole document as the packs merge it (`document`): merged, not
compiled, so a draft with problems (a step not yet reachable, a transition to a step not yet added)
can still be edited and drawn. A workflow the studio pack defines is written whole. A workflow of
another pack is written as the overlay that turns that pack's version (`base`) into the edited one
(`overlay_between`): label and start replaced, steps changed by `change_steps`, added where they
stand (`add_steps` with `after`) or removed (`remove_steps`). A step whose change an overlay cannot
say (a property taken away, a new place in the order) is removed and added anew.
"""
from __future__ import annotations

import copy

from metadata import loader
from metadata.doc import Doc
from metadata.kinds import KINDS, validator
from metadata.source import PackSource

from .studio_pack import defines, read, write

FOLDER = "workflows"
ALL = ("task", "approval", "vote", "automatic", "end")
# the step kinds each property applies to (docs/workflow.md, "Each step"); `name`, `kind`, `label`
# apply to all
APPLIES = {
    "outcome": ("end",), "assignees": ("task", "approval"), "fallback": ("task", "approval", "vote"),
    "forbid_self": ("task", "approval", "vote"), "mode": ("approval",), "ratio": ("approval",),
    "editable": ("task", "approval"), "required": ("task", "approval"), "on_enter": ALL, "on_leave": ALL,
    "deadline": ("task", "approval", "vote"), "allow_proxy": ("task", "approval"),
    "transitions": ("task", "approval", "vote", "automatic"), "members": ("vote",), "chair": ("vote",),
    "veto": ("vote",), "min_attendance": ("vote",), "pass": ("vote",), "options": ("vote",),
    "reconsider_to": ("vote",),
}
EVENTS = {"vote": ("pass", "fail", "no_quorum")}      # other kinds: approve (the default), reject
DEFAULT_EVENTS = ("approve", "reject")


def path_of(name: str) -> str:
    return f"{FOLDER}/{name}.yaml"


# -- reading ---------------------------------------------------------------------------------------

def documents(sources) -> dict[str, Doc]:
    """Every workflow (`.data` its document, `.pack` the pack defining it), overlays applied."""
    return loader.merged_documents(list(sources), FOLDER)


def document(sources, name: str) -> dict | None:
    doc = documents(sources).get(name)
    return doc.data if doc else None


def base(sources, pack: str, name: str) -> dict | None:
    """The workflow as the other packs leave it: the studio pack's file for it not applied."""
    return document(write(sources, pack, path_of(name), None), name)


def owned(sources, pack: str, name: str) -> bool:
    """Whether the studio pack defines the workflow (else it overlays another pack's)."""
    return defines(read(sources, pack, path_of(name)))


# -- writing ---------------------------------------------------------------------------------------

def save(sources, pack: str, doc: dict) -> list[PackSource]:
    """The sources with workflow `doc` (a whole document) as the studio pack says it."""
    name = doc["name"]
    old = base(sources, pack, name) if not owned(sources, pack, name) else None
    if old is None:
        return write(sources, pack, path_of(name), doc)
    overlay = overlay_between(old, doc)
    return write(sources, pack, path_of(name), overlay if len(overlay) > 1 else None)


def create(sources, pack: str, name: str, entity: str, label: dict) -> list[PackSource]:
    """A new workflow as the language requires it: a start task for the initiator, the end steps
    approved and rejected (a rejection without a transition goes there)."""
    doc = {"name": name, "entity": entity, "label": label, "start": "start", "steps": [
        {"name": "start", "kind": "task", "label": {"zh": "申请", "en": "Application"},
         "assignees": [{"initiator": True}], "transitions": [{"to": "approved"}]},
        {"name": "approved", "kind": "end", "outcome": "approved", "label": {"zh": "已通过", "en": "Approved"}},
        {"name": "rejected", "kind": "end", "outcome": "rejected", "label": {"zh": "已否决", "en": "Rejected"}},
    ]}
    return write(sources, pack, path_of(name), doc)


def settings(doc: dict, label: dict, start: str) -> dict:
    return {**copy.deepcopy(doc), "label": label, "start": start}


def put_step(doc: dict, step: dict) -> dict:
    """The document with `step` changed (by name), or added before the end steps."""
    out = copy.deepcopy(doc)
    steps = out["steps"]
    at = next((i for i, s in enumerate(steps) if s["name"] == step["name"]), None)
    if at is not None:
        steps[at] = fit(step)
    else:
        ends = [i for i, s in enumerate(steps) if s["kind"] == "end"]
        steps.insert(ends[0] if ends else len(steps), fit(step))
    return out


def fit(step: dict) -> dict:
    """The step without the properties its kind does not take (after a change of kind)."""
    return {k: v for k, v in step.items() if k not in APPLIES or step["kind"] in APPLIES[k]}


def remove_step(doc: dict, name: str) -> dict:
    """The document without the step and the transitions into it (other steps left without a way
    out are listed as the draft's problems)."""
    out = copy.deepcopy(doc)
    out["steps"] = [s for s in out["steps"] if s["name"] != name]
    for s in out["steps"]:
        if "transitions" in s:
            s["transitions"] = [t for t in s["transitions"] if t["to"] != name]
        if s.get("reconsider_to") == name:
            del s["reconsider_to"]
    return out


def move_step(doc: dict, name: str, by: int) -> dict:
    """The document with the step moved `by` places (-1: up); the order is the diagram's."""
    out = copy.deepcopy(doc)
    steps = out["steps"]
    i = next(i for i, s in enumerate(steps) if s["name"] == name)
    j = max(0, min(len(steps) - 1, i + by))
    steps.insert(j, steps.pop(i))
    return out


def step_errors(step: dict) -> list[tuple[tuple, str]]:
    """The schema's complaints about one step: (path inside the step, message)."""
    doc = {"name": "check", "entity": "check", "start": step.get("name") or "x", "steps": [step]}
    return [(tuple(e.absolute_path)[2:], e.message)
            for e in validator(KINDS[FOLDER].schema).iter_errors(doc)]


# -- the overlay -----------------------------------------------------------------------------------

def overlay_between(old: dict, new: dict) -> dict:
    """The overlay that turns workflow `old` into `new` (see the module's docstring)."""
    out: dict = {"overlay": new["name"]}
    for key in ("label", "description", "start"):
        if new.get(key) is not None and new.get(key) != old.get(key):
            out[key] = new[key]
    before = {s["name"]: s for s in old["steps"]}
    kept = _kept(old["steps"], new["steps"])
    removed = [s["name"] for s in old["steps"] if s["name"] not in kept]
    added, changed = [], {}
    for i, step in enumerate(new["steps"]):
        if step["name"] in kept:
            change = {k: v for k, v in step.items() if k != "name" and before[step["name"]].get(k) != v}
            if change:
                changed[step["name"]] = change
        else:
            added.append({"step": step, **({"after": new["steps"][i - 1]["name"]} if i else {})})
    for key, value in (("remove_steps", removed), ("add_steps", added), ("change_steps", changed)):
        if value:
            out[key] = value
    return out


def _kept(old: list, new: list) -> set[str]:
    """The steps of `old` the overlay keeps (and changes): the longest run in the same order whose
    changes an overlay can say. An added step stands after another, so when the first step is not
    kept, nothing is (all are added, in order, from the top)."""
    before = {s["name"]: s for s in old}
    fits = [s["name"] for s in new if s["name"] in before and _expressible(before[s["name"]], s)]
    if not new or not fits or fits[0] != new[0]["name"]:
        return set()
    first = [s["name"] for s in old].index(fits[0])
    return {fits[0], *_common([s["name"] for s in old[first + 1:]], fits[1:])}


def _common(a: list, b: list) -> list:
    """The longest common subsequence of two lists of names."""
    best = [[[] for _ in range(len(b) + 1)] for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            best[i][j] = [a[i], *best[i + 1][j + 1]] if a[i] == b[j] else \
                max(best[i + 1][j], best[i][j + 1], key=len)
    return best[0][0]


def _expressible(old: dict, new: dict) -> bool:
    """Whether `change_steps` can turn step `old` into `new`: it sets properties but takes none
    away, and labels merge per locale."""
    if any(k not in new for k in old):
        return False
    a, b = old.get("label"), new.get("label")
    return not (isinstance(a, dict) and isinstance(b, dict)) or set(a) <= set(b)
