"""Products (metadata/product.py, core/products.py): the kind's checks with file, line and path,
overlays, the choice field offering them, and the server refusing a product the actor's roles may
not use or amounts and terms outside its limits — through the Store and through HTTP."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from core import metastore
from core.errors import ValidationError
from core.products import products_for, workflow_for
from core.store import SYSTEM, Actor, Store
from core.users import create_user
from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir
from ui.app import create_app

from .conftest import PACKS, ROOT
from .test_docs import undocumented
from .test_records import login, post_form, text, token_of

BASE = read_pack_dir(PACKS / "products")
COMPANY = read_pack_dir(PACKS / "products_overlay")
PM, RISK, GM = Actor("li", {"pm"}), Actor("wang", {"risk"}), Actor("zhao", {"gm"})


def with_files(source: PackSource, **files) -> PackSource:
    """The pack with some files replaced (None removes one); keys use __ for /."""
    out = dict(source.files)
    for key, content in files.items():
        path = key.replace("__", "/") + ".yaml"
        if content is None:
            out.pop(path)
        else:
            out[path] = content
    return PackSource(source.label, out)


def problems(*sources) -> list[str]:
    with pytest.raises(MetadataError) as e:
        load_packs(list(sources))
    return [str(p) for p in e.value.problems]


# -- the kind --------------------------------------------------------------------------------

def test_the_test_pack_compiles_into_products():
    meta = load_packs([BASE])
    loan = meta.kinds["products"]["loan"]
    assert loan.entity == "project" and loan.workflow == "loan_flow" and loan.roles == ("pm",)
    assert loan.limits["amount"].max == Decimal("5000000") and loan.limits["term_months"].min == 3
    assert [(f.name, f.rate, f.rate_basis, f.frequency) for f in loan.fees] == [
        ("guarantee_fee", Decimal("0.015"), "annual", "yearly"), ("review_fee", Decimal("0.002"), "flat", "once")]
    assert meta.kinds["products"]["vip_loan"].roles == ("gm",)
    # the choice field offers the products of its entity, labelled by the product
    options = meta.entity("project").field("product").options
    assert [o.value for o in options] == ["loan", "vip_loan"] and options[0].label["en"] == "Working-capital loan guarantee"
    assert [o.value for o in meta.entity("bid").field("product").options] == ["bid_bond"]


BAD = """\
name: loan
label: 贷款担保
business_type: nope
workflow: bid_flow
form: missing_form
scorecard: anything
limits:
  purpose: {max: 10}
  amount: {min: 200, max: 100}
  nothing: {max: 1}
counter_guarantees: [mortgage, rocket]
documents:
  - {code: licence, label: 营业执照, required_at_step: nowhere}
  - {code: licence, label: 又一个}
weight_category: heavy
fees:
  - {name: fee, kind: tip, rate: "1%", rate_basis: annual, frequency: monthly, base: purpose, months: missing}
"""


def test_every_problem_is_reported_with_file_line_and_path():
    found = problems(with_files(BASE, products__loan=BAD))
    f = "products/products/loan.yaml"
    expected = [
        f"{f}:3 business_type: 'nope' is not a code of the code list 'business_type'",
        f"{f}:4 workflow: workflow 'bid_flow' runs on 'bid', not 'project'",
        f"{f}:5 form: no form 'missing_form'",
        f"{f}:8 limits.purpose: 'purpose' is a text field; a number is needed",
        f"{f}:9 limits.amount.min: min is greater than max",
        f"{f}:10 limits.nothing: entity 'project' has no field 'nothing'",
        f"{f}:11 counter_guarantees.1: 'rocket' is not a code of the code list 'counter_guarantee_kind'",
        f"{f}:14 documents.licence.code: document 'licence' is listed twice",
        f"{f}:6 scorecard: no scorecard 'anything'",          # checked now that the scorecard kind is installed
        f"{f}:15 weight_category: 'heavy' is not a code of the code list 'regulatory_weight'",
        f"{f}:17 fees.fee.kind: 'tip' is not a code of the code list 'fee_kind'",
        f"{f}:17 fees.fee.base: 'purpose' is a text field; a number is needed",
        f"{f}:17 fees.fee.months: entity 'project' has no field 'missing'",
    ]
    for line in expected:
        assert line in found, (line, found)
    # the step is checked against the product's workflow (bid_flow has no step 'nowhere')
    assert any("required_at_step: workflow 'bid_flow' has no step 'nowhere'" in p for p in found)


def test_schema_problems_name_the_property():
    found = problems(with_files(BASE, products__loan=(
        "name: loan\nlabel: 贷款\nbusiness_type: loan\nworkflow: loan_flow\nroles: []\n"
        "fees:\n  - {name: fee, kind: guarantee_fee, rate: \"1%\", frequency: once}\n"
        "  - {name: fee2, kind: guarantee_fee, frequency: daily, amount: 5}\n")))
    text_ = "\n".join(found)
    assert "products/products/loan.yaml:5 roles" in text_                  # at least one role
    assert "products/products/loan.yaml:7 fees.fee" in text_                # a rate needs its rate_basis
    assert "products/products/loan.yaml:8 fees.fee2.frequency" in text_    # not a frequency


def test_entity_and_workflow_must_exist_and_offer_the_product():
    found = problems(with_files(BASE, products__ghost=(
        "name: ghost\nlabel: 幽灵\nbusiness_type: loan\nentity: nothing\nworkflow: nowhere\n"),
        entities__bid="name: bid\nfields:\n  - {name: name, type: text}\n",
        products__bid_bond=None, workflows__bid_flow=None))
    assert "products/products/ghost.yaml:4 entity: no entity 'nothing'" in found
    assert "products/products/ghost.yaml:5 workflow: no workflow 'nowhere'" in found
    found = problems(with_files(BASE, entities__bid="name: bid\nfields:\n  - {name: name, type: text}\n"))
    assert "products/products/bid_bond.yaml:4 entity: entity 'bid' has no field with options_from: products " \
           "to choose it" in found


def test_options_from_must_name_a_kind_that_offers_options():
    found = problems(with_files(BASE, entities__bid=(
        "name: bid\nfields:\n  - {name: name, type: text}\n  - {name: product, type: choice, options_from: workflows}\n"
        "  - {name: both, type: choice, options_from: products, codelist: fee_kind}\n"), products__bid_bond=None,
        workflows__bid_flow=None))
    assert any("products/entities/bid.yaml:4 fields.product.options_from: 'workflows' is not a kind that offers "
               "options (known: products" in p for p in found)
    assert any("fields.both: a choice field needs one of 'options', 'codelist' or 'options_from'" in p for p in found)


# -- overlays --------------------------------------------------------------------------------

def test_an_overlay_changes_limits_roles_and_fees_and_adds_a_product():
    meta = load_packs([BASE, COMPANY])
    loan = meta.kinds["products"]["loan"]
    assert loan.label == {"zh": "流动资金贷款担保", "en": "Loan guarantee (company)"}   # labels merge per locale
    assert loan.limits["amount"].max == Decimal("8000000") and loan.limits["term_months"].max == 36   # per field
    assert loan.roles == ("pm", "risk")
    assert [(f.name, f.rate, f.frequency) for f in loan.fees] == [
        ("guarantee_fee", Decimal("0.02"), "quarterly"), ("deposit", Decimal("0.1"), "once")]
    assert loan.fees[0].rate_basis == "annual"                   # what the overlay did not change stays
    assert "performance" in meta.kinds["products"]
    assert [o.value for o in meta.entity("project").field("product").options] == ["loan", "performance", "vip_loan"]


def test_an_overlay_switching_a_fee_to_a_fixed_sum_drops_the_rate():
    company = with_files(COMPANY, products__loan="overlay: loan\nchange_fees:\n  review_fee: {amount: 2000}\n")
    fee = load_packs([BASE, company]).kinds["products"]["loan"].fees[1]
    assert (fee.amount, fee.rate, fee.rate_basis) == (Decimal("2000"), None, None)


def test_overlay_problems_point_at_the_overlay():
    company = with_files(COMPANY, products__loan=(
        "overlay: loan\nremove_fees: [nope]\nchange_fees:\n  ghost: {rate: \"1%\"}\n"
        "add_fees:\n  - {name: guarantee_fee, kind: guarantee_fee, amount: 1, frequency: once}\n"
        "limits:\n  amount: {min: 9000000, max: 1}\n"))
    found = problems(BASE, company)
    f = "products_overlay/products/loan.yaml"
    assert f"{f}:2 remove_fees.0: no fee 'nope' in product 'loan'" in found
    assert f"{f}:4 change_fees.ghost: no fee 'ghost' in product 'loan'" in found
    assert f"{f}:6 add_fees.0.name: fee 'guarantee_fee' already exists in product 'loan'" in found
    assert f"{f}:8 limits.amount.min: min is greater than max" in found


def test_an_overlay_needs_to_extend_the_products_pack():
    stranger = PackSource("stranger", {"pack.yaml": "name: stranger\nversion: 1.0.0\n",
                                    "products/loan.yaml": "overlay: loan\nroles: [gm]\n"})
    assert any("'loan' belongs to pack 'prods', which this pack does not extend" in p for p in problems(BASE, stranger))


# -- the schema is documented -------------------------------------------------------------

@pytest.mark.parametrize("schema_file", ["product.json", "product_overlay.json"])
def test_every_product_schema_property_is_documented(schema_file):
    doc = (ROOT / "docs" / "products.md").read_text(encoding="utf-8")
    assert not undocumented(doc, ROOT / "metadata" / "schemas" / "product" / schema_file)


def test_the_doc_example_is_a_standard_product():
    doc = (ROOT / "docs" / "products.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n# products/working_capital_loan.yaml.*?\n(.*?)```", doc, re.S).group(1)
    shipped = (ROOT / "seed" / "standard" / "products" / "working_capital_loan.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(example) == yaml.safe_load(shipped)


# -- enforcement through the Store ------------------------------------------------------------

@pytest.fixture
def store(engine, clock):
    inst = metastore.install(engine, [BASE], clock=clock)
    return Store(engine, inst.meta, clock=clock, meta_version=inst.version)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as e:
        call()
    return e.value.errors


def test_a_product_within_its_limits_and_roles_is_saved(store):
    rec = store.create("project", {"name": "甲", "product": "loan", "amount": "3000000", "term_months": 12}, actor=PM)
    assert rec.values["product"] == "loan"
    assert workflow_for(store.meta, rec) == "loan_flow"
    rec = store.create("project", {"name": "乙", "amount": "1", "term_months": 1}, actor=PM)   # no product: no rules
    assert workflow_for(store.meta, rec) is None


def test_a_role_that_may_not_use_the_product_is_refused(store):
    errors = errors_of(lambda: store.create("project", {"name": "甲", "product": "vip_loan", "amount": "6000000",
                                                        "term_months": 12}, actor=PM))
    assert errors == {"product": [{"zh": "您的角色不能使用产品「大额贷款担保」",
                                   "en": "your roles may not use the product 'Large loan guarantee'"}]}
    assert store.create("project", {"name": "甲", "product": "vip_loan", "amount": "6000000", "term_months": 12},
                        actor=GM).values["product"] == "vip_loan"
    # the system actor (imports, workflow side effects) is not held to the roles; the limits still hold
    assert store.create("project", {"name": "乙", "product": "vip_loan", "amount": "6000000", "term_months": 1},
                        actor=SYSTEM).id
    assert set(errors_of(lambda: store.create("project", {"name": "丙", "product": "vip_loan", "amount": "10",
                                                          "term_months": 1}, actor=SYSTEM))) == {"amount"}


def test_amounts_and_terms_outside_the_limits_are_refused_per_field(store):
    errors = errors_of(lambda: store.create("project", {"name": "甲", "product": "loan", "amount": "5000000.01",
                                                        "term_months": 2}, actor=PM))
    assert errors == {
        "amount": [{"zh": "产品「流动资金贷款担保」的担保金额不能大于 5,000,000",
                    "en": "at most 5,000,000 for the product 'Working-capital loan guarantee'"}],
        "term_months": [{"zh": "产品「流动资金贷款担保」的担保期限（月）不能小于 3",
                         "en": "at least 3 for the product 'Working-capital loan guarantee'"}]}
    assert set(errors_of(lambda: store.create("project", {"name": "甲", "product": "loan", "amount": "99999.99",
                                                          "term_months": 37}, actor=PM))) == {"amount", "term_months"}
    # the bounds themselves are allowed
    assert store.create("project", {"name": "甲", "product": "loan", "amount": "100000", "term_months": 36}, actor=PM).id


def test_an_update_is_checked_too_but_not_held_to_rules_it_does_not_touch(store):
    rec = store.create("project", {"name": "甲", "product": "vip_loan", "amount": "6000000", "term_months": 12}, actor=GM)
    # a project manager may edit the project (entity permissions) without having chosen its product …
    rec = store.update("project", rec.id, {"purpose": "补充流动资金"}, version=rec.version, actor=PM)
    # … but not change the amount below its product's minimum, nor choose a product of other roles
    assert set(errors_of(lambda: store.update("project", rec.id, {"amount": "100"}, version=rec.version,
                                              actor=GM))) == {"amount"}
    rec2 = store.create("project", {"name": "乙", "product": "loan", "amount": "200000", "term_months": 6}, actor=PM)
    assert set(errors_of(lambda: store.update("project", rec2.id, {"product": "vip_loan", "amount": "6000000"},
                                              version=rec2.version, actor=PM))) == {"product"}
    # switching to a product whose limits the record breaks is refused at the field
    assert set(errors_of(lambda: store.update("project", rec.id, {"product": "loan"}, version=rec.version,
                                              actor=PM))) == {"amount"}


def test_an_unknown_product_or_one_of_another_entity_is_refused(store):
    for name in ("nope", "bid_bond"):
        errors = errors_of(lambda: store.create("project", {"name": "甲", "product": name, "amount": "200000",
                                                            "term_months": 6}, actor=PM))
        assert list(errors) == ["product"] and len(errors["product"]) == 1


def test_the_preview_shows_the_refusals_while_typing(store):
    p = store.preview("project", {"name": "甲", "product": "loan", "amount": "9000000", "term_months": 12}, actor=PM)
    assert list(p.errors) == ["amount"]


def test_products_for_lists_what_the_actor_may_choose(store):
    assert [p.name for p in products_for(store.meta, "project", PM)] == ["loan"]
    assert [p.name for p in products_for(store.meta, "project", GM)] == ["vip_loan"]
    assert [p.name for p in products_for(store.meta, "project", SYSTEM)] == ["loan", "vip_loan"]
    assert [p.name for p in products_for(store.meta, "bid", SYSTEM)] == ["bid_bond"]


def test_a_company_overlay_moves_the_limits_and_roles(engine, clock):
    inst = metastore.install(engine, [BASE, COMPANY], clock=clock)
    store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
    assert store.create("project", {"name": "甲", "product": "loan", "amount": "8000000", "term_months": 12},
                        actor=RISK).id          # risk may use it now, up to 8m
    assert set(errors_of(lambda: store.create("project", {"name": "乙", "product": "performance", "amount": "1",
                                                          "term_months": 25}, actor=RISK))) == {"term_months"}


# -- enforcement through HTTP -------------------------------------------------------------------

@pytest.fixture
def client(engine, clock):
    metastore.install(engine, [BASE], clock=clock)
    create_user(engine, "li", name="李经理", roles=["pm"], password="right-pass")
    app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
    return login(app.test_client())


def test_http_create_refuses_a_product_the_role_may_not_use_and_limits(client):
    html = text(client.get("/e/project/new"))
    assert '<option value="loan"' in html and "流动资金贷款担保" in html
    assert '<option value="vip_loan"' not in html          # the form offers only what the roles may use
    resp = post_form(client, "/e/project/new", html, {"name": "甲", "product": "vip_loan", "amount": "6,000,000",
                                                       "term_months": "12"})
    assert resp.status_code == 422
    assert "您的角色不能使用产品「大额贷款担保」" in text(resp)
    resp = post_form(client, "/e/project/new", html, {"name": "甲", "product": "loan", "amount": "6,000,000",
                                                       "term_months": "40"})
    assert resp.status_code == 422
    body = text(resp)
    assert "产品「流动资金贷款担保」的担保金额不能大于 5,000,000" in body
    assert "产品「流动资金贷款担保」的担保期限（月）不能大于 36" in body
    resp = post_form(client, "/e/project/new", html, {"name": "甲", "product": "loan", "amount": "1,000,000",
                                                       "term_months": "12"})
    assert resp.status_code == 302


def test_http_errors_in_english(client):
    client.post("/lang", data={"lang": "en", "csrf_token": token_of(text(client.get("/e/project/new"))),
                               "next": "/e/project/new"})
    html = text(client.get("/e/project/new"))
    resp = post_form(client, "/e/project/new", html, {"name": "甲", "product": "loan", "amount": "50",
                                                       "term_months": "12"})
    assert resp.status_code == 422
    assert "at least 100,000 for the product" in text(resp)


def test_a_product_chosen_by_another_role_stays_shown_on_the_edit_form(client, engine, clock):
    store = Store(engine, metastore.current(engine).meta, clock=clock)
    rid = store.create("project", {"name": "大额", "product": "vip_loan", "amount": "8000000", "term_months": 12},
                       actor=Actor("gm", ["gm"])).id
    html = text(client.get(f"/e/project/{rid}/edit"))
    assert re.search(r'<option value="vip_loan" selected>', html)      # kept, though li may not choose it
    assert '<option value="bid_bond"' not in html                      # another entity's product
