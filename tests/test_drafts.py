"""The studio's draft (core/drafts.py), its own pack (core/studio_pack.py) and the impact preview
(core/impact.py): edits go into a draft that staff do not see; the draft is checked as installing
checks it; publishing installs it as a new version with a note; an old version comes back as a
draft; the preview counts what a change does to existing records. (SQLite and PostgreSQL)"""
from __future__ import annotations

import pytest
import yaml

from core import drafts, metastore, studio_pack
from core.impact import impact
from core.store import Store
from metadata.errors import MetadataError
from metadata.source import read_pack_dir

from .conftest import PACKS

PACK = "company"


@pytest.fixture
def mini(engine, clock):
    return metastore.install(engine, [read_pack_dir(PACKS / "mini")], clock=clock, actor="setup")


def edit(engine, clock, change):
    """Apply `change(sources, meta)` to the draft (started when there is none) and save it."""
    draft = drafts.current(engine) or drafts.start(engine, actor="root", clock=clock)
    meta, _ = drafts.check(draft.sources)
    return drafts.save(engine, change(list(draft.sources), meta), based_on=draft.based_on, note=draft.note,
                       actor="root", clock=clock)


def compiled(draft):
    meta, problems = drafts.check(draft.sources)
    assert problems == []
    return meta


def test_a_new_field_is_in_the_draft_only_until_published(engine, clock, mini):
    draft = edit(engine, clock, lambda s, m: studio_pack.put_field(
        s, PACK, m, "customer", {"name": "wechat", "type": "text", "label": {"zh": "微信"}, "max_length": 40},
        after="name"))
    assert compiled(draft).entity("customer").field_names[:2] == ("name", "wechat")
    assert not metastore.current(engine).meta.entity("customer").has("wechat")     # staff do not see it
    overlay = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/customer.yaml"])
    assert overlay == {"overlay": "customer", "add_fields": [
        {"name": "wechat", "type": "text", "label": {"zh": "微信"}, "max_length": 40, "after": "name"}]}
    manifest = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["pack.yaml"])
    assert manifest["extends"] == [{"name": "mini"}]

    installed = drafts.publish(engine, actor="root", clock=clock)
    assert installed.version == mini.version + 1
    assert metastore.current(engine).meta.entity("customer").field("wechat").max_length == 40
    assert drafts.current(engine) is None
    assert metastore.versions(engine)[-1] | {"installed_at": None} == {
        "version": installed.version, "digest": installed.meta.digest, "installed_at": None,
        "installed_by": "root", "packs": ["mini", PACK], "note": "draft"}


def test_changing_a_field_of_another_pack_writes_only_what_differs(engine, clock, mini):
    draft = edit(engine, clock, lambda s, m: studio_pack.put_field(
        s, PACK, m, "customer", {**studio_pack.field_spec(m.entity("customer").field("rating")), "max": 120}))
    overlay = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/customer.yaml"])
    assert overlay == {"overlay": "customer", "change_fields": {"rating": {"max": 120}}}
    assert compiled(draft).entity("customer").field("rating").max == 120


def test_a_type_change_drops_what_the_new_type_does_not_take_and_previews_values_that_do_not_convert(
        engine, clock, mini):
    store = Store(engine, mini.meta, clock=clock, meta_version=mini.version)
    for nick in ("house", "car", "house", "boat"):
        store.create("customer", {"name": nick, "nickname": nick})
    store.create("customer", {"name": "none"})

    def to_choice(s, m):
        spec = {k: v for k, v in studio_pack.field_spec(m.entity("customer").field("nickname")).items()
                if k not in ("pattern", "pattern_message")}
        return studio_pack.put_field(s, PACK, m, "customer", {**spec, "type": "choice", "codelist": "collateral_kind"})
    draft = edit(engine, clock, to_choice)
    change = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/customer.yaml"])
    assert change["change_fields"]["nickname"] == {"type": "choice", "codelist": "collateral_kind",
                                                    "unset": ["pattern", "pattern_message"]}
    after = compiled(draft)
    assert after.entity("customer").field("nickname").type == "choice"
    codes = {i.code for i in after.codelist("collateral_kind").items}
    assert "house" in codes and "boat" not in codes
    (tc,) = impact(engine, mini.meta, after).type_changes
    assert (tc.entity, tc.field, tc.old, tc.new, tc.records) == ("customer", "nickname", "text", "choice", 4)
    expected_failing = sum(1 for n in ("house", "car", "house", "boat") if n not in codes)
    assert tc.failing == expected_failing and "boat" in tc.examples


def test_removed_and_hidden_fields_count_the_records_holding_values(engine, clock, mini):
    store = Store(engine, mini.meta, clock=clock, meta_version=mini.version)
    store.create("customer", {"name": "甲", "nickname": "abc", "rating": 5})
    store.create("customer", {"name": "乙", "rating": 7})
    store.create("customer", {"name": "丙"})

    def change(s, m):
        s = studio_pack.remove_field(s, PACK, "customer", "nickname")
        return studio_pack.put_field(s, PACK, m, "customer",
                                     {**studio_pack.field_spec(m.entity("customer").field("joined_on")),
                                      "hidden": True})
    after = compiled(edit(engine, clock, change))
    result = impact(engine, mini.meta, after)
    assert [(i.entity, i.field, i.records) for i in result.removed] == [("customer", "nickname", 1)]
    assert [(i.field, i.records) for i in result.hidden] == [("joined_on", 0)]
    assert not after.entity("customer").has("nickname")


def test_a_formula_referring_to_a_removed_field_blocks_publishing(engine, clock, mini):
    draft = edit(engine, clock, lambda s, m: studio_pack.remove_field(s, PACK, "project", "rate"))
    meta, problems = drafts.check(draft.sources)
    assert meta is None
    assert any("rate" in str(p) and "fee" in str(p) for p in problems), problems
    with pytest.raises(MetadataError):
        drafts.publish(engine, actor="root", clock=clock)
    assert metastore.current(engine).version == mini.version       # nothing installed
    assert drafts.current(engine) is not None                       # the draft is kept to fix


def test_code_lists_are_created_and_changed_by_overlay(engine, clock, mini):
    def change(s, m):
        s = studio_pack.put_item(s, PACK, m, "collateral_kind", {"code": "house", "label": {"zh": "住宅"}})
        s = studio_pack.put_item(s, PACK, m, "collateral_kind", {"code": "ship", "label": {"zh": "船舶"}})
        s = studio_pack.put_codelist(s, PACK, m, "visit_kind", {"zh": "走访方式", "en": "Visit kind"})
        s = studio_pack.put_item(s, PACK, m, "visit_kind", {"code": "site", "label": {"zh": "实地"}})
        s = studio_pack.put_item(s, PACK, m, "visit_kind", {"code": "site_night", "label": {"zh": "夜访"},
                                                            "parent": "site"})
        return studio_pack.put_item(s, PACK, m, "visit_kind", {"code": "phone", "label": {"zh": "电话"},
                                                               "active": False})
    after = compiled(edit(engine, clock, change))
    kinds = after.codelist("collateral_kind")
    assert kinds.get("house").label["zh"] == "住宅" and kinds.get("ship").label["zh"] == "船舶"
    visits = after.codelist("visit_kind")
    assert [i.code for i in visits.children(None)] == ["site", "phone"]
    assert visits.get("site_night").parent == "site" and visits.get("phone").active is False
    assert visits.hierarchical


def test_an_old_version_comes_back_as_a_draft_and_publishing_it_is_noted(engine, clock, mini):
    edit(engine, clock, lambda s, m: studio_pack.put_field(s, PACK, m, "customer",
                                                           {"name": "wechat", "type": "text"}))
    second = drafts.publish(engine, actor="root", clock=clock)
    draft = drafts.start(engine, actor="root", clock=clock, version=mini.version)
    assert draft.based_on == second.version and draft.note == "from 1"
    third = drafts.publish(engine, actor="root", clock=clock)
    assert third.meta.digest == mini.meta.digest
    assert metastore.versions(engine)[-1]["note"] == "draft from 1"
    with pytest.raises(KeyError):
        drafts.start(engine, actor="root", clock=clock, version=99)


def test_a_draft_older_than_the_installed_version_is_carried_over_before_publishing(engine, clock, mini):
    edit(engine, clock, lambda s, m: studio_pack.put_field(s, PACK, m, "customer",
                                                           {"name": "wechat", "type": "text"}))
    other = metastore.install(engine, metastore.installed_sources(engine), actor="someone", clock=clock)
    draft = drafts.current(engine)
    assert drafts.stale(engine, draft)
    with pytest.raises(MetadataError, match="carry the draft over"):
        drafts.publish(engine, actor="root", clock=clock)
    rebased = drafts.rebase(engine, draft, PACK, actor="root", clock=clock)
    assert rebased.based_on == other.version and not drafts.stale(engine, rebased)
    assert drafts.publish(engine, actor="root", clock=clock).meta.entity("customer").has("wechat")


def test_a_new_entity_gets_a_name_field_and_fields_edited_in_place(engine, clock, mini):
    def change(s, m):
        s = studio_pack.put_entity(s, PACK, m, "site_visit", {"zh": "走访记录", "en": "Site visit"})
        s = studio_pack.put_field(s, PACK, m, "site_visit", {"name": "visited_on", "type": "date"})
        s = studio_pack.put_field(s, PACK, m, "site_visit", {"name": "customer", "type": "link",
                                                             "entity": "customer"}, after="name")
        return studio_pack.remove_field(s, PACK, "site_visit", "visited_on")
    after = compiled(edit(engine, clock, change))
    assert after.entity("site_visit").field_names == ("name", "customer")
    assert after.entity("site_visit").pack == PACK


def test_values_mapped_to_codes_are_converted_on_publishing_with_history(engine, clock, mini):
    from sqlalchemy import select

    from core.db import history
    store = Store(engine, mini.meta, clock=clock, meta_version=mini.version)
    boat = store.create("customer", {"name": "a", "nickname": "boat"})
    house = store.create("customer", {"name": "b", "nickname": "house"})
    other = store.create("customer", {"name": "c", "nickname": "ship"})

    def to_choice(s, m):
        spec = {k: v for k, v in studio_pack.field_spec(m.entity("customer").field("nickname")).items()
                if k not in ("pattern", "pattern_message")}
        return studio_pack.put_field(s, PACK, m, "customer", {**spec, "type": "choice", "codelist": "collateral_kind"})
    after = compiled(edit(engine, clock, to_choice))
    (tc,) = impact(engine, mini.meta, after).type_changes
    assert tc.failing == 2 and set(tc.examples) == {"boat", "ship"} and ("land", after.codelist("collateral_kind").get("land").label) in tc.codes
    draft = drafts.map_values(engine, "customer.nickname", {"boat": "land", "ship": ""}, actor="root", clock=clock)
    assert draft.conversions == {"customer.nickname": {"boat": "land"}}
    (tc,) = impact(engine, mini.meta, after, draft.conversions).type_changes
    assert tc.failing == 1 and tc.examples == ("ship",) and tc.mapped == {"boat": "land"}

    drafts.publish(engine, actor="root", clock=clock)
    store = Store(engine, metastore.current(engine).meta, clock=clock)
    assert store.get("customer", boat.id).values["nickname"] == "land"
    assert store.get("customer", boat.id).version == boat.version + 1
    assert store.get("customer", house.id).values["nickname"] == "house"
    assert store.get("customer", other.id).values["nickname"] == "ship"           # left as it was
    with engine.connect() as c:
        entries = c.execute(select(history.c.record_id, history.c.action, history.c.actor, history.c.changes)
                            .where(history.c.action == "convert")).all()
    assert [tuple(e) for e in entries] == [(boat.id, "convert", "root", {"nickname": ["boat", "land"]})]


def test_child_table_columns_are_added_changed_and_removed(engine, clock, mini):
    def change(s, m):
        s = studio_pack.put_field(s, PACK, m, "project", {"name": "note", "type": "text", "max_length": 50},
                                  table="collateral")
        ratio = studio_pack.field_spec(m.entity("project").field("collateral").child("ratio"))
        s = studio_pack.put_field(s, PACK, m, "project", {**ratio, "max": 80}, table="collateral")
        return studio_pack.remove_field(s, PACK, "project", "collateral.kind_label")
    draft = edit(engine, clock, change)
    overlay = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/project.yaml"])
    assert overlay["add_fields"] == [{"name": "note", "type": "text", "max_length": 50, "after": "collateral.over_cap"}]
    assert overlay["change_fields"] == {"collateral.ratio": {"max": 80}}
    assert overlay["remove_fields"] == ["collateral.kind_label"]
    table = compiled(draft).entity("project").field("collateral")
    assert [c.name for c in table.fields][-1] == "note" and "kind_label" not in [c.name for c in table.fields]
    assert table.child("ratio").max == 80
    # the column added in the draft is changed and removed where it was written
    draft = edit(engine, clock, lambda s, m: studio_pack.put_field(
        s, PACK, m, "project", {"name": "note", "type": "long_text"}, table="collateral"))
    assert compiled(draft).entity("project").field("collateral").child("note").type == "long_text"
    draft = edit(engine, clock, lambda s, m: studio_pack.remove_field(s, PACK, "project", "collateral.note"))
    overlay = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/project.yaml"])
    assert "add_fields" not in overlay and "note" not in [c.name for c in compiled(draft).entity("project")
                                                            .field("collateral").fields]


def test_a_new_table_field_takes_its_columns_in_place(engine, clock, mini):
    def change(s, m):
        s = studio_pack.put_field(s, PACK, m, "customer", {"name": "visits", "type": "table", "fields": [
            {"name": "visited_on", "type": "date"}]})
        m2, _ = drafts.check(s)
        s = studio_pack.put_field(s, PACK, m2, "customer", {"name": "who", "type": "text"}, table="visits")
        return studio_pack.remove_field(s, PACK, "customer", "visits.visited_on")
    draft = edit(engine, clock, change)
    overlay = yaml.safe_load(next(s for s in draft.sources if s.label == PACK).files["entities/customer.yaml"])
    assert overlay["add_fields"] == [{"name": "visits", "type": "table", "fields": [{"name": "who", "type": "text"}]}]
    assert [c.name for c in compiled(draft).entity("customer").field("visits").fields] == ["who"]
