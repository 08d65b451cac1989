"""The codelist kind: flat or hierarchical dictionaries, merged (never replaced) by overlays."""
from __future__ import annotations

from types import MappingProxyType

from .doc import Doc
from .errors import Problem
from .yamlsource import line_of
from .kinds import Context, Kind, register_kind
from .labels import label, overlay_value
from .model import CodeItem, CodeList


def _flatten(items, parent=None):
    """Nested `children` become flat items with `parent` set."""
    for item in items:
        item = dict(item)
        children = item.pop("children", [])
        item["code"] = str(item["code"])
        if item.get("parent") is not None:
            item["parent"] = str(item["parent"])
        elif parent is not None:
            item["parent"] = parent
        yield item
        yield from _flatten(children, item["code"])


def overlay(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    items = doc.data.setdefault("items", [])
    by_code = {str(i["code"]): i for i in _flatten(items)}
    doc.data["items"] = list(by_code.values())   # keep flat from here on
    for key in ("label", "description"):
        if key in data:
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
    for i, item in enumerate(_flatten(data.get("add_items", []))):
        code = item["code"]
        if code in by_code:
            ctx.touch(doc, ("items", code), pack, file, lines.get(("add_items", i)))
            ctx.problems.append(_overlay_problem(file, lines, ("add_items", i), f"add_items.{code}",
                                                 f"code '{code}' already exists in '{doc.name}'; "
                                                 "use change_items to change it"))
            continue
        by_code[code] = item
        doc.data["items"].append(item)
        doc.locs[("items", code)] = (file, lines.get(("add_items", i)))
        doc.touched[("items", code)] = pack
    for code, change in (data.get("change_items") or {}).items():
        code = str(code)
        if code not in by_code:
            ctx.problems.append(_overlay_problem(file, lines, ("change_items", code),
                                                 f"change_items.{code}", f"no code '{code}' in '{doc.name}'"))
            continue
        for prop, value in change.items():
            by_code[code][prop] = overlay_value(prop, by_code[code].get(prop), value)
            ctx.touch(doc, ("items", code, prop), pack, file, lines.get(("change_items", code, prop)))
    for i, code in enumerate(data.get("hide_items", [])):
        code = str(code)
        if code not in by_code:
            ctx.problems.append(_overlay_problem(file, lines, ("hide_items", i),
                                                 f"hide_items.{i}", f"no code '{code}' in '{doc.name}'"))
            continue
        by_code[code]["active"] = False
        ctx.touch(doc, ("items", code, "active"), pack, file, lines.get(("hide_items", i)))


def _overlay_problem(file, lines, raw_path, path, message):
    return Problem(file, line_of(lines, raw_path), path, message)


def compile_codelist(doc: Doc, ctx: Context) -> CodeList | None:
    seen: set[str] = set()
    items = []
    flat = list(_flatten(doc.data.get("items", [])))
    codes = {i["code"] for i in flat}
    for item in flat:
        code = item["code"]
        if code in seen:
            ctx.report(doc, ("items", code), f"code '{code}' appears twice")
            continue
        seen.add(code)
        if item.get("parent") is not None and item["parent"] not in codes:
            ctx.report(doc, ("items", code, "parent"), f"parent '{item['parent']}' is not a code of this list")
        items.append(CodeItem(code=code, label=label(item["label"]), parent=item.get("parent"),
                              active=item.get("active", True),
                              data=MappingProxyType(dict(item.get("data") or {}))))
    _check_parent_cycles(doc, items, ctx)
    return CodeList(name=doc.name, label=label(doc.data.get("label"), doc.name), items=tuple(items),
                    description=label(doc.data.get("description")), pack=doc.pack)


def _check_parent_cycles(doc, items, ctx):
    parent = {i.code: i.parent for i in items}
    for code in parent:
        seen, cur = set(), code
        while cur is not None:
            if cur in seen:
                ctx.report(doc, ("items", code, "parent"), f"code '{code}' is its own ancestor")
                break
            seen.add(cur)
            cur = parent.get(cur)


register_kind(Kind(folder="codelists", schema="codelist.json", overlay_schema="codelist_overlay.json",
                   overlay=overlay, compile=compile_codelist, order=10))
