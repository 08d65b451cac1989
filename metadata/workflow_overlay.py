"""Workflow overlays: a company pack changes another pack's workflow — its label and start step,
a step's properties (assignees, deadline, mode, label, transitions …), added and removed steps.
The semantic checks (metadata/workflow.py) run on the merged workflow; a problem in what the
overlay wrote points at the overlay's file and line."""
from __future__ import annotations

from .doc import Doc
from .errors import Problem
from .kinds import Context
from .labels import overlay_value
from .yamlsource import line_of

TOP_LEVEL = ("label", "description", "start")


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    def bad(raw_path, message):
        ctx.problems.append(Problem(file, line_of(lines, raw_path), ".".join(map(str, raw_path)), message))

    steps = doc.data["steps"]

    def find(name: str):
        return next((s for s in steps if s["name"] == name), None)

    for key in TOP_LEVEL:
        if key in data:
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            doc.locs[(key,)] = (file, lines.get((key,)))
    # removed first, so an overlay can replace a step by removing and adding it
    for i, name in enumerate(data.get("remove_steps", [])):
        step = find(name)
        if step is None:
            bad(("remove_steps", i), f"no step '{name}' in workflow '{doc.name}'")
            continue
        steps.remove(step)
        ctx.touch(doc, ("steps", name), pack, file, line_of(lines, ("remove_steps", i)))
    for i, spec in enumerate(data.get("add_steps", [])):
        step = dict(spec["step"])
        name = step["name"]
        if find(name) is not None:
            bad(("add_steps", i, "step", "name"), f"step '{name}' already exists in workflow '{doc.name}'")
            continue
        position = len(steps)
        if spec.get("after"):
            anchor = find(spec["after"])
            if anchor is None:
                bad(("add_steps", i, "after"), f"no step '{spec['after']}' in workflow '{doc.name}'")
                continue
            position = steps.index(anchor) + 1
        steps.insert(position, step)
        doc.add_locs(file, lines, data, ("add_steps", i, "step"), ("steps", name))
        ctx.touch(doc, ("steps", name), pack, file, line_of(lines, ("add_steps", i)))
    for name, change in (data.get("change_steps") or {}).items():
        step = find(name)
        if step is None:
            bad(("change_steps", name), f"no step '{name}' in workflow '{doc.name}'")
            continue
        for prop, value in change.items():       # a list (transitions, assignees …) is replaced whole
            step[prop] = overlay_value(prop, step.get(prop), value)
            path = ("steps", name, prop)
            ctx.touch(doc, path, pack, file, lines.get(("change_steps", name, prop)))
            doc.add_locs(file, lines, data, ("change_steps", name, prop), path)
