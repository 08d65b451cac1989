"""The 文档 menu on a record's view and the .docx downloads (ui/record_documents.py) over HTTP, with the
standard pack's documents: what each user is offered (roles, the workflow step), a valid Word file
with the document's file name (RFC 6266 `filename*`), 403 / 404, and a template that fails at run
time answered with a page that says what is wrong (no stack trace)."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import docx
import pytest

from core import metastore
from metadata.source import PackSource

from .test_documents import docx_bytes
from .test_workflow_screens_fixtures import text
from .test_workflow_screens_standard import Office

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Office(engine, clock, tmp_path, standard)


def _project(office) -> int:
    return office.store.create("project", {
        "customer_type": "enterprise", "enterprise": office.company, "business_type": "loan", "bank": office.bank,
        "amount": "3000000", "term_months": 12, "purpose": "流动资金周转", "repayment_method": "monthly_interest",
        "pm_a": int(office.uid("pm_a")), "pm_b": int(office.uid("pm_b"))}).id


def _words(content: bytes) -> str:
    d = docx.Document(io.BytesIO(content))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_the_menu_offers_what_the_user_may_generate_at_this_step(office):
    rid = _project(office)
    html = text(office.site.as_("pm_a").get(f"/e/project/{rid}"))
    assert 'id="documents-menu"' in html
    offered = re.findall(r'id="doc-([a-z_]+)"', html)
    assert offered == ["approval_form", "review_report"]         # the contract: from the signing step on
    assert f'href="/e/project/{rid}/documents/approval_form"' in html
    # finance may read the project but has none of the documents' roles: no menu
    html = text(office.site.as_("finance").get(f"/e/project/{rid}"))
    assert 'id="documents-menu"' not in html
    # an entity without documents has no menu
    assert 'id="documents-menu"' not in text(office.site.as_("pm_a").get(f"/e/bank/{office.bank}"))


def test_a_download_is_a_valid_docx_named_by_the_document_and_project_number(office):
    rid = _project(office)
    number = office.record(rid)["number"]
    resp = office.site.as_("pm_a").get(f"/e/project/{rid}/documents/approval_form")
    assert resp.status_code == 200 and resp.mimetype == DOCX
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(f'项目审批表-{number}.docx', safe='')}" in disposition
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    words = _words(resp.data)
    assert number in words and "流动资金周转" in words


def test_refusals(office):
    rid = _project(office)
    finance, pm = office.site.as_("finance"), office.site.as_("pm_a")
    assert finance.get(f"/e/project/{rid}/documents/approval_form").status_code == 403     # no role
    resp = pm.get(f"/e/project/{rid}/documents/guarantee_contract")                       # not at signing yet
    assert resp.status_code == 403 and "signing" in text(resp)                             # the steps named
    assert pm.get(f"/e/project/{rid}/documents/nosuch").status_code == 404
    assert pm.get(f"/e/enterprise_customer/{office.company}/documents/approval_form").status_code == 404
    assert pm.get("/e/project/999999/documents/approval_form").status_code == 404


def test_a_template_that_fails_is_a_page_saying_why(office, engine, clock, standard):
    broken = PackSource("broken", {
        "pack.yaml": "name: broken\nversion: 1.0.0\nrequires: [{name: standard}]\n",
        "documents/broken.yaml": "name: broken_sheet\nlabel: {zh: 坏模板, en: Broken}\nentity: project\n"
                                 "template: broken.docx\nfile_name: \"坏-{number}.docx\"\nroles: [pm]\n"},
        {"documents/broken.docx": docx_bytes("{{ number }} {{ bank.nosuch }}")})
    metastore.install(engine, [standard, broken], clock=clock)
    rid = _project(office)
    resp = office.site.as_("pm_a").get(f"/e/project/{rid}/documents/broken_sheet")
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    body = text(resp)
    assert "无法生成文档" in body
    assert "nosuch" in body and "Traceback" not in body
