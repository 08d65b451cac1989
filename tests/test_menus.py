"""Menus (metadata/menu.py, docs/metadata.md "Menus"): the `main` menu groups the side navigation,
filtered by the user's roles, with unplaced entities under "Other"; the studio edits the groups in
the draft (ui/studio_menus.py). (SQLite and PostgreSQL)"""
from __future__ import annotations

import re

import pytest

from core import drafts, metastore
from metadata.errors import MetadataError
from metadata.loader import load_packs

from .conftest import pack
from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)

BASE = {"pack.yaml": "name: base\nversion: 1.0.0\n",
        "entities/a.yaml": "name: a\nfields: [{name: x, type: text}]\n",
        "entities/b.yaml": "name: b\nfields: [{name: x, type: text}]\n"}


def test_a_menu_names_existing_entities_once():
    menu = "name: main\ngroups: [{name: g, label: G, entities: [a, nope]}, {name: h, label: H, entities: [a]}]\n"
    with pytest.raises(MetadataError) as e:
        load_packs([pack("base", {**BASE, "menus/main.yaml": menu})])
    text_ = str(e.value)
    assert "no entity 'nope'" in text_ and "entity 'a' is already in group 'g'" in text_ and "main.yaml:" in text_


def test_an_overlay_replaces_the_groups():
    menu = "name: main\ngroups: [{name: g, label: G, entities: [a]}]\n"
    over = pack("co", {"pack.yaml": "name: co\nversion: 1.0.0\nextends: [{name: base}]\n",
                       "menus/main.yaml": "overlay: main\ngroups: [{name: h, label: {zh: 乙}, entities: [b, a]}]\n"})
    meta = load_packs([pack("base", {**BASE, "menus/main.yaml": menu}), over])
    (group,) = meta.kinds["menus"]["main"].groups
    assert (group.name, group.entities) == ("h", ("b", "a"))


def nav(page: str) -> list[tuple[str, list[str]]]:
    """The navigation's groups with the entities in each, in order."""
    side = page.split('<nav class="side"', 1)[1].split("</nav>", 1)[0]
    out = []
    for m in re.finditer(r'id="nav-group-([a-z_]+)"(.*?)</div>', side, re.S):
        out.append((m.group(1), re.findall(r'id="nav-e-([a-z_]+)"', m.group(2))))
    return out


def test_the_navigation_follows_the_menu_and_the_roles(engine, clock, installed, admin):  # noqa: F811
    groups = dict(nav(text(admin.get("/"))))
    assert list(groups)[:2] == ["customers", "business"]
    assert groups["customers"][:2] == ["enterprise_customer", "individual_customer"]
    finance = dict(nav(text(client_for(engine, clock, "cw", ["finance"]).get("/"))))
    readable = {e for es in finance.values() for e in es}
    assert readable and readable < {e for es in groups.values() for e in es}
    assert all(es for es in finance.values())                          # no empty group is shown


def post(c, data):
    return c.post("/studio/menus", data={"csrf_token": token_of(text(c.get("/studio/menus"))), **data})


def form_of(c) -> dict:
    page = text(c.get("/studio/menus"))
    data = dict(re.findall(r'<input (?:type="number" )?name="([a-z0-9_-]+)" value="([^"]*)"', page))
    data.update(re.findall(r'<input type="hidden" name="(g-[0-9]+-name)" value="([^"]*)"', page))
    for name, value in re.findall(r'<select name="(e-[a-z_]+-group)"[^>]*>(?:.*?<option value="([a-z_]*)" selected)?',
                                  page):
        data[name] = value
    return data


def test_the_studio_moves_an_entity_into_a_new_group_in_the_draft(engine, clock, installed, admin):  # noqa: F811
    pm = client_for(engine, clock, "li", ["pm"])
    assert pm.get("/studio/menus").status_code == 403
    data = form_of(admin)
    data.update({"g-new-name": "partners", "g-new-zh": "合作方", "g-new-en": "Partners", "g-new-pos": "0",
                 "e-bank-group": "partners", "e-bank-pos": "1", "e-institution-group": "partners",
                 "e-institution-pos": "2"})
    assert post(admin, data).status_code == 302
    assert nav(text(admin.get("/")))[0][0] == "customers"               # staff: not before publishing
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == []
    assert [g.name for g in meta.kinds["menus"]["main"].groups][:2] == ["partners", "customers"]
    assert post(admin, {**data, "g-new-name": "Bad"}).status_code == 422
    c = admin
    c.post("/studio/draft/publish", data={"csrf_token": token_of(text(c.get("/studio")))})
    first = nav(text(admin.get("/")))[0]
    assert first == ("partners", ["bank", "institution"])
    assert metastore.current(engine).version == installed.version + 1
