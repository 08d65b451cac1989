"""Entity overlays: add, change, hide, remove and reorder fields of another pack's entity."""
from __future__ import annotations

from .doc import Doc
from .errors import Problem
from .kinds import Context
from .labels import overlay_value
from .yamlsource import line_of

TOP_LEVEL = ("label", "description", "title_field", "search_fields", "list_columns", "numbering",
             "permissions", "indexes")


def _find(fields: list, dotted: str):
    """The field dict at 'a' or 'table.a', or None."""
    *parents, last = dotted.split(".")
    for part in parents:
        table = next((f for f in fields if f["name"] == part and f.get("type") == "table"), None)
        if table is None:
            return None
        fields = table.setdefault("fields", [])
    return next((f for f in fields if f["name"] == last), None)


def _fpath(dotted: str) -> tuple:
    out: tuple = ()
    for part in dotted.split("."):
        out += ("fields", part)
    return out


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    def bad(raw_path, message):
        ctx.problems.append(Problem(file, line_of(lines, raw_path), ".".join(map(str, raw_path)), message))

    fields = doc.data.setdefault("fields", [])
    for key in TOP_LEVEL:
        if key in data:
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            doc.locs[(key,)] = (file, lines.get((key,)))
    for i, spec in enumerate(data.get("add_fields", [])):
        spec = dict(spec)
        after = spec.pop("after", None)
        name = spec["name"]
        if _find(fields, name) is not None:
            bad(("add_fields", i, "name"), f"field '{name}' already exists in '{doc.name}'")
            continue
        target, position = fields, len(fields)
        if after:
            if "." in after:  # a child field: add to that table
                table = _find(fields, after.rsplit(".", 1)[0])
                target = table["fields"] if table else None
            anchor = _find(fields, after)
            if anchor is None or target is None:
                bad(("add_fields", i, "after"), f"no field '{after}' in '{doc.name}'")
                continue
            position = target.index(anchor) + 1
            path = _fpath(after)[:-2] + ("fields", name)
        else:
            path = ("fields", name)
        target.insert(position, spec)
        doc.add_locs(file, lines, data, ("add_fields", name), path)
        ctx.touch(doc, path, pack, file, lines.get(("add_fields", i)))
    for dotted, change in (data.get("change_fields") or {}).items():
        target = _find(fields, dotted)
        if target is None:
            bad(("change_fields", dotted), f"no field '{dotted}' in '{doc.name}'")
            continue
        for prop in change.get("unset", ()):     # e.g. max_length when a text field becomes a choice
            target.pop(prop, None)
        for prop, value in change.items():
            if prop == "unset":
                continue
            target[prop] = overlay_value(prop, target.get(prop), value)
            path = _fpath(dotted) + (prop,)
            ctx.touch(doc, path, pack, file, lines.get(("change_fields", dotted, prop)))
            doc.locs[path] = (file, lines.get(("change_fields", dotted, prop)))
    for i, dotted in enumerate(data.get("hide_fields", [])):
        target = _find(fields, dotted)
        if target is None:
            bad(("hide_fields", i), f"no field '{dotted}' in '{doc.name}'")
            continue
        target["hidden"] = True
        ctx.touch(doc, _fpath(dotted) + ("hidden",), pack, file, lines.get(("hide_fields", i)))
    removed = doc.data.setdefault("_removed", [])
    for i, dotted in enumerate(data.get("remove_fields", [])):
        target = _find(fields, dotted)
        if target is None:
            bad(("remove_fields", i), f"no field '{dotted}' in '{doc.name}'")
            continue
        parent = fields if "." not in dotted else _find(fields, dotted.rsplit(".", 1)[0])["fields"]
        parent.remove(target)
        removed.append(dotted)
        doc.locs[("_removed", dotted)] = (file, lines.get(("remove_fields", i)))
        ctx.touch(doc, _fpath(dotted), pack, file, lines.get(("remove_fields", i)))
    if data.get("order"):
        wanted = data["order"]
        missing = [n for n in wanted if _find(fields, n) is None]
        if missing:
            bad(("order",), f"no field(s) {', '.join(missing)} in '{doc.name}'")
        else:
            front = [_find(fields, n) for n in wanted]
            fields[:] = front + [f for f in fields if f["name"] not in wanted]
            ctx.touch(doc, ("order",), pack, file, lines.get(("order",)))
    validations = doc.data.setdefault("validations", [])
    for i, v in enumerate(data.get("add_validations", [])):
        if any(x["name"] == v["name"] for x in validations):
            bad(("add_validations", i, "name"), f"validation '{v['name']}' already exists")
            continue
        validations.append(v)
        doc.add_locs(file, lines, data, ("add_validations", v["name"]), ("validations", v["name"]))
    for name, change in (data.get("change_validations") or {}).items():
        match = [x for x in validations if x["name"] == name]
        if not match:
            bad(("change_validations", name), f"no validation '{name}' in '{doc.name}'")
            continue
        for prop, value in change.items():
            match[0][prop] = overlay_value(prop, match[0].get(prop), value)
            ctx.touch(doc, ("validations", name, prop), pack, file, lines.get(("change_validations", name, prop)))
            doc.locs[("validations", name, prop)] = (file, lines.get(("change_validations", name, prop)))
    for i, name in enumerate(data.get("remove_validations", [])):
        match = [x for x in validations if x["name"] == name]
        if not match:
            bad(("remove_validations", i), f"no validation '{name}' in '{doc.name}'")
            continue
        validations.remove(match[0])
        ctx.touch(doc, ("validations", name), pack, file, lines.get(("remove_validations", i)))
