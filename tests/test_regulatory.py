"""Company-level regulatory figures (core/regulatory, docs/regulatory.md) checked against numbers worked
out by hand on a small built dataset, on SQLite and PostgreSQL; limits from an overlay; breaches as
warnings; the what-if of approving an application; the 监管指标 page and the project's section.

The books on 2026-03-15 (net assets ¥40m, recorded for 2025-12-31):
  customer   project(s) in force                                  weight             责任余额
  A 甲       sme_loan 3,000,000 (in force since 2026-01-20)       75% (A ≤ ¥5m)      2,250,000
  B 乙       sme_loan 4,000,000 + 2,000,000                       100% (B > ¥5m)     6,000,000
  C 丙       working_capital_loan 4,000,000                       100%               4,000,000
  D 丁       no product, loan 2,000,000                            100% (fallback)    2,000,000
  E 个人     housing product 1,000,000                             30%                  300,000
  F 戊       no product, performance 2,000,000                     0% (non-financing)         0
                                                                                     14,550,000
C lists D (by USCC) and E (by ID number) as related parties: C's group 6,300,000 = 15.75% > 15%.
B alone 6,000,000 = 15% > 10%. Leverage 14,550,000 / 40,000,000 = 0.36.
Released this year: G 5,000,000 (closed 2026-02-10) + H 1,000,000 (compensated 2026-03-01) = 6,000,000;
compensation paid this year 800,000 (H) → 代偿率 13.33%. 代偿余额 800,000 − 100,000 recovered − 50,000
written off = 650,000.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core import metastore
from core.checksums import make_id_number, make_uscc
from core.db import warnings
from core.files import save_upload
from core.regulatory import company_figures, effect_of_approving
from core.regulatory.alerts import check
from core.store import Store
from core.users import create_user, get_user
from plugins.manager import build_registry

from .conftest import pack
from .test_rules_screen import Client

REGISTRY = build_registry()
TODAY = date(2026, 3, 15)

HOUSING = pack("housing", {
    "pack.yaml": "name: housing\nversion: 1.0.0\nextends: [{name: standard}]\n",
    "products/housing_loan.yaml": (
        "name: housing_loan\nlabel: {zh: 住房置业担保, en: Housing guarantee}\nbusiness_type: loan\n"
        "workflow: guarantee_sequential\nweight_category: housing_loan\n"),
})
FOCUSED = pack("focused", {
    "pack.yaml": "name: focused\nversion: 1.0.0\nextends: [{name: housing}]\n",
    "codelists/regulatory_limit.yaml": "overlay: regulatory_limit\nchange_items:\n  leverage: {data: {multiple: 10, focused_multiple: 15, focused: true}}\n",
})


class Books:
    def __init__(self, engine, clock, sources, net=D("40000000")):
        self.engine = engine
        installed = metastore.install(engine, sources, **REGISTRY.checks())
        self.meta = installed.meta
        self.store = Store(engine, self.meta, clock=clock, registry=REGISTRY, meta_version=installed.version)
        for name, roles in (("li", ("pm",)), ("zhao", ("pm",)), ("wang", ("gm",)), ("risk", ("risk",)), ("fin", ("finance",)),
                            ("admin", ("admin",))):
            create_user(engine, name, name=name, roles=roles, password="Secret-pass-1")
        self.uid = {n: get_user(engine, username=n).id for n in ("li", "zhao")}
        self.bank = self.store.create("bank", {"name": "工商银行", "status": "active"}).id
        self.n = 0
        if net is not None:
            self.store.create("company_finance", {"period_end": date(2024, 12, 31), "net_assets": D("30000000")})
            self.store.create("company_finance", {"period_end": date(2025, 12, 31), "net_assets": net})
            self.store.create("company_finance", {"period_end": date(2026, 6, 30), "net_assets": D("99000000")})

    def enterprise(self, name, related=()):
        self.n += 1
        return self.store.create("enterprise_customer", {
            "name": name, "uscc": make_uscc(f"91330106MA2B3C{self.n:03d}"), "legal_rep": "陈志远",
            "company_type": "private", "industry": "C34", "region": "330106", "status": "active",
            "related_parties": list(related)})

    def individual(self, name):
        return self.store.create("individual_customer", {
            "name": name, "id_type": "resident_id", "id_number": make_id_number("330106", date(1980, 5, 1), 12),
            "mobile": "13800138000", "gender": "male"})

    def project(self, customer, amount, status="in_force", product=None, business_type="loan",
                release_date=date(2025, 6, 1), **more):
        kind = "individual" if customer.entity == "individual_customer" else "enterprise"
        data = {"customer_type": kind, kind: customer.id, "business_type": business_type, "bank": self.bank,
                "amount": D(amount), "term_months": 12, "pm_a": self.uid["li"], "pm_b": self.uid["zhao"],
                "status": status, **more}
        if product:
            data["product"] = product
        if status not in ("application", "first_review", "risk_review", "committee", "gm_approval"):
            data.update(release_date=release_date, release_amount=D(amount), maturity_date=date(2027, 6, 1))
        return self.store.create("project", data).id

    def standard_set(self):
        self.a = self.enterprise("甲公司")
        self.b = self.enterprise("乙公司")
        self.d = self.enterprise("丁公司")
        self.e = self.individual("张三")
        self.c = self.enterprise("丙公司", related=[
            {"name": "丁公司", "kind": "company", "relation": "同一控制人", "id_code": self.d.values["uscc"]},
            {"name": "张三", "kind": "person", "relation": "实际控制人", "id_code": self.e.values["id_number"].lower()},
            {"name": "外部公司", "kind": "company", "relation": "担保圈", "id_code": make_uscc("91330106MA2B3C999")}])
        self.f = self.enterprise("戊公司")
        self.project(self.a, "3000000", product="sme_loan", release_date=date(2026, 1, 20))
        self.project(self.b, "4000000", product="sme_loan")
        self.project(self.b, "2000000", product="sme_loan")
        self.project(self.c, "4000000", product="working_capital_loan")
        self.project(self.d, "2000000")
        self.project(self.e, "1000000", product="housing_loan")
        self.project(self.f, "2000000", business_type="performance")
        g = self.enterprise("己公司")
        self.project(g, "5000000", status="released", closed_on=date(2026, 2, 10))
        self.project(g, "7000000", status="released", closed_on=date(2025, 12, 31))      # last year
        h = self.enterprise("庚公司")
        self.h = self.project(h, "1000000", status="compensated")
        self.store.create("compensation", {"project": self.h, "status": "paid", "principal": D("700000"),
                                           "interest": D("100000"), "paid_on": date(2026, 3, 1), "default_on": date(2026, 2, 1),
                                           "reason": "借款人逾期"})
        self.store.create("recovery", {"project": self.h, "handler": self.uid["li"], "stage": "pre_litigation",
                                       "stages": [{"stage": "pre_litigation", "entered_on": date(2026, 3, 5)}],
                                       "recoveries": [{"received_on": date(2026, 3, 10), "amount": D("100000"),
                                                       "source": "debtor"}]})
        doc = save_upload(self.engine, entity="write_off", field="documents", name="裁定书.pdf",
                          content_type="application/pdf", data=b"%PDF-1.4\n%test\n", uploaded_by="li")
        self.store.create("write_off", {"documents": [doc], "project": self.h, "status": "approved", "amount": D("50000"),
                                        "basis": "settlement", "approved_on": date(2026, 3, 12),
                                        "basis_description": "和解后的损失"})
        return self


@pytest.fixture
def books(engine, clock, standard):
    return Books(engine, clock, [standard, HOUSING]).standard_set()


def test_every_figure_matches_the_hand_worked_numbers(books):
    f = company_figures(books.store, TODAY)
    assert f.balance_in_force == D("18000000.00") and f.count_in_force == 7
    assert (f.new_this_year_amount, f.new_this_year_count) == (D("3000000.00"), 1)
    assert f.liability_balance == D("14550000.00")
    assert (f.net_assets, f.net_assets_on) == (D("40000000.00"), date(2025, 12, 31))
    assert f.leverage == D("0.36") and f.leverage_limit == D("10")
    assert (f.compensation_paid_ytd, f.released_ytd) == (D("800000.00"), D("6000000.00"))
    assert f.compensation_rate_ytd == D("13.33")
    assert f.compensation_balance == D("650000.00")
    assert f.top_customers[:4] == [("乙公司", D("6000000.00"), D("15.00")), ("丙公司", D("4000000.00"), D("10.00")),
                                   ("甲公司", D("2250000.00"), D("5.63")), ("丁公司", D("2000000.00"), D("5.00"))]
    assert f.top_groups[0] == ("丙公司", D("6300000.00"), D("15.75"))
    assert [b["zh"] for b in f.breaches] == ["单一客户 乙公司 责任余额占净资产 15.00%，超过 10%",
                                           "客户 丙公司 及其关联方责任余额占净资产 15.75%，超过 15%"]


def test_the_small_micro_weight_stops_above_the_cap(books):
    # A at exactly ¥5m keeps 75%; one cent more and all of A's small/micro balance weighs 100%
    books.project(books.a, "2000000", product="sme_loan")
    assert company_figures(books.store, TODAY).liability_balance == D("14550000.00") + D("1500000")
    books.project(books.a, "0.01", business_type="performance")        # weighs 0 but counts in A's balance
    assert company_figures(books.store, TODAY).liability_balance == D("17300000.00")


def test_an_overlay_raises_the_leverage_limit_to_15(engine, clock, standard):
    small = Books(engine, clock, [standard, HOUSING, FOCUSED], net=D("1000000")).standard_set()
    f = company_figures(small.store, TODAY)
    assert f.leverage == D("14.55") and f.leverage_limit == D("15")
    assert not [b for b in f.breaches if "放大倍数" in b["zh"]]


def test_leverage_above_10_is_a_breach(engine, clock, standard):
    small = Books(engine, clock, [standard, HOUSING], net=D("1000000")).standard_set()
    f = company_figures(small.store, TODAY)
    assert f.leverage == D("14.55")
    assert f.breaches[0]["zh"] == "融资担保放大倍数 14.55 倍，超过上限 10 倍"


def test_without_net_assets_the_ratios_are_unknown(engine, clock, standard):
    b = Books(engine, clock, [standard, HOUSING], net=None).standard_set()
    f = company_figures(b.store, TODAY)
    assert f.liability_balance == D("14550000.00") and f.leverage is None and f.breaches == []
    assert "未录入净资产" in f.notes[0]["zh"]


def test_the_effect_of_approving_an_application(books):
    app = books.project(books.a, "2500000", status="risk_review", product="sme_loan")
    e = effect_of_approving(books.store, app, TODAY)
    assert e.applies and e.weight == D("75")
    # A crosses ¥5m: 5,500,000 at 100% instead of 2,250,000
    assert (e.customer_before, e.customer_after) == (D("2250000.00"), D("5500000.00"))
    assert e.after.liability_balance == D("17800000.00") and e.after.leverage == D("0.45")
    customer = next(line for line in e.lines if line.key == "customer")
    assert (customer.before, customer.after, customer.limit) == (D("5.63"), D("13.75"), D("10"))
    assert customer.breaches and customer.newly
    assert [b["zh"] for b in e.breaches] == ["单一客户（甲公司）集中度批准后 13.75%，超过上限 10%"]
    # within the cap: 75% of the amount is added
    small = books.project(books.a, "2000000", status="committee", product="sme_loan")
    e = effect_of_approving(books.store, small, TODAY)
    assert e.after.liability_balance - e.before.liability_balance == D("1500000.00") and e.breaches == []


def test_a_related_partys_application_raises_the_groups_figure(books):
    app = books.project(books.d, "100000", status="first_review")
    e = effect_of_approving(books.store, app, TODAY)
    group = next(line for line in e.lines if line.key == "group")
    assert (group.before, group.after) == (D("5.00"), D("5.25"))   # D's own group: D only (it lists nobody)


def _open(engine, rule):
    with engine.connect() as c:
        return [r for r in c.execute(select(warnings).where(warnings.c.rule == rule, warnings.c.state == "open"))]


def test_breaches_raise_warnings_and_resolve(books):
    app = books.project(books.a, "2500000", status="risk_review", product="sme_loan")
    fine = books.project(books.f, "100000", status="application", business_type="performance")
    check(books.store, TODAY)
    [company] = _open(books.engine, "regulatory_company")
    assert company.level == "red" and "单一客户 乙公司 责任余额占净资产 15.00%，超过 10%" in company.message["zh"]
    [application] = _open(books.engine, "regulatory_application")
    rec = books.store.get("regulatory_check", application.record_id).values
    assert rec["project"] == app and "甲公司" in application.message["zh"] and application.level == "orange"
    assert (rec["liability_balance"], rec["leverage"], rec["leverage_limit"]) == (D("17800000.00"), D("0.45"), D("10"))
    assert fine not in [books.store.get("regulatory_check", w.record_id).values["project"]
                        for w in _open(books.engine, "regulatory_application")]
    check(books.store, TODAY)                                   # again: nothing duplicated
    assert len(_open(books.engine, "regulatory_company")) == 1 and len(_open(books.engine, "regulatory_application")) == 1
    # more net assets: every limit holds, the warnings resolve
    books.store.create("company_finance", {"period_end": date(2026, 3, 1), "net_assets": D("100000000")})
    check(books.store, TODAY)
    assert _open(books.engine, "regulatory_company") == [] and _open(books.engine, "regulatory_application") == []


# -- screens ---------------------------------------------------------------------------------------
def get(client, url, status=200, **headers):
    resp = client.c.get(url, headers=headers)
    assert resp.status_code == status, resp.get_data(as_text=True)[:2000]
    return resp.get_data(as_text=True)


@pytest.fixture
def site(books, clock):
    from ui.app import create_app
    app = create_app({"ENGINE": books.engine, "CLOCK": clock, "SECRET_KEY": "x", "TESTING": True})
    return books, app


def test_the_regulatory_page_shows_figures_limits_and_breaches(site):
    books, app = site
    html = get(Client(app, "wang"), "/regulatory")
    figures = html[html.index('id="regulatory-figures"'):]
    assert "14,550,000.00" in figures and "40,000,000.00" in figures
    row = lambda rid: figures[figures.index(f'id="{rid}"'):].split("</tr>")[0]  # noqa: E731
    assert "0.36×" in row("fig-leverage") and "10×" in row("fig-leverage") and "9.64×" in row("fig-leverage")
    assert "385,450,000.00" in row("fig-liability")                            # 40m × 10 − 14.55m
    assert 'class="breach"' in row("fig-single") and "15.00%" in row("fig-single")
    assert 'class="breach"' in row("fig-group") and "15.75%" in row("fig-group")
    assert "13.33%" in row("fig-compensation-rate") and "650,000.00" in row("fig-compensation-balance")
    assert 'id="regulatory-breaches"' in html and "单一客户 乙公司 责任余额占净资产 15.00%，超过 10%" in html
    assert "乙公司" in html[html.index('id="top-customers"'):] and "丙公司" in html[html.index('id="top-groups"'):]
    assert get(Client(app, "risk"), "/regulatory")
    get(Client(app, "li"), "/regulatory", status=403)                           # a project manager may not


def test_the_project_section_shows_the_effect_of_approving(site):
    books, app = site
    pid = books.project(books.a, "2500000", status="risk_review", product="sme_loan")
    html = get(Client(app, "risk"), f"/regulatory/effect/{pid}", **{"HX-Request": "true"})
    assert "批准后影响" in html or "Effect of approving" in html
    customer = html[html.index('id="effect-customer"'):].split("</tr>")[0]
    assert 'class="breach"' in customer and "5.63%" in customer and "13.75%" in customer and "10%" in customer
    leverage = html[html.index('id="effect-leverage"'):].split("</tr>")[0]
    assert "0.36×" in leverage and "0.45×" in leverage and 'class="breach"' not in leverage
    assert "17,800,000.00" in html
    assert get(Client(app, "li"), f"/regulatory/effect/{pid}").strip() == ""     # not for a project manager
    in_force = books.project(books.a, "100000", product="sme_loan")
    get(Client(app, "risk"), f"/regulatory/effect/{in_force}", status=404)      # only under application


def test_the_placeholder_includes_the_section_only_for_applications(site):
    from flask import render_template
    from flask_login import login_user
    from ui.auth import LoginUser
    books, app = site
    pid = books.project(books.a, "2500000", status="risk_review", product="sme_loan")
    project = books.meta.entity("project")
    with app.test_request_context("/"):
        from core.users import get_user
        login_user(LoginUser(get_user(books.engine, username="risk")))
        html = render_template("regulatory/placeholder.html", entity=project, record=books.store.get("project", pid))
        assert f'hx-get="/regulatory/effect/{pid}"' in html
        in_force = books.store.get("project", books.project(books.a, "100000", product="sme_loan"))
        assert render_template("regulatory/placeholder.html", entity=project, record=in_force).strip() == ""
        login_user(LoginUser(get_user(books.engine, username="li")))
        assert render_template("regulatory/placeholder.html", entity=project,
                               record=books.store.get("project", pid)).strip() == ""


def test_an_application_checked_inside_a_transition_warns_with_it(books):
    """check_application joins the caller's transaction (what the workflow action does)."""
    from core.regulatory.alerts import check_application
    app = books.project(books.a, "2500000", status="first_review", product="sme_loan")
    values = {**books.store.get("project", app).values, "status": "risk_review", "id": app}
    with books.store.transaction() as conn:
        check_application(books.store, app, TODAY, values=values, conn=conn)
    [w] = _open(books.engine, "regulatory_application")
    assert "单一客户（甲公司）集中度批准后 13.75%" in w.message["zh"]


def test_every_customer_over_a_limit_is_a_breach_not_only_the_top(books):
    f = company_figures(books.store, TODAY, top_n=1)
    assert [s.label for s in f.customers] == ["乙公司"]
    assert len(f.breaches) == 2 and "丙公司" in f.breaches[1]["zh"]


def test_finance_records_net_assets_with_the_form_and_the_figures_use_them(site):
    books, app = site
    resp = Client(app, "fin").post("/e/company_finance/new", period_end="2026-02-28", net_assets="60,000,000")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    f = company_figures(books.store, TODAY)
    assert (f.net_assets, f.net_assets_on, f.leverage) == (D("60000000.00"), date(2026, 2, 28), D("0.24"))
    assert Client(app, "li").post("/e/company_finance/new", period_end="2026-03-01",
                                  net_assets="1").status_code == 403     # a project manager may not


def test_the_daily_checks_shortcut_gives_the_same_lines_as_the_full_what_if(books):
    from core.regulatory import liability
    from core.regulatory.config import load
    from core.regulatory.whatif import lines_of_approving
    apps = [books.project(books.a, "2500000", status="risk_review", product="sme_loan"),
            books.project(books.c, "300000", status="committee"),                 # C's group crosses further
            books.project(books.b, "100000", status="first_review", product="sme_loan")]
    before = company_figures(books.store, TODAY)
    with books.engine.connect() as conn:
        liability.snapshot(conn, liability.Sql(books.meta, load(books.meta), books.store.dialect))
        for app in apps:
            full = effect_of_approving(books.store, app, TODAY)
            label, lines, after = lines_of_approving(books.store, conn, before, app)
            assert label == full.customer_label and after == full.after.liability_balance
            assert [(x.key, x.before, x.after, x.limit) for x in lines] == \
                [(x.key, x.before, x.after, x.limit) for x in full.lines]


def test_the_standard_flow_checks_an_application_as_it_enters_risk_review(engine, clock, tmp_path, standard):
    """`{call: regulatory_check}` in the standard flows (plugins/builtin.py): the check record is
    written in the transition, and the application's page carries the 批准后影响 section."""
    from core.query import Filter, Query, find

    from .test_workflow_screens_standard import Office
    office = Office(engine, clock, tmp_path, standard)
    rid = office.apply()
    office.act("pm_a", rid, "submit", _wf_opinion="资料齐全")
    assert find(engine, office.store.meta, Query("regulatory_check", [Filter("project", "eq", rid)])) == []
    office.act("pm_b", rid, "approve", _wf_opinion="同意", due_diligence="经营稳定")
    assert office.step(rid) == "risk_review"
    [check_record] = find(engine, office.store.meta, Query("regulatory_check", [Filter("project", "eq", rid)]))
    assert check_record.values["scope"] == "application"
    page = office.site.as_("risk").get(f"/e/project/{rid}")
    assert f'/regulatory/effect/{rid}' in page.get_data(as_text=True)


def test_the_cli_writes_the_checks_for_cron(books):
    from click.testing import CliRunner

    from core.query import Filter, Query, find
    from ui.cli import cli
    app = books.project(books.a, "2500000", status="risk_review", product="sme_loan")
    url = books.engine.url.render_as_string(hide_password=False)
    out = CliRunner().invoke(cli, ["--database", url, "regulatory-check", "--on", TODAY.isoformat()])
    assert out.exit_code == 0, out.output
    assert out.output == "company: 2 breach(es); applications: 1 checked, 1 would breach a limit.\n"
    [rec] = find(books.engine, books.store.meta, Query("regulatory_check", [Filter("project", "eq", app)]))
    assert rec.values["scope"] == "application" and rec.values["breaches"]
