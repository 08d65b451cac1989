"""Build the standard pack's document templates (seed/standard/documents/*.docx) with python-docx.

    python seed/tools/make_templates.py            # rewrites the three .docx files

The templates are Word files an implementer may open and edit; this script only makes sure the
shipped ones can be regenerated and reviewed as code. Each placeholder sits in one run of text
(docxtpl reads `{{ … }}` within a run); loops over table rows use `{%tr … %}`, over paragraphs
`{%p … %}` (see docs/documents.md). Names are the project's fields and the descriptors' values;
the counter-guarantees are the project's `counter_guarantee` records, `related.counter_guarantee`.
"""
from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

OUT = Path(__file__).resolve().parent.parent / "standard" / "documents"
COUNTER_LOOP = "g in related.counter_guarantee"
COUNTER_COLUMNS = (("序号", "{{ loop.index }}"), ("反担保方式", "{{ g.kind }}"), ("反担保人", "{{ g.provider }}"),
                   ("反担保物或内容", "{{ g.summary }}"), ("认定价值（元）", "{{ g.recognised_value }}"),
                   ("反担保合同编号", "{{ g.contract_no }}"))
COVERAGE = ("反担保认定价值合计人民币{{ cg_recognised_total }}元，按抵质押率折算人民币{{ cg_secured_total }}元，"
            "反担保覆盖率{{ cg_coverage }}。")


def new_document(header: str, name: str) -> Document:
    doc = Document()
    props = doc.core_properties
    props.title, props.author, props.comments = name, "Danbao", "seed/tools/make_templates.py"
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "SimSun", Pt(11)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.5)
        section.header.paragraphs[0].text = header
        section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return doc


def start(name: str, header: str, subtitle: str) -> Document:
    """A new document: the header on every page, the title, a right-aligned line under it."""
    doc = new_document(header, name)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(name)
    run.bold, run.font.size = True, Pt(18)
    doc.add_paragraph(subtitle).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return doc


def clause(doc: Document, heading: str, text: str) -> None:
    p = doc.add_paragraph()
    p.add_run(heading).bold = True
    p.add_run(text)


def rows_table(doc: Document, columns, loop: str, empty: str) -> None:
    """A table with one row per item of `loop` (`g in related.counter_guarantee`), or `empty` if none."""
    table = doc.add_table(rows=4, cols=len(columns))
    table.style, table.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
    for cell, (head, _) in zip(table.rows[0].cells, columns):
        cell.paragraphs[0].add_run(head).bold = True
    table.rows[1].cells[0].text = f"{{%tr for {loop} %}}"
    for cell, (_, value) in zip(table.rows[2].cells, columns):
        cell.text = value
    table.rows[3].cells[0].text = "{%tr endfor %}"
    doc.add_paragraph(f"{{%p if not {loop.split(' in ')[1]} %}}")
    doc.add_paragraph(empty)
    doc.add_paragraph("{%p endif %}")


def form_table(doc: Document, rows) -> None:
    """Label/value pairs, two pairs a row (a row of one pair spans the full width)."""
    table = doc.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    for row in rows:
        cells = table.add_row().cells
        for i, (label, value) in enumerate(row):
            cells[2 * i].paragraphs[0].add_run(label).bold = True
            cells[2 * i + 1].text = value
        if len(row) == 1:
            cells[1].merge(cells[3])


def signatures(doc: Document, *lines: str) -> None:
    doc.add_paragraph()
    for line in lines:
        doc.add_paragraph(line)


def guarantee_contract() -> Document:
    doc = start("委托保证合同", "合同编号：{{ contract_no }}", "合同编号：{{ contract_no }}")
    for line in ("甲方（委托人）：{{ applicant_name }}",
                 "统一社会信用代码／身份证号码：{{ applicant_code }}",
                 "法定代表人：{{ enterprise.legal_rep }}",
                 "住所：{{ applicant_address }}",
                 "乙方（保证人）：{{ guarantor }}",
                 "债权人：{{ bank }}{{ bank.branch }}"):
        doc.add_paragraph(line)
    doc.add_paragraph("甲方因经营需要向债权人申请借款，并委托乙方提供保证担保。为明确双方的权利和义务，"
                      "根据《中华人民共和国民法典》《融资担保公司监督管理条例》等法律法规，经平等协商，订立本合同。")
    clause(doc, "第一条　委托事项　", "甲方向{{ bank }}{{ bank.branch }}申请{{ business_type }}，"
           "借款金额人民币（大写）{{ amount|rmb_upper }}（小写：¥{{ amount }}元），借款期限{{ term_months }}个月，"
           "借款用途：{{ purpose }}。甲方委托乙方就上述借款向债权人提供连带责任保证，主合同编号：{{ loan_no }}。")
    clause(doc, "第二条　保证范围与期间　", "乙方保证的范围为主合同项下的借款本金人民币{{ amount|rmb_upper }}"
           "及相应的利息、罚息和实现债权的费用；保证期间为主债务履行期限届满之日起三年。")
    clause(doc, "第三条　担保费　", "甲方应于本合同签订之日向乙方一次性支付担保费人民币{{ fee_amount|rmb_upper }}"
           "（¥{{ fee_amount }}元）。担保费一经收取，不因甲方提前还款而退还。")
    clause(doc, "第四条　反担保　", "为保障乙方追偿权的实现，甲方（或甲方提供的第三方）向乙方提供下列反担保措施，"
           "并另行签订反担保合同：")
    rows_table(doc, COUNTER_COLUMNS, COUNTER_LOOP, "本项目无反担保措施。")
    clause(doc, "第五条　代偿与追偿　", "甲方未按主合同约定清偿债务，乙方依约履行保证责任后，有权立即向甲方追偿"
           "代偿的全部款项，并自代偿之日起按代偿金额每日万分之五计收资金占用费。")
    clause(doc, "第六条　甲方的义务　", "甲方应按约使用借款、按期还本付息，接受乙方的保后检查；发生经营、"
           "财务、股权或涉诉等重大变化时，应于五个工作日内书面通知乙方。")
    clause(doc, "第七条　争议解决　", "因本合同发生的争议，双方协商解决；协商不成的，向乙方住所地人民法院提起诉讼。")
    clause(doc, "第八条　合同生效　", "本合同自双方签字盖章之日起生效，一式三份，甲乙双方及债权人各执一份。")
    signatures(doc, "甲方（盖章）：{{ applicant_name }}",
               "法定代表人或授权代表（签字）：____________",
               "乙方（盖章）：{{ guarantor }}",
               "法定代表人或授权代表（签字）：____________",
               "签订日期：{{ contract_date }}")
    return doc


def approval_form() -> Document:
    doc = start("担保项目审批表", "项目编号：{{ number }}", "填表日期：{{ today }}")
    form_table(doc, [
        (("项目编号", "{{ number }}"), ("项目阶段", "{{ status }}")),
        (("申请人", "{{ applicant_name }}"), ("申请人类型", "{{ customer_type }}")),
        (("统一社会信用代码／身份证号码", "{{ applicant_code }}"), ("业务品种", "{{ business_type }}")),
        (("合作银行", "{{ bank }}{{ bank.branch }}"), ("经办部门", "{{ department }}")),
        (("担保金额（小写）", "¥{{ amount }}元"), ("担保期限", "{{ term_months }}个月")),
        (("担保金额（大写）", "人民币{{ amount|rmb_upper }}"),),
        (("还款方式", "{{ repayment_method }}"), ("续贷", "{{ renewal }}")),
        (("A角", "{{ pm_a }}"), ("B角", "{{ pm_b }}")),
        (("借款用途", "{{ purpose }}"),),
        (("尽职调查结论", "{{ due_diligence }}"),),
        (("风控复审意见", "{{ risk_opinion }}"),),
        (("上会日期", "{{ committee_date }}"), ("需总经理审批", "{{ needs_gm_approval }}")),
        (("审保会决议", "{{ committee_resolution }}"),),
        (("批准日期", "{{ approved_on }}"), ("担保合同编号", "{{ contract_no }}")),
    ])
    doc.add_paragraph()
    doc.add_paragraph().add_run("反担保措施").bold = True
    rows_table(doc, COUNTER_COLUMNS, COUNTER_LOOP, "无。")
    doc.add_paragraph(COVERAGE)
    signatures(doc, "业务部门负责人意见：____________　签字：________　日期：________",
               "风险管理部意见：____________　签字：________　日期：________",
               "总经理审批意见：____________　签字：________　日期：________")
    return doc


def review_report() -> Document:
    doc = start("担保项目评审报告", "{{ number }}　评审报告", "项目编号：{{ number }}　　报告日期：{{ today }}")
    clause(doc, "一、项目概况　", "{{ applicant_name }}（{{ applicant_code }}）向{{ bank }}{{ bank.branch }}申请"
           "{{ business_type }}人民币{{ amount }}元（大写：{{ amount|rmb_upper }}），期限{{ term_months }}个月，"
           "还款方式为{{ repayment_method }}，用途为{{ purpose }}，申请本公司提供担保。")
    clause(doc, "二、申请人基本情况　", "法定代表人{{ enterprise.legal_rep }}，成立于{{ enterprise.established_on }}，"
           "注册资本{{ enterprise.registered_capital }}元，所属行业{{ enterprise.industry }}，"
           "注册地{{ enterprise.region }}，经营范围：{{ enterprise.business_scope }}")
    doc.add_paragraph().add_run("三、反担保措施").bold = True
    doc.add_paragraph(f"{{%p for {COUNTER_LOOP} %}}")
    doc.add_paragraph("{{ loop.index }}．{{ g.kind }}：{{ g.provider }}{{ g.summary }}，认定价值{{ g.recognised_value }}元，"
                      "抵质押率{{ g.rate_applied }}，折算担保价值{{ g.secured_value }}元，反担保合同编号{{ g.contract_no }}"
                      "（{{ g.status }}）。")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not related.counter_guarantee %}")
    doc.add_paragraph("本项目无反担保措施。")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph(COVERAGE)
    clause(doc, "四、尽职调查结论　", "{{ due_diligence }}")
    clause(doc, "五、风险评审意见　", "{{ risk_opinion }}")
    clause(doc, "六、审保会决议　", "{{ committee_date }}审保会决议：{{ committee_resolution }}")
    signatures(doc, "A角（主办项目经理）：{{ pm_a }}　　B角（协办项目经理）：{{ pm_b }}",
               "风险经理：____________")
    return doc


def save(doc: Document, path: Path) -> None:
    """Save with fixed timestamps in the zip, so regenerating an unchanged template changes no byte."""
    raw = BytesIO()
    doc.save(raw)
    out = BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0)), src.read(item.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(out.getvalue())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (("guarantee_contract", guarantee_contract), ("approval_form", approval_form),
                        ("review_report", review_report)):
        path = OUT / f"{name}.docx"
        save(build(), path)
        print(path)


if __name__ == "__main__":
    main()
