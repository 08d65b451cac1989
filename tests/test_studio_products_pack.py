"""Pure edits of products and entity permissions in the studio's pack (core/studio_products.py): a
product of another pack is changed by the smallest overlay that gives the product wanted (fees by
name, limits per field), the studio pack's own product is edited in place, and entity permissions are
written whole because an overlay's `permissions` replaces the map."""
from __future__ import annotations

from pathlib import Path

import pytest

from core import drafts, studio_pack
from core.studio_products import (in_pack, known_roles, lost_by_overlay, permissions_of, product_spec,
                                  put_permissions, put_product, put_roles)
from metadata.product import build
from metadata.source import read_pack_dir

SEED = Path(__file__).resolve().parent.parent / "seed"
PACK = "company"


@pytest.fixture(scope="module")
def standard():
    sources = [read_pack_dir(SEED / "standard")]
    meta, problems = drafts.check(sources)
    assert problems == []
    return sources, meta


def compiled(sources):
    meta, problems = drafts.check(sources)
    assert problems == [], problems
    return meta


def file_of(sources, path):
    return studio_pack.read(sources, PACK, path)


def test_a_compiled_product_gives_back_the_properties_of_its_file(standard):
    sources, meta = standard
    construction = [*sources, read_pack_dir(SEED / "construction")]
    for product in [*meta.kinds["products"].values(), *compiled(construction).kinds["products"].values()]:
        spec = product_spec(product)
        assert build(spec, product.pack) == product, product.name
    spec = product_spec(meta.kinds["products"]["working_capital_loan"])
    assert spec["fees"][0]["rate"] == "1.5%" and spec["limits"]["amount"] == {"min": 500000, "max": 30000000}


def test_a_new_product_is_held_whole_by_the_studio_pack_and_edited_in_place(standard):
    sources, meta = standard
    spec = {"name": "bond_guarantee", "label": {"zh": "债券担保"}, "business_type": "loan", "entity": "project",
            "workflow": "guarantee",
            "documents": [{"code": "prospectus", "label": {"zh": "募集说明书"}, "required_at_step": "first_review"}],
            "fees": [{"name": "fee", "kind": "guarantee_fee", "rate": "1%", "rate_basis": "annual",
                      "frequency": "yearly"}]}
    sources = put_product(sources, PACK, meta, spec)
    assert file_of(sources, "products/bond_guarantee.yaml") == spec and in_pack(sources, PACK, "bond_guarantee")
    meta = compiled(sources)
    product = meta.kinds["products"]["bond_guarantee"]
    assert product.pack == PACK and product_spec(product) == spec
    changed = {**spec, "roles": ["pm"], "fees": []}
    del changed["fees"]
    sources = put_product(sources, PACK, meta, changed)
    assert file_of(sources, "products/bond_guarantee.yaml") == changed            # in place, no overlay
    assert compiled(sources).kinds["products"]["bond_guarantee"].roles == ("pm",)


def test_another_packs_product_is_changed_by_the_smallest_overlay(standard):
    sources, meta = standard
    spec = product_spec(meta.kinds["products"]["sme_loan"])
    spec["label"] = {**spec["label"], "en": "Small loans"}
    spec["limits"]["amount"] = {"min": 100000, "max": 3000000}
    spec["roles"] = ["pm", "risk"]
    spec["fees"][0]["rate"] = "1.2%"                                       # guarantee_fee changed
    spec["fees"] = [spec["fees"][0], {"name": "review_fee", "kind": "review_fee", "amount": 2000,
                                      "frequency": "once"}]               # deposit removed, review fee added
    sources = put_product(sources, PACK, meta, spec)
    overlay = file_of(sources, "products/sme_loan.yaml")
    assert overlay == {"overlay": "sme_loan", "label": spec["label"], "roles": ["pm", "risk"],
                       "limits": {"amount": {"min": 100000, "max": 3000000}},
                       "add_fees": [spec["fees"][1]], "remove_fees": ["deposit"],
                       "change_fees": {"guarantee_fee": {"rate": "1.2%"}}}
    product = compiled(sources).kinds["products"]["sme_loan"]
    assert product.pack == "standard" and product_spec(product) == spec


def test_successive_edits_fold_into_the_overlay(standard):
    sources, meta = standard
    spec = product_spec(meta.kinds["products"]["sme_loan"])
    spec["fees"][0].update(rate="2%")
    sources = put_product(sources, PACK, meta, spec)
    meta = compiled(sources)
    # the fee becomes a fixed sum: the rate the overlay set goes, the amount drops the base's rate
    spec["fees"][0] = {k: v for k, v in spec["fees"][0].items() if k not in ("rate", "rate_basis")}
    spec["fees"][0]["amount"] = 500
    sources = put_product(sources, PACK, meta, spec)
    assert file_of(sources, "products/sme_loan.yaml")["change_fees"] == {"guarantee_fee": {"amount": 500}}
    meta = compiled(sources)
    assert product_spec(meta.kinds["products"]["sme_loan"]) == spec
    # a fee losing its label cannot be changed so (change_fees only sets): it is replaced whole
    del spec["fees"][0]["label"]
    sources = put_product(sources, PACK, meta, spec)
    overlay = file_of(sources, "products/sme_loan.yaml")
    assert overlay["remove_fees"] == ["guarantee_fee"] and overlay["add_fees"] == [spec["fees"][0]]
    assert "change_fees" not in overlay
    meta = compiled(sources)
    assert product_spec(meta.kinds["products"]["sme_loan"]) == {**spec, "fees": [spec["fees"][1], spec["fees"][0]]}


def test_a_fee_the_overlay_added_is_dropped_from_it_when_removed(standard):
    sources, meta = standard
    spec = product_spec(meta.kinds["products"]["sme_loan"])
    spec["fees"].append({"name": "extra", "kind": "review_fee", "amount": 100, "frequency": "once"})
    sources = put_product(sources, PACK, meta, spec)
    meta = compiled(sources)
    spec["fees"].pop()
    sources = put_product(sources, PACK, meta, spec)
    assert file_of(sources, "products/sme_loan.yaml") == {"overlay": "sme_loan"}
    assert product_spec(compiled(sources).kinds["products"]["sme_loan"]) == spec


def test_an_overlay_cannot_take_away_a_limit_or_the_roles(standard):
    sources, meta = standard
    current = product_spec(meta.kinds["products"]["sme_loan"])
    spec = {k: v for k, v in current.items() if k != "roles"}
    spec["limits"] = {"amount": current["limits"]["amount"]}
    assert lost_by_overlay(current, spec) == [("roles",), ("limits", "term_months")]
    with pytest.raises(ValueError):
        put_product(sources, PACK, meta, spec)
    with pytest.raises(ValueError):
        put_roles(sources, PACK, meta, "sme_loan", None)


def test_roles_of_a_product(standard):
    sources, meta = standard
    assert put_roles(sources, PACK, meta, "sme_loan", ["admin", "pm"]) is sources          # the same roles
    sources = put_roles(sources, PACK, meta, "sme_loan", ["pm"])
    assert file_of(sources, "products/sme_loan.yaml") == {"overlay": "sme_loan", "roles": ["pm"]}
    assert compiled(sources).kinds["products"]["sme_loan"].roles == ("pm",)


def test_entity_permissions_are_written_whole_in_an_overlay(standard):
    sources, meta = standard
    wanted = {**permissions_of(meta, "bank_deposit"), "read": ["pm", "gm", "finance", "admin"]}   # not risk
    assert put_permissions(sources, PACK, meta, "bank_deposit", permissions_of(meta, "bank_deposit")) is sources
    sources = put_permissions(sources, PACK, meta, "bank_deposit", wanted)
    assert file_of(sources, "entities/bank_deposit.yaml") == {"overlay": "bank_deposit", "permissions": wanted}
    meta = compiled(sources)
    assert permissions_of(meta, "bank_deposit") == wanted
    # every action opened to everyone signed in: an empty map replaces the standard pack's
    sources = put_permissions(sources, PACK, meta, "bank_deposit", {})
    assert file_of(sources, "entities/bank_deposit.yaml")["permissions"] == {}
    assert compiled(sources).entity("bank_deposit").permissions == {}


def test_permissions_of_the_studio_packs_own_entity_are_edited_in_place(standard):
    sources, meta = standard
    sources = studio_pack.put_entity(sources, PACK, meta, "site_visit", {"zh": "走访记录"})
    meta = compiled(sources)
    sources = put_permissions(sources, PACK, meta, "site_visit", {"read": ["pm"], "delete": []})
    doc = file_of(sources, "entities/site_visit.yaml")
    assert doc["name"] == "site_visit" and doc["permissions"] == {"read": ["pm"], "delete": []}
    meta = compiled(sources)
    assert permissions_of(meta, "site_visit") == {"read": ["pm"], "delete": []}
    sources = put_permissions(sources, PACK, meta, "site_visit", {})
    assert "permissions" not in file_of(sources, "entities/site_visit.yaml")


def test_the_roles_offered_are_those_users_hold_and_the_metadata_names(standard):
    _sources, meta = standard
    roles = known_roles(meta, ["auditor", "pm"])
    assert {"auditor", "pm", "risk", "finance", "legal", "committee", "gm", "admin"} <= set(roles)
    assert roles == sorted(roles) and known_roles(None, ["x"]) == ["x"]

