"""The studio's product editor and roles' access over HTTP (ui/studio_products.py): only
administrators use them; bad input is refused in place with what was typed kept; everything goes
into the draft, which staff do not see until it is published: then a new product is offered to the
roles that may use it on the new project form, and a role whose read access was removed is refused
the entity's list. (SQLite and PostgreSQL)"""
from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from core import drafts, metastore, studio_pack

from .test_records import text, token_of
from .test_studio import admin, client_for, installed  # noqa: F401  (fixtures)


def post(c, url, data, page="/studio"):
    return c.post(url, data={"csrf_token": token_of(text(c.get(page))), **data})


@pytest.fixture
def pm(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "li", ["pm"])


@pytest.fixture
def risk(engine, clock, installed):  # noqa: F811
    return client_for(engine, clock, "wang", ["risk"])


def draft_file(engine, path):
    draft = drafts.current(engine)
    return studio_pack.read(draft.sources, "company", path) if draft else None


def draft_meta(engine):
    meta, problems = drafts.check(drafts.current(engine).sources)
    assert problems == [], problems
    return meta


def form_of(page: str, form_id: str) -> list[tuple[str, str]]:
    """What the browser would send for the form: its inputs' values, checked boxes, selected options."""
    html = page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]
    data = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            data.append((name[1], value[1] if value else ""))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data.append((name, chosen[1] if chosen else ""))
    return [(k, v) for k, v in data if k != "csrf_token"]


def send(c, url, pairs, page):
    token = token_of(text(c.get(page)))
    return c.post(url, data=MultiDict([("csrf_token", token), *pairs]))


def replaced(pairs, **values):
    """The form's pairs with the named inputs set (a list: one pair each)."""
    out = [(k, v) for k, v in pairs if k not in values]
    for k, v in values.items():
        out += [(k, x) for x in (v if isinstance(v, list) else [v])]
    return out


def test_only_administrators_use_the_product_editor_and_access(pm, admin):  # noqa: F811
    for url in ("/studio/products", "/studio/products/sme_loan", "/studio/access"):
        assert pm.get(url).status_code == 403, url
        assert admin.get(url).status_code == 200, url
    token = token_of(text(pm.get("/")))
    for url in ("/studio/products", "/studio/products/sme_loan", "/studio/access"):
        assert pm.post(url, data={"csrf_token": token}).status_code == 403, url
        assert admin.post(url, data={"label_zh": "x"}).status_code == 400, url                # no CSRF token
    assert admin.get("/studio/products/nothing").status_code == 404
    page = text(admin.get("/studio/products"))
    assert 'id="product-sme_loan"' in page and "guarantee_sequential" in page and 'id="access-link"' in page


def test_a_new_product_is_offered_to_its_roles_once_published(engine, admin, pm, installed):  # noqa: F811
    resp = post(admin, "/studio/products", {"name": "bond_guarantee", "label_zh": "债券担保", "label_en": "Bond",
                                            "business_type": "bond", "workflow": "guarantee"})
    assert resp.status_code == 302 and resp.location.endswith("/studio/products/bond_guarantee")
    url = "/studio/products/bond_guarantee"
    page = text(admin.get(url))
    assert "company" in page.split('id="product-origin"')[1].split("</p>")[0]       # the studio's own: in place
    assert '<option value="first_review">' not in page                  # no document row yet
    # a row is added: the form comes back with it, nothing saved
    page = text(send(admin, url, [*form_of(page, "product-form"), ("add_row", "documents")], url))
    assert 'name="documents-0-code"' in page and '<option value="first_review">' in page
    assert draft_file(engine, "products/bond_guarantee.yaml").get("documents") is None
    page = text(send(admin, url, [*form_of(page, "product-form"), ("add_row", "fees")], url))
    pairs = replaced(form_of(page, "product-form"), roles=["pm"], **{
        "documents-0-code": "prospectus", "documents-0-label_zh": "募集说明书", "documents-0-step": "first_review",
        "fees-0-name": "guarantee_fee", "fees-0-kind": "guarantee_fee", "fees-0-rate": "1.2",
        "fees-0-rate_basis": "annual", "fees-0-frequency": "yearly"})
    resp = send(admin, url, pairs, url)
    assert resp.status_code == 302, text(resp)
    product = draft_meta(engine).kinds["products"]["bond_guarantee"]
    assert product.roles == ("pm",) and product.documents[0].required_at_step == "first_review"
    assert product.fees[0].rate_basis == "annual" and str(product.fees[0].rate) == "0.012"
    assert 'id="product-problems"' not in text(admin.get(url))
    # staff do not see the draft
    assert metastore.current(engine).version == installed.version
    assert 'value="bond_guarantee"' not in text(pm.get("/e/project/new"))
    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    assert metastore.current(engine).version == installed.version + 1
    assert 'value="bond_guarantee"' in text(pm.get("/e/project/new"))
    offered = text(admin.get("/e/project/new"))                         # admin may create projects, not use it
    assert 'value="sme_loan"' in offered and 'value="bond_guarantee"' not in offered


def test_bad_input_is_refused_in_place_and_keeps_what_was_typed(engine, admin):  # noqa: F811
    url = "/studio/products/working_capital_loan"
    pairs = replaced(form_of(text(admin.get(url)), "product-form"), label_zh="", roles=["nobody"], **{
        "limits-0-min": "lots", "documents-0-step": "nowhere", "fees-0-amount": "100", "fees-1-rate": "-2"})
    resp = send(admin, url, pairs, url)
    page = text(resp)
    assert resp.status_code == 422 and 'id="product-errors"' in page
    for key in ("label_zh", "roles", "limits-0-min", "documents-0-step", "fees-0-amount", "fees-1-rate"):
        assert f'id="e-{key}"' in page, key
    assert 'value="lots"' in page and 'value="-2"' in page and 'value="100"' in page
    assert drafts.current(engine) is None                                 # nothing saved, no draft started
    resp = post(admin, "/studio/products", {"name": "Bad Name", "label_zh": "", "business_type": "x",
                                            "workflow": "receipt_audit"})
    page = text(resp)
    assert resp.status_code == 422 and 'value="Bad Name"' in page
    for key in ("name", "label_zh", "business_type", "workflow"):       # receipt_audit: not a project flow
        assert f'id="e-{key}"' in page, key
    assert post(admin, "/studio/products", {"name": "sme_loan", "label_zh": "x", "business_type": "loan",
                                            "workflow": "guarantee"}).status_code == 422
    assert drafts.current(engine) is None


def test_a_standard_product_is_changed_by_overlay(engine, admin):  # noqa: F811
    url = "/studio/products/sme_loan"
    page = text(admin.get(url))
    assert "standard" in page.split('id="product-origin"')[1].split("</p>")[0]
    pairs = form_of(page, "product-form")
    limit = next(k for k, v in pairs if k.startswith("limits-") and v == "amount").rsplit("-", 1)[0]
    resp = send(admin, url, replaced(pairs, **{f"{limit}-max": "3,000,000", "fees-0-rate": "1.2"}), url)
    assert resp.status_code == 302
    assert draft_file(engine, "products/sme_loan.yaml") == {
        "overlay": "sme_loan", "limits": {"amount": {"min": 100000, "max": 3000000}},
        "change_fees": {"guarantee_fee": {"rate": "1.2%"}}}
    assert draft_meta(engine).kinds["products"]["sme_loan"].limits["amount"].max == 3000000
    # what an overlay cannot take away is refused where it is
    page = text(admin.get(url))
    resp = send(admin, url, [*form_of(page, "product-form"), ("remove_row", "limits-1")], url)
    assert resp.status_code == 200 and 'name="limits-1-field"' not in text(resp)
    resp = send(admin, url, form_of(text(resp), "product-form"), url)
    assert resp.status_code == 422 and 'id="e-limits"' in text(resp)
    resp = send(admin, url, [(k, v) for k, v in form_of(page, "product-form") if k != "roles"], url)
    assert resp.status_code == 422 and 'id="e-roles"' in text(resp)
    assert 'id="product-sme_loan"' in (listing := text(admin.get("/studio/products"))) and "+ company" in listing


def test_choosing_another_workflow_offers_its_steps(admin):  # noqa: F811
    url = "/studio/products/working_capital_loan"
    pairs = replaced(form_of(text(admin.get(url)), "product-form"), workflow="guarantee_sequential", refresh="1")
    page = text(send(admin, url, pairs, url))
    steps = page.split('id="f-documents-0-step"')[1].split("</select>")[0]
    assert '"risk_review"' in steps and '"committee"' not in steps
    # a document left at a step the chosen workflow lacks is refused at the document
    committee = replaced(pairs, refresh=[], **{"documents-0-step": "committee"})
    resp = send(admin, url, committee, url)
    assert resp.status_code == 422 and 'id="e-documents-0-step"' in text(resp)


def test_removing_a_roles_read_access_forbids_the_list_once_published(engine, admin, risk, pm, installed):  # noqa: F811
    assert risk.get("/e/bank_deposit").status_code == 200
    page = text(admin.get("/studio/access"))
    assert 'id="access-bank_deposit"' in page and "<th scope=\"col\">risk</th>" in page
    pairs = [(k, v) for k, v in form_of(page, "access-form") if (k, v) != ("perm-bank_deposit-read", "risk")]
    assert len(pairs) < len(form_of(page, "access-form"))
    resp = send(admin, "/studio/access", pairs, "/studio/access")
    assert resp.status_code == 302
    overlay = draft_file(engine, "entities/bank_deposit.yaml")
    assert set(overlay["permissions"]["read"]) == {"pm", "gm", "finance", "admin"}
    assert set(overlay["permissions"]["delete"]) == {"admin"}
    assert draft_file(engine, "entities/bank.yaml") is None                   # only what changed
    assert risk.get("/e/bank_deposit").status_code == 200                     # not before publishing
    assert post(admin, "/studio/draft/publish", {}).status_code == 302
    assert risk.get("/e/bank_deposit").status_code == 403
    assert pm.get("/e/bank_deposit").status_code == 200


def test_products_roles_in_the_access_matrix(engine, admin):  # noqa: F811
    page = text(admin.get("/studio/access"))
    pairs = form_of(page, "access-form")
    assert ("use-sme_loan", "pm") in pairs and ("anyone-sme_loan", "1") not in pairs
    # a standard product keeps a list of roles; none ticked is no one
    for bad in ([*pairs, ("anyone-sme_loan", "1")], [(k, v) for k, v in pairs if k != "use-sme_loan"]):
        resp = send(admin, "/studio/access", bad, "/studio/access")
        assert resp.status_code == 422 and 'id="e-product-sme_loan"' in text(resp)
    assert drafts.current(engine) is None
    resp = send(admin, "/studio/access", [(k, v) for k, v in pairs if (k, v) != ("use-sme_loan", "admin")],
                "/studio/access")
    assert resp.status_code == 302
    assert draft_file(engine, "products/sme_loan.yaml") == {"overlay": "sme_loan", "roles": ["pm"]}


def test_saving_the_matrix_unchanged_starts_no_draft_and_a_new_role_gets_a_column(engine, admin):  # noqa: F811
    page = text(admin.get("/studio/access"))
    assert send(admin, "/studio/access", form_of(page, "access-form"), "/studio/access").status_code == 302
    assert drafts.current(engine) is None
    resp = admin.get("/studio/access?role=Bad Role")
    assert resp.status_code == 422 and 'id="e-role"' in text(resp) and 'value="Bad Role"' in text(resp)
    page = text(admin.get("/studio/access?role=auditor"))
    assert "<th scope=\"col\">auditor</th>" in page
    pairs = [*form_of(page, "access-form"), ("perm-bank-read", "auditor")]
    resp = send(admin, "/studio/access", pairs, "/studio/access")
    assert resp.status_code == 302 and "role=auditor" in resp.location
    # bank was open to everyone: the read action is now kept to auditor, the others stay open
    assert ("open-bank-read", "1") in pairs
    pairs = [(k, v) for k, v in pairs if k != "open-bank-read"]
    resp = send(admin, "/studio/access", pairs, "/studio/access")
    assert draft_file(engine, "entities/bank.yaml") == {"overlay": "bank", "permissions": {"read": ["auditor"]}}
    # a forged role is refused at its entity
    forged = [*[(k, v) for k, v in pairs if k != "open-bank-delete"], ("perm-bank-delete", "ghost")]
    resp = send(admin, "/studio/access", forged, "/studio/access")
    assert resp.status_code == 422 and 'id="e-entity-bank"' in text(resp)
