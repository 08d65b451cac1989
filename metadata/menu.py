"""Menus (`menus/`): the navigation's groups of entities. The menu named `main` arranges the side
navigation; entities it does not place are listed after its groups, so a new entity still appears.
An overlay replaces a menu's label or its whole list of groups (the studio writes the list it shows)."""
from __future__ import annotations

from dataclasses import dataclass

from .doc import Doc
from .kinds import Context, Kind, register_kind
from .labels import label, overlay_value
from .model import Label

MAIN = "main"


@dataclass(frozen=True)
class MenuGroup:
    name: str
    label: Label
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Menu:
    name: str
    label: Label | None
    groups: tuple[MenuGroup, ...]
    pack: str = ""

    def placed(self) -> set[str]:
        return {e for g in self.groups for e in g.entities}


def compile_menu(doc: Doc, ctx: Context) -> Menu | None:
    data, ok, seen_groups, seen = doc.data, True, set(), {}
    entities = ctx.names("entities")
    for i, g in enumerate(data.get("groups", [])):
        if g["name"] in seen_groups:
            ctx.report(doc, ("groups", g["name"], "name"), f"group '{g['name']}' appears twice")
            ok = False
        seen_groups.add(g["name"])
        for e in g["entities"]:
            if e not in entities:
                ctx.report(doc, ("groups", g["name"], "entities"), f"no entity '{e}'")
                ok = False
            elif e in seen:
                ctx.report(doc, ("groups", g["name"], "entities"), f"entity '{e}' is already in group '{seen[e]}'")
                ok = False
            seen.setdefault(e, g["name"])
    if not ok:
        return None
    return Menu(doc.name, label(data.get("label")),
                tuple(MenuGroup(g["name"], label(g["label"]), tuple(g["entities"])) for g in data.get("groups", [])),
                doc.pack)


def apply(doc: Doc, data: dict, lines: dict, pack: str, file: str, ctx: Context) -> None:
    for key in ("label", "groups"):
        if key in data:
            ctx.touch(doc, (key,), pack, file, lines.get((key,)))
            doc.data[key] = overlay_value(key, doc.data.get(key), data[key])
            doc.add_locs(file, lines, data, (key,), (key,))
            doc.locs[(key,)] = (file, lines.get((key,)))


register_kind(Kind(folder="menus", schema="menu.json", overlay_schema="menu_overlay.json", overlay=apply,
                   compile=compile_menu, order=70))
