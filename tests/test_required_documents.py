"""A product's required documents (申报资料, core/required_documents.py; docs/products.md "Required
documents"): a workflow does not enter a step while a document the product requires at it is
missing — through the engine and over HTTP — and the record's 申报资料 checklist shows each document
with its files and takes uploads on the one write path. (seed/standard, SQLite and PostgreSQL)"""
from __future__ import annotations

import json
import re
from html import unescape
from io import BytesIO

import pytest

from core.errors import ValidationError

from .test_lifecycle_fixtures import PDF, Desk
from .test_standard_flows import make_desk
from .test_workflow_screens_fixtures import task_ids, text

LOAN = "working_capital_loan"     # 营业执照 and 财务报表 at 初审, 征信报告 at 复审, 权属证明 at 签约, 借款申请书 any time


# -- the engine ---------------------------------------------------------------------------------

@pytest.fixture
def flows(engine, clock, standard):
    return make_desk(engine, clock, [standard])


def refusal(call) -> list[str]:
    with pytest.raises(ValidationError) as e:
        call()
    assert list(e.value.errors) == ["attachments"]          # shown at the project's attachments
    return [m["zh"] for m in e.value.errors["attachments"]]


def attach(flows, inst, *codes, untagged: bool = False) -> None:
    rid = flows.wf.instance(inst.id).record_id
    rec = flows.store.get("project", rid)
    refs = [flows.scan(c) for c in codes]
    if untagged:
        refs = [{k: v for k, v in r.items() if k != "doc"} for r in refs]
    flows.store.update("project", rid, {"attachments": (rec.values.get("attachments") or []) + refs},
                       version=rec.version)


def test_a_step_is_not_entered_while_a_document_required_at_it_is_missing(flows):
    inst = flows.start(product=LOAN, documents=False)
    assert refusal(lambda: flows.apply(inst)) == ["进入「初审」前须上传：营业执照、近三年及最近一期财务报表"]
    assert flows.at(inst) == "application" and flows.holders(inst) == ["desk"]      # nothing moved

    attach(flows, inst, "business_license")
    attach(flows, inst, "financial_statements", untagged=True)       # a file not marked as the document
    assert refusal(lambda: flows.apply(inst)) == ["进入「初审」前须上传：近三年及最近一期财务报表"]
    attach(flows, inst, "financial_statements")
    flows.apply(inst)
    assert flows.at(inst) == "first_review"

    flows.act("pm_a", "approve", inst, opinion="同意", values={"due_diligence": "经营稳定"})
    assert refusal(lambda: flows.act("pm_b", "approve", inst, opinion="同意")) == \
        ["进入「复审」前须上传：企业及实际控制人征信报告"]
    assert flows.at(inst) == "first_review" and flows.holders(inst) == ["pm_b"]
    attach(flows, inst, "credit_report")
    flows.act("pm_b", "approve", inst, opinion="同意")
    assert flows.at(inst) == "risk_review"       # 借款申请书 names no step: it never blocks


def test_a_project_without_a_product_is_not_held_to_any_list(flows):
    inst = flows.start()
    flows.apply(inst)
    assert flows.at(inst) == "first_review"


def test_a_document_for_a_step_of_another_workflow_blocks_nothing_here(flows):
    # 小微企业贷款担保 asks for its documents at 初审 and 复审 of the sequential flow
    inst = flows.start("guarantee_sequential", product="sme_loan", amount="2000000", documents=False)
    assert refusal(lambda: flows.apply(inst)) == ["进入「初审」前须上传：身份证或营业执照、经营流水（近12个月）"]


# -- the screens ----------------------------------------------------------------------------------

@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Desk(engine, clock, tmp_path, standard)


def loan(office) -> int:
    return office.apply(product=LOAN)


def checklist(html: str) -> dict[str, str]:
    """The checklist's rows: code -> 'present' or 'missing'."""
    return dict(re.findall(r'<tr id="rd-([a-z_]+)" class="rd-(present|missing)"', html))


def upload(office, username, rid, code, name="scan.pdf", data=PDF):
    browser = office.site.as_(username)
    return browser.client.post(f"/e/project/{rid}/required-documents/{code}",
                               data={"csrf_token": browser.token, "_rd_files": [(BytesIO(data), name)]},
                               content_type="multipart/form-data", headers={"HX-Request": "true"})


def test_the_checklist_shows_each_document_its_step_and_state(office):
    rid = loan(office)
    html = office.page("pm_a", "project", rid)
    assert checklist(html) == {"business_license": "missing", "financial_statements": "missing",
                               "loan_application": "missing", "credit_report": "missing",
                               "collateral_certificates": "missing"}
    row = re.search(r'<tr id="rd-credit_report".*?</tr>', html, re.S).group(0)
    assert "企业及实际控制人征信报告" in row and "<td>复审</td>" in row and "缺" in row
    assert 'name="_rd_files"' in row                               # pm_a may update the project
    assert "申报资料" in html
    # a project without a product has no checklist
    plain = office.apply()
    assert 'id="required-docs"' not in office.page("pm_a", "project", plain)


def test_submitting_is_refused_at_the_panel_until_the_documents_are_uploaded(office):
    rid = loan(office)
    browser = office.site.as_("pm_a")
    (task,) = task_ids(browser.panel(rid))
    resp = browser.act(task, "submit", _wf_opinion="请审批")
    assert resp.status_code == 422
    assert "进入「初审」前须上传：营业执照、近三年及最近一期财务报表" in text(resp)
    assert office.step(rid) == "application"

    html = office.supply("pm_a", rid, "business_license", "financial_statements")
    assert checklist(html)["business_license"] == "present" and checklist(html)["financial_statements"] == "present"
    assert checklist(html)["credit_report"] == "missing" and "已上传" in html
    assert re.search(r'<tr id="rd-business_license".*?href="/files/\d+"[^>]*>scan\.pdf</a>', html, re.S)
    office.act("pm_a", rid, "submit", _wf_opinion="资料齐全")
    assert office.step(rid) == "first_review"
    # the uploads are saves of the record: in its history, by the uploader
    history = text(office.site.as_("pm_a").get(f"/e/project/{rid}/history"))
    assert history.count("scan.pdf") >= 2


def test_an_edit_of_the_record_keeps_what_each_file_was_uploaded_for(office):
    rid = loan(office)
    office.supply("pm_a", rid, "business_license")
    page = text(office.site.as_("pm_a").get(f"/e/project/{rid}/edit"))
    refs = unescape(re.search(r'<input type="hidden" name="attachments" value="([^"]*)"', page).group(1))
    assert json.loads(refs)[0]["doc"] == "business_license"
    office.edit("pm_a", "project", rid, attachments=refs, purpose="补充流动资金")
    values = office.record(rid)
    assert values["purpose"] == "补充流动资金" and values["attachments"][0]["doc"] == "business_license"
    assert checklist(office.page("pm_a", "project", rid))["business_license"] == "present"


def test_a_refused_file_adds_nothing_and_says_why(office):
    rid = loan(office)
    version = office.store.get("project", rid).version
    resp = upload(office, "pm_a", rid, "business_license", name="licence.pdf", data=b"MZ not a pdf")
    assert resp.status_code == 422 and 'role="alert"' in text(resp)
    assert checklist(text(resp))["business_license"] == "missing"
    assert office.store.get("project", rid).version == version
    resp = upload(office, "pm_a", rid, "business_license", name="tool.exe", data=b"MZ")
    assert resp.status_code == 422 and "exe" in text(resp)
    browser = office.site.as_("pm_a")
    resp = browser.client.post(f"/e/project/{rid}/required-documents/business_license",
                               data={"csrf_token": browser.token}, headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "请选择要上传的文件" in text(resp)


def test_unknown_documents_readers_and_forged_requests_are_refused(office):
    rid = loan(office)
    assert upload(office, "pm_a", rid, "no_such_document").status_code == 404
    assert upload(office, "pm_a", 999999, "business_license").status_code == 404
    # risk control reads projects but does not edit them: no upload form, and a forged upload is 403
    html = office.page("risk", "project", rid)
    assert checklist(html)["business_license"] == "missing" and 'name="_rd_files"' not in html
    assert upload(office, "risk", rid, "business_license").status_code == 403
    assert checklist(office.page("pm_a", "project", rid))["business_license"] == "missing"
    # without the CSRF token
    browser = office.site.as_("pm_a")
    resp = browser.client.post(f"/e/project/{rid}/required-documents/business_license",
                               data={"_rd_files": [(BytesIO(PDF), "scan.pdf")]}, content_type="multipart/form-data")
    assert resp.status_code in (400, 403)
    # a plain (non-HTMX) upload goes back to the record
    resp = browser.client.post(f"/e/project/{rid}/required-documents/business_license",
                               data={"csrf_token": browser.token, "_rd_files": [(BytesIO(PDF), "scan.pdf")]},
                               content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/e/project/{rid}")


def test_the_checklist_in_english(office):
    rid = loan(office)
    browser = office.site.as_("pm_a")
    browser.client.post("/lang", data={"lang": "en", "csrf_token": browser.token, "next": "/"})
    html = text(browser.get(f"/e/project/{rid}"))
    assert "Required documents" in html and "Missing" in html and "Credit reports of the company" in html
    assert "<td>Risk review</td>" in html

