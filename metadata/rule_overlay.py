"""Rule overlays: a company pack changes another pack's warning rule — its label, condition, level,
message (merged per locale), recipients, runs, escalation (`escalate: false` removes it), key
(`key: false` removes it) — or turns it off with `enabled: false`. The checks (metadata/rule.py)
run on the merged rule; a problem in what the overlay wrote points at the overlay's file and line."""
from __future__ import annotations

from .doc import Doc
from .kinds import Context
from .labels import overlay_value

CHANGED = ("label", "description", "enabled", "condition", "level", "message", "recipients", "runs",
           "escalate", "key")


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    for key in CHANGED:
        if key not in data:
            continue
        ctx.touch(doc, (key,), pack, file, lines.get((key,)))
        if data[key] is False and key in ("escalate", "key"):
            doc.data.pop(key, None)
        else:
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
        doc.add_locs(file, lines, data, (key,), (key,))
        doc.locs[(key,)] = (file, lines.get((key,)))
