"""Overlays: a company pack adds, changes, hides, removes and reorders; code lists merge; conflicts."""
from __future__ import annotations

import textwrap

import pytest

from metadata.errors import MetadataError
from metadata.loader import check_packs, load_packs
from metadata.model import text_of
from metadata.source import PackSource

BASE = {
    "pack.yaml": "name: base\nversion: 1.2.0\n",
    "entities/customer.yaml": """\
        name: customer
        list_columns: [name, phone]
        fields:
          - {name: name, type: text, label: {zh: 名称, en: Name}, required: true}
          - {name: phone, type: phone}
          - {name: fax, type: text}
          - {name: website, type: text}
          - name: shareholders
            type: table
            fields:
              - {name: holder, type: text}
              - {name: share, type: percent}
        validations:
          - {name: shares, formula: SUM(shareholders.share) <= 100, message: 股份合计不超过100%}
        """,
    "codelists/kind.yaml": """\
        name: kind
        items:
          - {code: soe, label: {zh: 国有, en: State-owned}}
          - {code: private, label: {zh: 民营, en: Private}}
          - {code: foreign, label: {zh: 外资, en: Foreign}}
        """,
    "forms/customer.yaml": """\
        name: customer
        entity: customer
        sections:
          - {name: main, fields: [name, phone, fax, website]}
          - {name: holders, fields: [shareholders]}
        """,
}


def pack(label: str, files: dict[str, str], manifest: str | None = None) -> PackSource:
    files = {k: textwrap.dedent(v) for k, v in files.items()}
    if manifest:
        files["pack.yaml"] = manifest
    return PackSource(label, files)


def company(files: dict[str, str], name="acme", extends="base") -> PackSource:
    manifest = f"name: {name}\nversion: 1.0.0\nextends: [{{name: {extends}, version: '>=1.0,<2'}}]\n"
    return pack(name, files, manifest)


def test_add_change_hide_remove_order():
    meta = load_packs([pack("base", BASE), company({"entities/customer.yaml": """\
        overlay: customer
        add_fields:
          - {name: wechat, type: text, after: phone}
          - {name: note, type: text, after: shareholders.holder}
        change_fields:
          name: {label: {zh: 客户名称}, required: false}
          shareholders.share: {max: 100}
        hide_fields: [fax]
        remove_fields: [website]
        order: [phone, name]
        """})])
    c = meta.entity("customer")
    assert c.field_names == ("phone", "name", "wechat", "fax", "shareholders")
    assert text_of(c.field("name").label) == "客户名称" and text_of(c.field("name").label, "en") == "Name"
    assert c.field("name").required is False
    assert c.field("fax").hidden is True
    assert c.removed_fields == ("website",)
    assert [f.name for f in c.field("shareholders").fields] == ["holder", "note", "share"]
    assert c.field("shareholders").child("share").max == 100
    # the form drops nothing silently: the removed field is an error only if the form names it
    form_fields = [f for t in meta.forms["customer"].tabs for s in t.sections for f in s.fields]
    assert "wechat" in form_fields and "website" not in form_fields


def test_codelist_entries_merge_never_replace():
    meta = load_packs([pack("base", BASE), company({"codelists/kind.yaml": """\
        overlay: kind
        add_items: [{code: collective, label: {zh: 集体, en: Collective}}]
        change_items: {soe: {label: {zh: 国企}}}
        hide_items: [foreign]
        """})])
    kind = meta.codelists["kind"]
    assert [i.code for i in kind.items] == ["soe", "private", "foreign", "collective"]
    assert text_of(kind.get("soe").label) == "国企" and text_of(kind.get("soe").label, "en") == "State-owned"
    assert kind.get("foreign").active is False


def test_base_pack_upgrade_keeps_company_entries():
    upgraded = dict(BASE)
    upgraded["pack.yaml"] = "name: base\nversion: 1.3.0\n"
    upgraded["codelists/kind.yaml"] = BASE["codelists/kind.yaml"] + "  - {code: joint, label: 合资}\n"
    overlay = company({"codelists/kind.yaml": "overlay: kind\nadd_items: [{code: collective, label: 集体}]\n"})
    meta = load_packs([pack("base", upgraded), overlay])
    assert {"joint", "collective", "soe"} <= {i.code for i in meta.codelists["kind"].items}


def test_conflict_between_independent_packs_names_both_files():
    a = company({"entities/customer.yaml": "overlay: customer\nchange_fields: {name: {required: false}}\n"}, "a")
    b = company({"entities/customer.yaml": "overlay: customer\nchange_fields: {name: {required: true}}\n"}, "b")
    problems = [str(p) for p in check_packs([pack("base", BASE), a, b])]
    assert len(problems) == 1
    assert problems[0].startswith("b/entities/customer.yaml:2 fields.name.required: conflicts with pack 'a'")
    assert "a/entities/customer.yaml:2" in problems[0]


def test_pack_that_extends_another_may_override_it():
    a = company({"entities/customer.yaml": "overlay: customer\nchange_fields: {name: {required: false}}\n"}, "a")
    b = pack("b", {"entities/customer.yaml": "overlay: customer\nchange_fields: {name: {required: true}}\n"},
             "name: b\nversion: 1.0.0\nextends: [{name: a}]\n")
    meta = load_packs([b, a, pack("base", BASE)])
    assert meta.entity("customer").field("name").required is True


def test_overlay_needs_extends_and_existing_targets():
    not_extending = pack("x", {"entities/customer.yaml": "overlay: customer\nhide_fields: [fax]\n"},
                         "name: x\nversion: 1.0.0\nrequires: [{name: base}]\n")
    problems = [str(p) for p in check_packs([pack("base", BASE), not_extending])]
    assert any("which this pack does not extend" in p for p in problems)
    bad = company({"entities/customer.yaml": """\
        overlay: customer
        change_fields: {nosuch: {required: true}}
        hide_fields: [nothing]
        add_fields: [{name: phone, type: text}]
        """})
    problems = [str(p) for p in check_packs([pack("base", BASE), bad])]
    assert any("change_fields.nosuch: no field 'nosuch'" in p for p in problems)
    assert any("hide_fields.0: no field 'nothing'" in p for p in problems)
    assert any("field 'phone' already exists" in p for p in problems)


def test_removed_field_still_referenced_is_an_error():
    bad = company({"entities/customer.yaml": "overlay: customer\nremove_fields: [shareholders]\n"})
    problems = [str(p) for p in check_packs([pack("base", BASE), bad])]
    assert any("validations.shares.formula" in p and "removed by an overlay" in p for p in problems)
    assert not any("forms/customer.yaml" in p for p in problems)  # layouts drop it by themselves


def test_form_overlay_places_new_fields():
    meta = load_packs([pack("base", BASE), company({
        "entities/customer.yaml": "overlay: customer\nadd_fields: [{name: wechat, type: text}, {name: qq, type: text}]\n",
        "forms/customer.yaml": """\
            overlay: customer
            add_fields: [{section: main, fields: [wechat], after: name}]
            add_sections: [{after: main, section: {name: extra, fields: [qq]}}]
            """})])
    tab = meta.forms["customer"].tabs[0]
    assert [s.name for s in tab.sections] == ["main", "extra", "holders"]
    assert tab.sections[0].fields == ("name", "wechat", "phone", "fax", "website")


def test_merge_is_deterministic_whatever_the_order_given():
    a = company({"codelists/kind.yaml": "overlay: kind\nadd_items: [{code: a1, label: A}]\n"}, "a")
    b = company({"codelists/kind.yaml": "overlay: kind\nadd_items: [{code: b1, label: B}]\n"}, "b")
    one = load_packs([pack("base", BASE), a, b]).codelists["kind"]
    two = load_packs([b, a, pack("base", BASE)]).codelists["kind"]
    assert [i.code for i in one.items] == [i.code for i in two.items]


def test_standard_and_acme_overlay(standard, acme):
    meta = load_packs([standard, acme])
    e = meta.entity("enterprise_customer")
    assert e.has("wechat") and not load_packs([standard]).entity("enterprise_customer").has("wechat")
    with pytest.raises(MetadataError):
        load_packs([acme])  # needs the standard pack


def test_a_form_overlay_that_takes_off_every_section_is_a_problem_not_a_crash():
    from metadata.errors import MetadataError
    from metadata.loader import load_packs
    from metadata.source import PackSource
    base = PackSource("base", {"pack.yaml": "name: base\nversion: 1.0.0\n",
                               "entities/a.yaml": "name: a\nfields: [{name: x, type: text}]\n",
                               "forms/a.yaml": "name: a\nentity: a\nsections: [{name: s, fields: [x]}]\n"})
    co = PackSource("co", {"pack.yaml": "name: co\nversion: 1.0.0\nextends: [{name: base}]\n",
                           "forms/a.yaml": "overlay: a\nremove_sections: [s]\n"})
    try:
        load_packs([base, co])
    except MetadataError as e:
        assert "no sections left" in str(e)
    else:
        raise AssertionError("expected a problem")
