"""Counter-guarantees as their own records (seed/standard/entities/counter_guarantee.yaml), entered
over HTTP by the demo users on SQLite and PostgreSQL: each kind shows and requires its own fields,
the loan-to-value rate is held to its collateral type's cap, the recognised and secured values and
the project's coverage are right to the cent, earnest money above 20% of the guaranteed amount is
refused, a kind the project's product does not allow is refused, and a seventh kind is added by an
overlay pack alone (tests/packs/cg_insurance)."""
from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from core import metastore, sampledata
from core.demo import DEMO_PASSWORD, create_demo_users
from core.store import Store
from metadata.source import read_pack_dir
from ui.app import create_app

from .conftest import PACKS
from .test_records import post_form, text, token_of

# the fields of one kind only (the common ones, appraisal included, are checked separately)
OWN_FIELDS = {
    "mortgage": {"collateral_type", "property_cert_no", "location", "area", "priority", "registration_no",
                 "registration_status"},
    "pledge": {"pledge_type", "pledge_issuer", "pledge_cert_no", "registration_no", "registration_status"},
    "surety": {"guarantor_type", "guarantor_relation", "net_worth"},
    "lien": {"lien_goods", "lien_place"},
    "earnest": {"earnest_amount", "earnest_received_on"},
    "credit": set(),
}
APPRAISAL = {"appraiser", "appraised_value", "appraisal_date", "pledged_elsewhere", "ltv_rate"}
APPRAISED_KINDS = {"mortgage", "pledge", "lien"}


class Office:
    """The standard pack, the demo users, one company, a bank and two projects: `loan` on the
    working-capital product (mortgage, pledge, surety, credit allowed) and `free` without a product."""

    def __init__(self, engine, clock, packs):
        inst = metastore.install(engine, packs, clock=clock)
        self.store = Store(engine, inst.meta, clock=clock, meta_version=inst.version)
        create_demo_users(engine)
        company = self.store.create("enterprise_customer", sampledata.enterprise(random.Random(3), clock.today())).id
        bank = self.store.create("bank", {"name": "中国工商银行", "branch": "杭州西湖支行", "status": "active"}).id
        base = {"enterprise": company, "bank": bank, "term_months": 12}
        self.loan = self.store.create("project", {**base, "product": "working_capital_loan", "amount": "3000000"}).id
        self.free = self.store.create("project", {**base, "amount": "1000000"}).id
        self.app = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "CLOCK": clock})
        self.client = self.login("pm_a")

    def login(self, username: str):
        client = self.app.test_client()
        html = text(client.get("/login"))
        resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token_of(html)})
        assert resp.status_code == 302
        return client

    def new(self, project: int, **values):
        """Post the new counter-guarantee form as a browser would; the response."""
        html = text(self.client.get("/e/counter_guarantee/new"))
        changes = {"project": str(project), **{k: str(v) for k, v in values.items()}}
        return post_form(self.client, "/e/counter_guarantee/new", html, changes)

    def saved(self, project: int, **values) -> dict:
        resp = self.new(project, **values)
        assert resp.status_code == 302, errors_in(text(resp))
        rid = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        return {**self.store.get("counter_guarantee", rid).values, "id": rid}

    def hidden(self, **values) -> set[str]:
        """The fields the live form hides for these values."""
        html = text(self.client.get("/e/counter_guarantee/new"))
        live = text(post_form(self.client, "/e/counter_guarantee/live", html,
                              {k: str(v) for k, v in values.items()}, htmx=True))
        return set(re.search(r'id="live-hidden" value="([^"]*)"', live).group(1).split(","))

    def project(self, rid: int) -> dict:
        return self.store.get("project", rid).values


def errors_in(html: str) -> str:
    return " | ".join(re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="[^"]*error[^"]*"[^>]*>(.*?)</', html, re.S))


@pytest.fixture
def office(engine, clock, standard):
    return Office(engine, clock, [standard])


def test_each_kind_shows_only_its_own_fields(office):
    everything = set().union(*OWN_FIELDS.values()) | APPRAISAL
    for kind, own in OWN_FIELDS.items():
        hidden = office.hidden(kind=kind, guarantor_type="person")
        shown = own | (APPRAISAL if kind in APPRAISED_KINDS else set())
        assert not shown & hidden, (kind, shown & hidden)
        assert everything - shown <= hidden, (kind, everything - shown - hidden)
    assert "provider" in office.hidden(kind="credit") and "provider" not in office.hidden(kind="lien")
    # a person guarantor gives an ID number, a company its credit code
    assert "guarantor_uscc" in office.hidden(kind="surety", guarantor_type="person")
    assert "guarantor_id_number" in office.hidden(kind="surety", guarantor_type="company")


def test_each_kind_requires_its_own_fields_only(office):
    required = {
        "mortgage": {"provider", "collateral_type", "property_cert_no", "appraised_value"},
        "pledge": {"provider", "pledge_type", "appraised_value"},
        "surety": {"provider", "guarantor_type"},
        "lien": {"provider", "lien_goods", "appraised_value"},
        "earnest": {"provider", "earnest_amount"},
        "credit": {"remarks"},
    }
    for kind, fields in required.items():
        p = office.store.preview("counter_guarantee", {"project": office.free, "kind": kind})
        assert {path for path, errs in p.errors.items() if {"zh": "必填", "en": "required"} in errs} == fields, kind
    resp = office.new(office.free, kind="surety", provider="张伟", guarantor_type="person")
    assert resp.status_code == 422 and "必填" in text(resp)                 # the ID number of a person
    resp = office.new(office.free, kind="surety", provider="张伟", guarantor_type="person",
                      guarantor_id_number="110105194912310022")
    assert resp.status_code == 422                                         # a wrong check digit
    rec = office.saved(office.free, kind="surety", provider="张伟", guarantor_type="person",
                       guarantor_id_number="11010519491231002X", guarantor_relation="actual_controller",
                       net_worth="8,000,000")
    assert rec["guarantor_id_number"] == "11010519491231002X" and rec["contract_no"] == "FDB202600001"


def test_values_of_another_kind_are_not_kept(office):
    rec = office.saved(office.free, kind="pledge", provider="杭州示例实业有限公司", pledge_type="deposit_receipt",
                       pledge_issuer="中国工商银行杭州西湖支行", appraised_value="500,000",
                       collateral_type="residential", lien_goods="钢材")     # typed in before the kind changed
    assert rec["collateral_type"] is None and rec["lien_goods"] is None and rec["pledge_type"] == "deposit_receipt"
    assert rec["summary"] == "存单，中国工商银行杭州西湖支行"


def test_the_rate_defaults_to_the_cap_of_the_collateral_type_and_may_not_exceed_it(office):
    base = dict(kind="mortgage", provider="张伟", collateral_type="residential", property_cert_no="浙(2024)杭州市不动产权第0012345号",
                appraised_value="1,000,000")
    resp = office.new(office.free, **base, ltv_rate="70.01")
    assert resp.status_code == 422 and "抵质押率不能超过该类担保物的上限" in text(resp)
    rec = office.saved(office.free, **base)
    assert (rec["ltv_cap"], rec["ltv_rate"], rec["rate_applied"]) == (Decimal("70.00"), None, Decimal("70.00"))
    rec = office.saved(office.free, **base, ltv_rate="65")
    assert rec["rate_applied"] == Decimal("65.00") and rec["secured_value"] == Decimal("650000.00")
    # the caps are data of the code lists: equipment 40%, a certificate of deposit 90%, a lien 50%
    assert office.saved(office.free, **{**base, "collateral_type": "equipment"})["secured_value"] == Decimal("400000.00")
    assert office.saved(office.free, kind="lien", provider="某物流公司", lien_goods="钢材 200 吨",
                        appraised_value="600,000")["secured_value"] == Decimal("300000.00")
    surety = office.saved(office.free, kind="surety", provider="某实业公司", guarantor_type="company",
                          guarantor_uscc="914201069917561071", net_worth="5,000,000")
    assert (surety["recognised_value"], surety["rate_applied"], surety["secured_value"]) == \
        (Decimal("5000000.00"), Decimal("0.00"), Decimal("0.00"))          # a surety does not count


def test_recognised_value_secured_value_and_coverage_to_the_cent(office):
    mortgage = office.saved(office.loan, kind="mortgage", provider="杭州示例实业有限公司", collateral_type="residential",
                            property_cert_no="浙(2024)杭州市不动产权第0012345号", location="西湖区文三路 1 号",
                            appraised_value="4,200,000", pledged_elsewhere="1,000,000.55")
    # 4,200,000 − 1,000,000.55 = 3,199,999.45; × 70% = 2,239,999.615, rounded half up
    assert mortgage["recognised_value"] == Decimal("3199999.45") and mortgage["secured_value"] == Decimal("2239999.62")
    pledge = office.saved(office.loan, kind="pledge", provider="张伟", pledge_type="deposit_receipt",
                          appraised_value="500,000.10")
    assert pledge["secured_value"] == Decimal("450000.09")                   # 90% of 500,000.10
    office.saved(office.loan, kind="surety", provider="张伟", guarantor_type="person",
                 guarantor_id_number="11010519491231002X", net_worth="2,000,000")
    p = office.project(office.loan)
    assert p["cg_count"] == 3
    assert p["cg_recognised_total"] == Decimal("5699999.55")                 # 3,199,999.45 + 500,000.10 + 2,000,000
    assert p["cg_secured_total"] == Decimal("2689999.71")                    # 2,239,999.62 + 450,000.09 + 0
    assert p["cg_coverage"] == Decimal("89.67")                              # 2,689,999.71 / 3,000,000
    page = text(office.client.get(f"/e/project/{office.loan}"))
    assert "89.67%" in page and "2,689,999.71" in page
    # a released counter-guarantee no longer counts
    office.store.update("counter_guarantee", pledge["id"], {"status": "released"},
                        version=office.store.get("counter_guarantee", pledge["id"]).version)
    p = office.project(office.loan)
    assert (p["cg_count"], p["cg_secured_total"], p["cg_coverage"]) == (2, Decimal("2239999.62"), Decimal("74.67"))


def test_earnest_money_is_at_most_20_percent_of_the_guaranteed_amount(office):
    resp = office.new(office.free, kind="earnest", provider="申请人", earnest_amount="200,000.01")
    assert resp.status_code == 422 and "定金不能超过担保金额的 20%" in text(resp)
    office.saved(office.free, kind="earnest", provider="申请人", earnest_amount="150,000")
    resp = office.new(office.free, kind="earnest", provider="实际控制人", earnest_amount="50,000.01")
    assert resp.status_code == 422
    assert "定金合计不能超过担保金额的 20%（民法典第五百八十六条）" in text(resp)
    assert office.project(office.free)["cg_earnest_total"] == Decimal("150000.00")   # nothing was saved
    last = office.saved(office.free, kind="earnest", provider="实际控制人", earnest_amount="50,000")
    p = office.project(office.free)
    assert p["cg_earnest_total"] == Decimal("200000.00") and p["cg_secured_total"] == Decimal("200000.00")
    assert last["rate_applied"] == Decimal("100.00")


def test_a_kind_the_product_does_not_allow_is_refused(office):
    resp = office.new(office.loan, kind="lien", provider="某物流公司", lien_goods="钢材", appraised_value="100,000")
    assert resp.status_code == 422
    assert "产品「流动资金贷款担保」不接受「留置」，可选：抵押、质押、保证、信用" in text(resp)
    resp = office.new(office.loan, kind="earnest", provider="申请人", earnest_amount="10,000")
    assert resp.status_code == 422 and "不接受「定金」" in text(resp)
    # the same kind for a project without a product, or of a product that allows it
    assert office.saved(office.free, kind="lien", provider="某物流公司", lien_goods="钢材", appraised_value="100,000")
    assert office.saved(office.loan, kind="credit", remarks="申请人为本公司长期优质客户")["kind"] == "credit"


def test_the_refusal_in_english(office):
    html = text(office.client.get("/e/counter_guarantee/new"))
    office.client.post("/lang", data={"lang": "en", "csrf_token": token_of(html), "next": "/"})
    resp = office.new(office.loan, kind="lien", provider="x", lien_goods="y", appraised_value="1")
    assert resp.status_code == 422
    assert "the product &#39;Working-capital loan guarantee&#39; does not accept &#39;Lien&#39;" in text(resp)


def test_a_new_kind_by_metadata_alone(engine, clock, standard):
    office = Office(engine, clock, [standard, read_pack_dir(PACKS / "cg_insurance")])
    hidden = office.hidden(kind="guarantee_insurance")
    assert not {"insurer", "policy_no", "insured_amount", "policy_end", "provider"} & hidden
    assert set().union(*OWN_FIELDS.values()) | APPRAISAL <= hidden
    assert {"insurer", "policy_no"} <= office.hidden(kind="mortgage")
    resp = office.new(office.loan, kind="guarantee_insurance", provider="杭州示例实业有限公司")
    assert resp.status_code == 422 and "必填" in text(resp)                  # insurer, policy, sum insured
    rec = office.saved(office.loan, kind="guarantee_insurance", provider="杭州示例实业有限公司",
                       insurer="中国人民财产保险股份有限公司", policy_no="PICC-2026-0001", insured_amount="1,000,000.05")
    assert rec["recognised_value"] == Decimal("1000000.05") and rec["rate_applied"] == Decimal("90.00")
    assert rec["secured_value"] == Decimal("900000.05")                     # 900,000.045 rounded half up
    assert rec["summary"] == "中国人民财产保险股份有限公司保证保险（保单号 PICC-2026-0001）"
    assert office.project(office.loan)["cg_coverage"] == Decimal("30.00")   # 900,000.05 / 3,000,000
    page = text(office.client.get(f"/e/counter_guarantee/{rec['id']}"))
    assert "保证保险" in page and "PICC-2026-0001" in page
