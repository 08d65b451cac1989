"""Product overlays: a company pack changes another pack's product — labels, business type, form,
workflow, limits (merged per field), roles, counter-guarantee kinds, documents, weight category —
and adds, removes or changes fee rules by name. The checks (metadata/product.py) run on the merged
product; a problem in what the overlay wrote points at the overlay's file and line."""
from __future__ import annotations

from .doc import Doc, readable_path
from .errors import Problem
from .kinds import Context
from .labels import overlay_value
from .yamlsource import line_of

REPLACED = ("label", "description", "business_type", "form", "workflow", "scorecard", "roles",
            "counter_guarantees", "documents", "weight_category")
# a fee is either a rate or a fixed sum: setting one drops the other
EXCLUSIVE = {"amount": ("rate", "rate_basis"), "rate": ("amount",)}


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    def bad(raw_path, message):
        ctx.problems.append(Problem(file, line_of(lines, raw_path), ".".join(map(str, raw_path)), message))

    def touch(raw_path, path):
        ctx.touch(doc, path, pack, file, line_of(lines, raw_path))
        doc.add_locs(file, lines, data, readable_path(data, raw_path), path)
        doc.locs[path] = (file, line_of(lines, raw_path))

    for key in REPLACED:
        if key in data:
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            touch((key,), (key,))
    limits = doc.data.setdefault("limits", {})
    for name, limit in (data.get("limits") or {}).items():
        limits[name] = limit                                   # {min, max} of one field, replaced whole
        touch(("limits", name), ("limits", name))
    fees = doc.data.setdefault("fees", [])

    def find(name):
        return next((f for f in fees if f["name"] == name), None)

    for i, name in enumerate(data.get("remove_fees", [])):
        fee = find(name)
        if fee is None:
            bad(("remove_fees", i), f"no fee '{name}' in product '{doc.name}'")
            continue
        fees.remove(fee)
        ctx.touch(doc, ("fees", name), pack, file, line_of(lines, ("remove_fees", i)))
    for i, fee in enumerate(data.get("add_fees", [])):
        if find(fee["name"]) is not None:
            bad(("add_fees", i, "name"), f"fee '{fee['name']}' already exists in product '{doc.name}'")
            continue
        fees.append(dict(fee))
        touch(("add_fees", i), ("fees", fee["name"]))
    for name, change in (data.get("change_fees") or {}).items():
        fee = find(name)
        if fee is None:
            bad(("change_fees", name), f"no fee '{name}' in product '{doc.name}'")
            continue
        for prop, value in change.items():
            for other in EXCLUSIVE.get(prop, ()):
                if other not in change:
                    fee.pop(other, None)
            fee[prop] = overlay_value(prop, fee.get(prop), value)
            touch(("change_fees", name, prop), ("fees", name, prop))
