"""A product's form on the screens (core.products.form_of; docs/products.md "The form"), and forms
that extend another form (`extends`; docs/metadata.md "Forms"): the construction performance
guarantee's form is the standard project form without the loan's sections, and a record is shown,
edited and created with its product's form — the new-record form switches when the product is
chosen. (seed/standard + seed/construction, SQLite and PostgreSQL)"""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir

from .test_lifecycle_fixtures import Desk
from .test_workflow_screens_fixtures import text

CONSTRUCTION = read_pack_dir(Path(__file__).resolve().parent.parent / "seed" / "construction")

BASE = {
    "pack.yaml": "name: base\nversion: 1.0.0\n",
    "entities/customer.yaml": """\
        name: customer
        fields:
          - {name: name, type: text}
          - {name: phone, type: text}
          - {name: fax, type: text}
          - {name: note, type: long_text}
        """,
    "entities/other.yaml": "name: other\nfields: [{name: x, type: text}]\n",
    "forms/customer.yaml": """\
        name: customer
        entity: customer
        tabs:
          - name: basic
            sections:
              - {name: main, fields: [name, phone]}
              - {name: contact, fields: [fax]}
          - name: more
            sections: [{name: notes, fields: [note]}]
        """,
}


def packs(**files) -> list[PackSource]:
    base = {k: textwrap.dedent(v) for k, v in BASE.items()}
    extra = {k.replace("__", "/") + ".yaml": textwrap.dedent(v) for k, v in files.items()}
    return [PackSource("base", {**base, **extra})]


def layout(form) -> list[tuple]:
    return [(t.name, [(s.name, s.fields) for s in t.sections]) for t in form.tabs]


def problems(**files) -> list[str]:
    with pytest.raises(MetadataError) as e:
        load_packs(packs(**files))
    return [str(p) for p in e.value.problems]


# -- the metadata -------------------------------------------------------------------------------

def test_an_extending_form_copies_the_base_and_changes_it():
    meta = load_packs(packs(forms__short="""\
        name: short
        entity: customer
        extends: customer
        label: 简表
        remove_sections: [contact]
        remove_fields: [phone]
        add_sections: [{tab: more, section: {name: extra, fields: [fax]}}]
        """))
    assert layout(meta.forms["short"]) == [("basic", [("main", ("name",))]),
                                           ("more", [("notes", ("note",)), ("extra", ("fax",))])]
    # removed on purpose: phone is not put back in an 其他 section; the base form is untouched
    assert layout(meta.forms["customer"]) == [("basic", [("main", ("name", "phone")), ("contact", ("fax",))]),
                                              ("more", [("notes", ("note",))])]
    assert meta.forms["short"].label["zh"] == "简表"


def test_a_tab_left_without_sections_goes_and_overlays_of_the_base_are_inherited():
    company = PackSource("acme", {
        "pack.yaml": "name: acme\nversion: 1.0.0\nextends: [{name: base, version: '>=1'}]\n",
        "entities/customer.yaml": "overlay: customer\nadd_fields: [{name: wechat, type: text}]\n",
        "forms/customer.yaml": "overlay: customer\nadd_fields: [{section: main, fields: [wechat]}]\n",
        "forms/short.yaml": "overlay: short\nadd_fields: [{section: main, fields: [phone]}]\n"})
    meta = load_packs(packs(forms__short="""\
        name: short
        entity: customer
        extends: customer
        remove_sections: [notes]
        remove_fields: [phone]
        """) + [company])
    # the company's field on the base reaches the extending form; its overlay of the extending form too
    assert layout(meta.forms["short"]) == [("basic", [("main", ("name", "wechat", "phone")), ("contact", ("fax",))])]


@pytest.mark.parametrize("body, expected", [
    ("extends: nothing", "forms/short.yaml:3 extends: no form 'nothing' to extend"),
    ("extends: customer\nremove_sections: [nowhere]", "forms/short.yaml:4 remove_sections.0: no section 'nowhere' on this form"),
    ("extends: customer\nremove_fields: [nope]", "forms/short.yaml:4 remove_fields.0: no field 'nope' on this form"),
    ("extends: customer\nadd_fields: [{section: main, fields: [ghost]}]", "entity 'customer' has no field 'ghost'"),
])
def test_problems_of_an_extending_form_name_file_line_and_key(body, expected):
    found = problems(forms__short=f"name: short\nentity: customer\n{body}\n")
    assert any(expected in p for p in found), found


def test_an_extending_form_of_another_entity_or_of_an_extending_form_is_refused():
    found = problems(forms__short="name: short\nentity: other\nextends: customer\n")
    assert any("extends: form 'customer' is for entity 'customer', not 'other'" in p for p in found), found
    found = problems(forms__short="name: short\nentity: customer\nextends: customer\n",
                     forms__shorter="name: shorter\nentity: customer\nextends: short\n")
    assert any("form 'short' extends another form itself; extend 'customer'" in p for p in found), found


def test_the_schema_keeps_changes_to_extending_forms():
    found = problems(forms__plain="name: plain\nentity: customer\nsections: [{name: a, fields: [name]}]\n"
                                  "remove_fields: [name]\n")
    assert any("forms/plain.yaml" in p for p in found), found


# -- the screens ----------------------------------------------------------------------------------

@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Desk(engine, clock, tmp_path, standard, CONSTRUCTION)


def project(office, product: str, **values) -> int:
    base = {"customer_type": "enterprise", "enterprise": office.company, "business_type": "loan", "product": product,
            "bank": office.bank, "amount": 1000000, "term_months": 12}
    if product == "construction_performance":
        base.update(business_type="performance", works_name="滨江区第三小学新建工程", beneficiary="杭州市滨江区教育局",
                    works_contract_amount=10000000)
        base.pop("bank")
    return office.store.create("project", {**base, **values}).id


def sections(html: str) -> set[str]:
    return set(re.findall(r'id="sec-([a-z_]+)"', html))


def test_a_record_is_shown_and_edited_with_its_products_form(office):
    letter, loan = project(office, "construction_performance"), project(office, "working_capital_loan")
    view = office.page("pm_a", "project", letter)
    assert {"works", "due_diligence", "fee"} <= sections(view)
    assert not {"committee", "risk", "contract"} & sections(view) and 'id="v-bank"' not in view
    assert {"committee", "risk", "contract"} <= sections(office.page("pm_a", "project", loan))
    edit = text(office.site.as_("pm_a").get(f"/e/project/{letter}/edit"))
    assert 'name="_form" value="construction_project"' in edit
    assert 'id="w-works_name"' in edit and 'id="w-bank"' not in edit and 'id="w-committee_date"' not in edit
    edit = text(office.site.as_("pm_a").get(f"/e/project/{loan}/edit"))
    assert 'name="_form" value="project"' in edit and 'id="w-bank"' in edit
    # a related section the extending form inherits loads on its record
    resp = office.site.as_("pm_a").get(f"/e/project/{letter}/related/counter_guarantee_items", htmx=True)
    assert resp.status_code == 200


def test_saving_with_a_form_that_leaves_fields_off_keeps_their_values(office):
    letter = project(office, "construction_performance", renewal=True)
    office.edit("pm_a", "project", letter, purpose="履约保函")
    values = office.record(letter)
    assert values["purpose"] == "履约保函" and values["renewal"] is True     # not on the form: kept


def test_choosing_a_product_on_the_new_form_switches_the_form(office):
    browser = office.site.as_("pm_a")
    page = text(browser.get("/e/project/new"))
    assert 'name="_form" value="project"' in page
    form = {"customer_type": "enterprise", "enterprise": str(office.company), "amount": "800,000",
            "term_months": "12", "_form": "project"}
    resp = browser.post("/e/project/live", {**form, "product": "construction_performance"})
    html = text(resp)
    assert resp.status_code == 200
    assert re.search(r'<div id="form-body" hx-swap-oob="outerHTML">\s*<input type="hidden" name="_form" '
                     r'value="construction_project">', html)
    assert 'id="w-works_name"' in html and 'id="w-bank"' not in html
    assert 'value="800,000"' in html or 'value="800000' in html                  # what was typed is kept
    # the same form: only the live fragments, the body is not replaced
    html = text(browser.post("/e/project/live", {**form, "product": "construction_performance",
                                                  "_form": "construction_project"}))
    assert 'id="form-body"' not in html
    # back to a loan product: the standard form again
    html = text(browser.post("/e/project/live", {**form, "product": "working_capital_loan",
                                                  "_form": "construction_project"}))
    assert 'name="_form" value="project"' in html and 'id="w-bank"' in html
