"""The project ledger (台账) of the standard pack over HTTP, by the demo users in their demo roles
(SQLite and PostgreSQL): the project manager enters an entry and submits it, risk control reviews
it, then finance, and it is posted; a reviewer returns it and it is resubmitted; a posted entry is
refused any change on the server and is corrected by a reversing entry; who may do what; amounts to
the cent; the list as a 台账 (columns, filters) and its export. (seed/standard: entity ledger_entry,
workflow ledger_review, code list ledger_kind; docs/ledger.md)"""
from __future__ import annotations

import csv
import io
import random
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from core import metastore, sampledata
from core.db import users
from core.demo import create_demo_users
from core.errors import ValidationError
from core.query import Filter, Query, find
from core.store import Actor, Store
from core.users import get_user
from core.workflow import Workflows
from ui.app import create_app

from metadata.source import read_pack_dir

from .conftest import PACKS
from .test_records import post_form
from .test_workflow_fixtures import PASSWORD
from .test_workflow_screens_fixtures import HX, Site, task_ids, text

D = Decimal


class Office:
    """The standard pack behind the app, two projects, the demo users signed in on demand."""

    def __init__(self, engine, clock, tmp_path, *packs):
        installed = metastore.install(engine, list(packs), clock=clock)
        self.store = Store(engine, installed.meta, clock=clock, meta_version=installed.version)
        self.wf = Workflows(self.store)
        self.engine = engine
        create_demo_users(engine)
        with engine.begin() as c:           # a cheap hash: many sign-ins
            c.execute(update(users).values(password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")))
        rng = random.Random(6)
        self.banks = [self.store.create("bank", {"name": name, "branch": "杭州分行", "status": "active"}).id
                      for name in ("中国工商银行", "中国建设银行")]
        self.projects = []
        for bank in self.banks:
            company = self.store.create("enterprise_customer", sampledata.enterprise(rng, clock.today())).id
            self.projects.append(self.store.create("project", {
                "customer_type": "enterprise", "enterprise": company, "business_type": "loan", "bank": bank,
                "amount": "3000000", "term_months": 12, "purpose": "流动资金周转", "repayment_method": "monthly_interest",
                "pm_a": self.uid("pm_a"), "pm_b": self.uid("pm_b"), "department": "business_1"}).id)
        app = create_app({"ENGINE": engine, "SECRET_KEY": "ledger", "CLOCK": clock, "INSTANCE_DIR": str(tmp_path)})
        self.site = Site(None, app)

    def uid(self, username: str) -> int:
        return get_user(self.engine, username=username).id

    def client(self, username: str):
        return self.site.as_(username)

    def new(self, username: str = "pm_a", **fields):
        """`username` fills in the new-entry form and saves it: the response."""
        browser = self.client(username)
        html = text(browser.get("/e/ledger_entry/new"))
        return post_form(browser.client, "/e/ledger_entry/new", html, {k: str(v) for k, v in fields.items()})

    def enter(self, username: str = "pm_a", **fields) -> int:
        fields = {"project": self.projects[0], "kind": "guarantee_fee", "amount": "45,000.00",
                  "summary": "收取担保费", **fields}
        resp = self.new(username, **fields)
        assert resp.status_code == 302, text(resp)[:3000]
        return int(re.search(r"/e/ledger_entry/(\d+)$", resp.headers["Location"]).group(1))

    def panel(self, username: str, rid: int) -> str:
        resp = self.client(username).get(f"/flow/panel/ledger_entry/{rid}", htmx=True)
        assert resp.status_code == 200
        return text(resp)

    def submit(self, rid: int, username: str = "pm_a", **form) -> str:
        """The project manager submits the entry from its panel (starting the flow the first time)."""
        if self.wf.instance_for("ledger_entry", rid) is None or not self.wf.instance_for("ledger_entry", rid).running:
            resp = self.client(username).post(f"/flow/start/ledger_entry/{rid}", {"_wf_workflow": "ledger_review"})
            assert resp.status_code == 200 and 'id="flow-step">项目经理录入<' in text(resp), text(resp)[:3000]
        return self.act(username, rid, "submit", **form)

    def act(self, username: str, rid: int, action: str, **form) -> str:
        (task,) = task_ids(self.panel(username, rid))
        resp = self.client(username).act(task, action, **form)
        assert resp.status_code == 200, text(resp)[:3000]
        return text(resp)

    def post(self, rid: int, **finance) -> None:
        """Submitted, reviewed by risk, then by finance: posted."""
        self.submit(rid)
        self.act("risk", rid, "approve", _wf_opinion="核对无误")
        self.act("finance", rid, "approve", _wf_opinion="已入账", **finance)
        assert self.values(rid)["status"] == "posted"

    def values(self, rid: int) -> dict:
        return self.store.get("ledger_entry", rid).values

    def step(self, rid: int) -> str:
        return self.wf.instance_for("ledger_entry", rid).step

    def edit(self, username: str, rid: int, **changes):
        browser = self.client(username)
        html = text(browser.get(f"/e/ledger_entry/{rid}/edit"))
        return post_form(browser.client, f"/e/ledger_entry/{rid}/edit", html, changes)

    def posted(self, project: int) -> list[dict]:
        rows = find(self.engine, self.store.meta, Query("ledger_entry", [Filter("project", "eq", project),
                                                                         Filter("status", "eq", "posted")], limit=500))
        return [r.values for r in rows]


def refused_start(office, username: str, rid: int, message: str) -> None:
    """Submitting the entry is refused by the entity's rule, with nothing changed and the rule's
    message in the panel."""
    before = office.store.get("ledger_entry", rid)
    inst = office.wf.instance_for("ledger_entry", rid)
    resp = office.client(username).post(f"/flow/start/ledger_entry/{rid}", {"_wf_workflow": "ledger_review"})
    assert resp.status_code == 422 and message in text(resp), text(resp)[:2000]
    after = office.store.get("ledger_entry", rid)
    assert (after.version, after.values) == (before.version, before.values)
    now = office.wf.instance_for("ledger_entry", rid)
    assert (now.id, now.state) == (inst.id, inst.state) if inst else now is None
    with pytest.raises(ValidationError) as e:     # the rule itself, through the engine
        office.wf.start("ledger_entry", rid, "ledger_review", Actor(username, {"pm"}))
    assert message in e.value.errors[""][0]["zh"]


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Office(engine, clock, tmp_path, standard)


def test_an_entry_is_entered_submitted_reviewed_by_risk_then_finance_and_posted(office, clock):
    rid = office.enter(amount="45,000.00", voucher_no="HD-2026-031", entry_date="2026-03-14",
                       counterparty=office.banks[0])
    v = office.values(rid)
    assert v["status"] == "draft" and v["number"] == "TZ2026000001"
    assert (v["counterparty"], v["entry_date"]) == (office.banks[0], date(2026, 3, 14))
    assert v["applicant_name"] and v["applicant_name"] == office.store.get("project", office.projects[0]).values["applicant_name"]
    office.submit(rid, _wf_opinion="请复核")
    assert office.step(rid) == "risk_review" and office.values(rid)["status"] == "risk_review"
    assert task_ids(office.panel("pm_a", rid)) == [] and task_ids(office.panel("finance", rid)) == []
    office.act("risk", rid, "approve", _wf_opinion="与银行回单一致", risk_opinion="金额、凭证核对无误")
    v = office.values(rid)
    assert v["status"] == "finance_review" and office.step(rid) == "finance_review"
    assert (v["risk_reviewer"], v["risk_reviewed_on"], v["risk_opinion"]) == ("risk", date(2026, 3, 15), "金额、凭证核对无误")
    html = office.act("finance", rid, "approve", _wf_opinion="已记账", voucher_no="JZ-2026-03-0117")
    assert 'id="flow-state">已通过' in html
    v = office.values(rid)
    assert v["status"] == "posted" and office.wf.instance_for("ledger_entry", rid).state == "approved"
    assert (v["finance_reviewer"], v["posted_on"], v["voucher_no"]) == ("finance", date(2026, 3, 15), "JZ-2026-03-0117")
    assert (v["amount"], v["net_amount"], v["cash_amount"], v["signed_amount"]) == (D("45000.00"),) * 4
    assert (v["book"], v["sign"], v["cash"]) == ("fee", 1, 1)
    # the record screen shows who reviewed it
    page = text(office.client("gm").get(f"/e/ledger_entry/{rid}"))
    assert "已入账" in page and "JZ-2026-03-0117" in page and "45,000.00" in page


def test_returned_by_risk_and_by_finance_then_resubmitted(office):
    rid = office.enter(amount="30,000")
    office.submit(rid)
    office.act("risk", rid, "reject", _wf_opinion="金额与回单不符，请核实")
    v = office.values(rid)
    assert office.step(rid) == "entry" and v["status"] == "returned"
    assert (v["returned_by"], v["returned_on"]) == ("risk", date(2026, 3, 15))
    reject = [a for a in office.wf.timeline(office.wf.instance_for("ledger_entry", rid).id) if a["action"] == "reject"]
    assert reject[0]["opinion"] == "金额与回单不符，请核实" and reject[0]["actor"] == "risk"
    assert "金额与回单不符，请核实" in office.panel("pm_a", rid)
    # the project manager corrects the returned entry on the edit screen, then resubmits it
    resp = office.edit("pm_a", rid, amount="32,000.00")
    assert resp.status_code == 302, text(resp)[:3000]
    office.act("pm_a", rid, "submit", _wf_opinion="已更正金额")
    office.act("risk", rid, "approve")
    # finance returns it too (the return action, back to the project manager)
    office.act("finance", rid, "return", _wf_to="initiator", _wf_opinion="请补充银行回单号")
    v = office.values(rid)
    assert v["status"] == "returned" and v["returned_by"] == "finance" and office.step(rid) == "entry"
    office.act("pm_a", rid, "submit", voucher_no="HD-2026-040")
    office.act("risk", rid, "approve")
    office.act("finance", rid, "approve")
    v = office.values(rid)
    assert (v["status"], v["amount"], v["voucher_no"], v["risk_reviewer"], v["finance_reviewer"]) == \
        ("posted", D("32000.00"), "HD-2026-040", "risk", "finance")


def test_a_posted_entry_cannot_be_changed_on_the_server(office):
    rid = office.enter(voucher_no="HD-1")
    office.submit(rid)
    # under review the project manager cannot change it either
    resp = office.edit("pm_a", rid, amount="1.00")
    assert resp.status_code == 422 and "该字段当前不可修改" in text(resp)
    office.act("risk", rid, "approve")
    office.act("finance", rid, "approve")
    before = office.store.get("ledger_entry", rid)
    for username in ("pm_a", "admin"):
        resp = office.edit(username, rid, amount="1.00", summary="改")
        assert resp.status_code == 422 and "该字段当前不可修改" in text(resp)
    with pytest.raises(ValidationError) as e:        # clearing a field is a change too
        office.store.update("ledger_entry", rid, {"voucher_no": ""}, version=before.version, actor=Actor("pm_a", {"pm"}))
    assert e.value.errors["voucher_no"][0]["en"] == "this field cannot be changed now"
    with pytest.raises(ValidationError) as e:
        office.store.update("ledger_entry", rid, {"kind": "review_fee", "project": office.projects[1]},
                            version=before.version, actor=Actor("admin", {"admin"}))
    assert set(e.value.errors) == {"kind", "project"}
    # nor is it submitted again: the flow would make it a draft
    refused_start(office, "pm_a", rid, "已入账的记录不能修改或重新提交")
    after = office.store.get("ledger_entry", rid)
    assert (after.version, after.values) == (before.version, before.values)
    assert office.wf.instance_for("ledger_entry", rid).state == "approved"


def test_a_posted_entry_is_corrected_by_a_reversing_entry(office):
    wrong = office.enter(kind="guarantee_fee", amount="45,000.00", summary="收取担保费（金额有误）")
    office.post(wrong)
    # the reversal names the posted entry: same project, kind and amount, counted negative
    rev = office.enter(kind="guarantee_fee", amount="45,000.00", reverses=wrong, summary="冲销 担保费")
    assert office.values(rev)["net_amount"] == D("-45000.00")
    office.post(rev)
    right = office.enter(kind="guarantee_fee", amount="40,500.00", summary="收取担保费")
    office.post(right)
    v = office.values(rev)
    assert (v["reverses"], v["net_amount"], v["cash_amount"], v["signed_amount"]) == \
        (wrong, D("-45000.00"), D("-45000.00"), D("-45000.00"))
    fees = [e["signed_amount"] for e in office.posted(office.projects[0]) if e["book"] == "fee"]
    assert sum(fees) == D("40500.00")
    pm = Actor("pm_a", {"pm"})
    base = {"project": office.projects[0], "kind": "guarantee_fee", "amount": "40500"}

    def refused(values) -> dict:
        with pytest.raises(ValidationError) as e:
            office.store.create("ledger_entry", {**base, **values}, actor=pm)
        return {path: m[0]["zh"] for path, m in e.value.errors.items()}

    draft = office.enter(amount="100")
    assert refused({"reverses": draft, "amount": "100"}) == {"reverses": "只能冲销已入账的记录"}
    assert refused({"reverses": right, "amount": "40000"}) == \
        {"amount": "冲销金额须等于被冲销记录的金额（全额冲销后重新录入正确的记录）"}
    assert refused({"reverses": right, "kind": "review_fee"}) == {"kind": "冲销记录须与被冲销记录类别（及方向）相同"}
    assert refused({"reverses": right, "project": office.projects[1]}) == {"project": "冲销记录须与被冲销记录属于同一项目"}
    assert "reverses" in refused({"reverses": wrong, "amount": "45000"})             # reversed once already
    assert refused({"reverses": rev, "amount": "45000"}) == \
        {"reverses": "冲销记录不能再被冲销；请重新录入一笔正确的记录"}


def test_who_may_do_what(office):
    # finance and risk read and review, but do not enter
    for username in ("finance", "risk"):
        assert office.client(username).get("/e/ledger_entry/new").status_code == 403
        assert office.new(username, project=office.projects[0], kind="review_fee", amount="100").status_code == 403
    rid = office.enter()
    for username in ("risk", "finance", "gm", "admin", "pm_b"):
        assert office.client(username).get(f"/e/ledger_entry/{rid}").status_code == 200
    # the committee neither reads the ledger nor reviews it
    assert office.client("committee1").get("/e/ledger_entry").status_code == 403
    assert office.client("committee1").get(f"/e/ledger_entry/{rid}").status_code == 403
    # another project manager may neither change nor submit someone else's draft
    resp = office.edit("pm_b", rid, summary="改")
    assert resp.status_code == 422 and "只有录入人可以修改或提交自己的台账草稿" in text(resp)
    refused_start(office, "pm_b", rid, "只有录入人可以修改或提交自己的台账草稿")
    assert office.wf.instance_for("ledger_entry", rid) is None
    office.submit(rid)
    (risk_task,) = task_ids(office.panel("risk", rid))
    for username in ("committee1", "pm_a", "finance"):
        assert office.client(username).act(risk_task, "approve").status_code == 403
    assert office.step(rid) == "risk_review"
    office.act("risk", rid, "approve")
    (finance_task,) = task_ids(office.panel("finance", rid))
    assert office.client("risk").act(finance_task, "approve").status_code == 403
    assert office.step(rid) == "finance_review"
    # the project manager who entered it edits a returned entry; nobody else
    office.act("finance", rid, "reject", _wf_opinion="退回")
    assert office.edit("pm_b", rid, summary="改").status_code == 422
    assert office.edit("pm_a", rid, summary="改").status_code == 302


def test_amounts_are_kept_and_summed_to_the_cent(office):
    amounts = {"review_fee": "6,000.01", "guarantee_fee": "45,000.10", "customer_deposit_in": "300,000.005",
               "customer_deposit_out": "0.01", "bank_deposit_in": "150,000.20", "compensation": "1,234,567.89",
               "recovery": "0.30", "write_off": "1,000.00", "loan_release": "2,800,000.00", "repayment": "0.70"}
    for kind, amount in amounts.items():
        office.post(office.enter(kind=kind, amount=amount, summary=kind))
    office.post(office.enter(kind="other", direction="out", amount="12.34", summary="其他支出"))
    entries = office.posted(office.projects[0])
    assert {e["kind"]: e["amount"] for e in entries}["customer_deposit_in"] == D("300000.01")   # half up
    books: dict[str, Decimal] = {}
    for e in entries:
        books[e["book"]] = books.get(e["book"], D(0)) + e["signed_amount"]
    assert books == {"fee": D("51000.11"), "customer_deposit": D("300000.00"), "bank_deposit": D("150000.20"),
                     "compensation": D("1233567.59"), "balance": D("2799999.30"), "other": D("-12.34")}
    assert sum(e["cash_amount"] for e in entries) == \
        D("6000.01") + D("45000.10") + D("300000.01") - D("0.01") - D("150000.20") - D("1234567.89") + D("0.30") - D("12.34")
    assert all(isinstance(e["amount"], Decimal) and e["amount"].as_tuple().exponent == -2 for e in entries)


def test_the_list_is_a_ledger_with_filters_and_exports(office):
    a = office.enter(kind="guarantee_fee", amount="45,000.00", entry_date="2026-03-02", voucher_no="HD-A")
    b = office.enter(kind="review_fee", amount="6,000.00", entry_date="2026-03-05", voucher_no="HD-B")
    c = office.enter(kind="guarantee_fee", amount="20,000.00", entry_date="2026-02-20", voucher_no="HD-C")
    d = office.enter(kind="guarantee_fee", amount="9,000.00", entry_date="2026-03-06", voucher_no="HD-D",
                     project=office.projects[1])
    for rid in (a, b, c, d):
        office.post(rid)
    e = office.enter(kind="guarantee_fee", amount="1,000.00", entry_date="2026-03-07", voucher_no="HD-E")   # a draft
    number = {rid: office.values(rid)["number"] for rid in (a, b, c, d, e)}
    browser = office.client("finance")
    html = text(browser.get("/e/ledger_entry?sort=entry_date"))
    heads = [re.sub(r"<[^>]+>|[▲▼]", "", h).strip() for h in re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S)]
    assert heads[:10] == ["发生日期", "台账编号", "担保项目", "客户名称", "类别", "摘要", "记账金额", "资金收(+)支(−)",
                          "凭证号", "状态"]
    rows = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    assert list(dict.fromkeys(re.findall(r"TZ2026\d{6}", rows))) == \
        [number[c], number[a], number[b], number[d], number[e]]
    query = (f"f.project={office.projects[0]}&f.kind=guarantee_fee&f.status=posted"
             "&f.entry_date.min=2026-03-01&f.entry_date.max=2026-03-31")
    found = set(re.findall(r"TZ2026\d{6}", re.search(r"<tbody>(.*?)</tbody>",
                                                     text(browser.get(f"/e/ledger_entry?{query}")), re.S).group(1)))
    assert found == {number[a]}
    rows = list(csv.reader(io.StringIO(browser.get(f"/e/ledger_entry/export.csv?f.project={office.projects[0]}"
                                                   "&f.status=posted&sort=entry_date").get_data(as_text=True).lstrip("\ufeff"))))
    head, body = rows[0], rows[1:]
    assert [r[head.index("台账编号")] for r in body] == [number[c], number[a], number[b]]
    assert [r[head.index("记账金额")] for r in body] == ["20000.00", "45000.00", "6000.00"]
    assert [r[head.index("类别")] for r in body] == ["担保费", "担保费", "评审费"]
    resp = browser.get(f"/e/ledger_entry/export.xlsx?f.status=posted&f.kind=guarantee_fee&sort=entry_date")
    assert resp.status_code == 200
    sheet = list(load_workbook(io.BytesIO(resp.get_data())).active.iter_rows(values_only=True))
    head = list(sheet[0])
    assert [(r[head.index("台账编号")], r[head.index("记账金额")]) for r in sheet[1:]] == \
        [(number[c], 20000), (number[a], 45000), (number[d], 9000)]


def post_by_engine(office, **values) -> int:
    """An entry entered by pm_a and posted through the workflow engine (no screens)."""
    who = {name: Actor(name, {role}) for name, role in (("pm_a", "pm"), ("risk", "risk"), ("finance", "finance"))}
    rid = office.store.create("ledger_entry", {"project": office.projects[0], **values}, actor=who["pm_a"]).id
    inst = office.wf.start("ledger_entry", rid, "ledger_review", who["pm_a"])
    for username, action in (("pm_a", "submit"), ("risk", "approve"), ("finance", "approve")):
        (task,) = [i.task for i in office.wf.todo(username) if i.instance.id == inst.id]
        office.wf.act(task.id, who[username], action)
    assert office.values(rid)["status"] == "posted"
    return rid


def test_the_project_totals_its_posted_entries_with_rollups(engine, clock, tmp_path, standard):
    """The rollup fields docs/ledger.md suggests for the project (test pack ledger_totals)."""
    office = Office(engine, clock, tmp_path, standard, read_pack_dir(PACKS / "ledger_totals"))

    def totals() -> tuple:
        p = office.store.get("project", office.projects[0]).values
        return (p["ledger_fee_income"], p["ledger_customer_deposit"], p["ledger_compensation_balance"],
                p["ledger_cash_net"])

    wrong = post_by_engine(office, kind="guarantee_fee", amount="45000")
    office.store.create("ledger_entry", {"project": office.projects[0], "kind": "review_fee", "amount": "999"},
                        actor=Actor("pm_a", {"pm"}))                                   # a draft counts for nothing
    assert totals() == (D("45000.00"), D("0"), D("0"), D("45000.00"))
    post_by_engine(office, kind="guarantee_fee", amount="45000", reverses=wrong)
    post_by_engine(office, kind="guarantee_fee", amount="40,500.00")
    post_by_engine(office, kind="customer_deposit_in", amount="300000")
    post_by_engine(office, kind="customer_deposit_out", amount="100,000.01")
    post_by_engine(office, kind="compensation", amount="500000")
    post_by_engine(office, kind="recovery", amount="120,000.50")
    post_by_engine(office, kind="write_off", amount="10000")
    assert totals() == (D("40500.00"), D("199999.99"), D("369999.50"), D("-139499.51"))
    other = office.store.get("project", office.projects[1]).values
    assert other["ledger_fee_income"] == 0 and other["ledger_cash_net"] == 0
