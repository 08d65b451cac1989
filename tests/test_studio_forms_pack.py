"""Form layouts edited in the studio's pack (core/studio_forms.py): another pack's form is written
whole as two overlays (its sections taken off, the studio's layout added back under the same names),
so it can be reordered and relabelled and forms extending it keep working; the studio's own form is
edited in place; fields left off another pack's form stay off, unplaced fields of the studio's own
form are shown in 其他/Other."""
from __future__ import annotations

import pytest

from core import studio_forms as sf
from core.studio_pack import read
from metadata.source import read_pack_dir

from .conftest import SEED, compiled

PACK = "company"


def layout_names(form):
    return [(t.name, [(s.name, list(s.fields)) for s in t.sections]) for t in form.tabs]


def test_every_form_written_back_unchanged_compiles_to_the_same_form(standard_draft):
    sources, meta = standard_draft
    out = sources
    for name, form in meta.forms.items():
        out = sf.put_layout(out, PACK, meta, name, sf.tabs_of(form))
    after = compiled(out)
    for name, form in meta.forms.items():
        assert after.forms[name].tabs == form.tabs, name        # related sections, labels, columns, Other
    reset = read(out, PACK, "forms/bank.reset.yaml")
    assert reset["overlay"] == "bank" and reset["remove_sections"][0] == "basic"
    assert read(out, PACK, "forms/bank.yaml")["add_tabs"][0]["name"] == "main"


def test_another_packs_form_is_reordered_and_relabelled_under_the_same_names(standard_draft):
    sources, meta = standard_draft
    out = sf.move_field(sources, PACK, meta, "project", "status", -1)
    out = sf.move_tab(out, PACK, compiled(out), "project", "review", -1)
    out = sf.change_section(out, PACK, None, "project", "risk", {"zh": "风险审查", "en": "Risk"}, 3)
    out = sf.relabel_tab(out, PACK, None, "project", "execution", {"zh": "签约放款"})
    form = compiled(out).forms["project"]
    assert [t.name for t in form.tabs][:3] == ["review", "application", "execution"]
    applicant = form.tabs[1].sections[0]
    assert applicant.fields[:2] == ("status", "number")
    risk = form.tabs[0].sections[1]
    assert (risk.name, dict(risk.label), risk.columns) == ("risk", {"zh": "风险审查", "en": "Risk"}, 3)
    assert dict(form.tabs[2].label) == {"zh": "签约放款"}
    assert read(out, PACK, "forms/project.reset.yaml")["overlay"] == "project"   # written once, kept
    assert not sf.owned(out, PACK, "project")


def test_a_form_extending_a_reordered_form_still_compiles(standard):
    construction = read_pack_dir(SEED / "construction")
    meta = compiled([standard, construction])
    out = sf.move_section([standard, construction], PACK, meta, "project", "guarantee", -1)
    after = compiled(out)
    assert [s.name for s in after.forms["project"].tabs[0].sections][:2] == ["guarantee", "applicant"]
    assert [s.name for s in after.forms["construction_project"].tabs[0].sections][:2] == ["guarantee", "applicant"]


def test_tabs_sections_and_fields_are_added_and_removed(standard_draft):
    sources, meta = standard_draft
    out = sf.add_tab(sources, PACK, meta, "bank", "contacts", {"zh": "联系人", "en": "Contacts"})
    out = sf.add_section(out, PACK, None, "bank", "contacts", "hotline", {"zh": "热线"}, 1)
    field = meta.forms["bank"].tabs[0].sections[0].fields[-1]
    out = sf.remove_field(out, PACK, None, "bank", field)
    out = sf.add_field(out, PACK, None, "bank", "hotline", field)
    with pytest.raises(ValueError):
        sf.add_field(out, PACK, None, "bank", "contacts", field)               # on the form already
    form = compiled(out).forms["bank"]
    assert [s.name for s in form.tabs[-1].sections][:2] == ["contacts", "hotline"] and form.tabs[-1].name == "contacts"
    assert form.tabs[-1].sections[1].fields == (field,) and form.tabs[-1].sections[1].columns == 1
    out = sf.remove_section(out, PACK, None, "bank", "contacts")
    out = sf.remove_section(out, PACK, None, "bank", "hotline")                 # the tab goes with it
    assert [t.name for t in compiled(out).forms["bank"].tabs] == ["main"]
    assert [t["name"] for t in sf.layout(out, PACK, None, "bank")] == ["main"]
    out = sf.add_tab(out, PACK, None, "bank", "extra", {"zh": "补充"})
    out = sf.remove_tab(out, PACK, None, "bank", "extra")
    assert [t.name for t in compiled(out).forms["bank"].tabs] == ["main"]
    with pytest.raises(ValueError):
        sf.remove_tab(out, PACK, None, "bank", "main")                          # the last tab
    with pytest.raises(KeyError):
        sf.remove_section(out, PACK, None, "bank", "nothing")


def test_a_field_left_off_another_packs_form_stays_off(standard_draft):
    sources, meta = standard_draft
    out = sf.remove_field(sources, PACK, meta, "bank", "remarks")
    form = compiled(out).forms["bank"]
    assert "remarks" not in [f for t in form.tabs for s in t.sections for f in s.fields]


def test_the_studios_own_form_is_edited_in_place_and_shows_unplaced_fields_in_other(standard_draft):
    sources, meta = standard_draft
    out = sf.create_form(sources, PACK, "bank_short", "bank", {"zh": "银行（简）"})
    doc = read(out, PACK, "forms/bank_short.yaml")
    assert doc["name"] == "bank_short" and doc["tabs"][0]["sections"][0]["fields"] == []
    out = sf.add_field(out, PACK, compiled(out), "bank_short", "basic", "name")
    out = sf.add_section(out, PACK, None, "bank_short", "main", "notes", {"zh": "备注"}, 1)
    out = sf.move_section(out, PACK, None, "bank_short", "notes", -1)
    assert sf.owned(out, PACK, "bank_short") and read(out, PACK, "forms/bank_short.reset.yaml") is None
    form = compiled(out).forms["bank_short"]
    assert [s.name for s in form.tabs[0].sections] == ["notes", "basic", "other"]
    assert form.tabs[0].sections[1].fields == ("name",)
    assert "remarks" in form.tabs[0].sections[2].fields                        # unplaced: in Other
    assert sf.other_section(form) is form.tabs[0].sections[2]
    assert [s["name"] for s in sf.layout(out, PACK, None, "bank_short")[0]["sections"]] == ["notes", "basic"]


def test_moves_cross_section_and_tab_edges_only_where_something_is_left(standard_draft):
    sources, meta = standard_draft
    tabs = sf.tabs_of(meta.forms["project"])
    first = tabs[0]["sections"][0]["fields"][0]
    assert not sf.can_move_field(tabs, first, -1) and sf.can_move_field(tabs, first, 1)
    last_of_applicant = tabs[0]["sections"][0]["fields"][-1]
    out = sf.move_field(sources, PACK, meta, "project", last_of_applicant, 1)   # into the next section, first
    form = compiled(out).forms["project"]
    assert form.tabs[0].sections[1].fields[0] == last_of_applicant
    out = sf.move_section(sources, PACK, meta, "project", tabs[0]["sections"][-1]["name"], 1)
    assert compiled(out).forms["project"].tabs[1].sections[0].name == tabs[0]["sections"][-1]["name"]
    single = [{"name": "a", "sections": [{"name": "s", "fields": []}]},
              {"name": "b", "sections": [{"name": "t", "fields": []}]}]
    assert not sf.can_move_section(single, "t", -1) and not sf.can_move_section(single, "s", 1)
    unchanged = sf.move_field(sources, PACK, meta, "project", first, -1)        # at the edge: nothing moves
    assert compiled(unchanged).forms["project"].tabs == meta.forms["project"].tabs
