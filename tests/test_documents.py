"""Documents from .docx templates shipped in packs (metadata/document.py, core/documents.py): binary
files carried through install and export byte for byte, templates checked at install, the standard
pack's contract, approval form and review report filled from a project that ran the standard flow
(SQLite and PostgreSQL), clear errors and refusals."""
from __future__ import annotations

import importlib.util
import random
import io
import json
import re
import zipfile
from decimal import Decimal

import docx
import pytest
from click.testing import CliRunner

from core import metastore, sampledata
from core.documents import DocumentError, available, render
from core.errors import PermissionDenied
from core.registry import EMPTY
from core.store import Actor, Store
from metadata.errors import MetadataError
from metadata.loader import load_packs
from metadata.source import PackSource, read_pack_dir
from plugins.manager import build_registry
from plugins.builtin import rmb_upper
from ui.cli import cli

from .conftest import PACKS, ROOT, SEED
from .test_docs import undocumented
from .test_standard_flows import make_desk

REGISTRY = build_registry()
# the project's counter_guarantee records (numbered FDB202600001, FDB202600002 in this order)
COUNTER_GUARANTEES = [
    {"kind": "mortgage", "provider": "杭州示例实业有限公司", "collateral_type": "industrial", "location": "西湖区文三路厂房",
     "property_cert_no": "浙(2024)杭州市不动产权第0012345号", "appraised_value": "4200000", "status": "effective"},
    {"kind": "surety", "provider": "张伟", "guarantor_type": "person", "guarantor_id_number": "11010519491231002X",
     "net_worth": "3000000", "status": "effective"},
]


def docx_bytes(*paragraphs: str) -> bytes:
    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def text_of(content: bytes) -> str:
    """Every paragraph of the body, tables, header and footer."""
    d = docx.Document(io.BytesIO(content))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    for s in d.sections:
        parts += [p.text for p in s.header.paragraphs + s.footer.paragraphs]
    return "\n".join(parts)


# -- binary files in packs ---------------------------------------------------------------------

def test_a_pack_reads_its_templates_as_bytes_and_the_digest_covers_them(standard):
    assert set(standard.binaries) == {"documents/guarantee_contract.docx", "documents/approval_form.docx",
                                      "documents/review_report.docx"}
    on_disk = (SEED / "standard" / "documents" / "guarantee_contract.docx").read_bytes()
    assert standard.binaries["documents/guarantee_contract.docx"] == on_disk
    assert not any(rel.endswith(".docx") for rel in standard.files)        # text handling never sees them
    changed = PackSource(standard.label, standard.files, {**standard.binaries,
                                                          "documents/guarantee_contract.docx": on_disk + b"\0"})
    assert changed.digest() != standard.digest()
    plain = PackSource("p", {"pack.yaml": "name: p\nversion: 1.0.0\n"})
    assert PackSource.from_stored(json.loads(json.dumps(plain.stored()))) == plain
    assert "binaries" not in plain.stored()                                # stored as before without any


def test_templates_survive_install_current_and_export_byte_for_byte(engine, tmp_path, standard):
    installed = metastore.install(engine, [standard])
    metastore._cache.clear()                                               # as in another process
    again = metastore.current(engine)
    assert again.sources[0].binaries == standard.binaries
    assert again.meta.digest == installed.meta.digest
    contract = again.meta.kinds["documents"]["guarantee_contract"]
    assert contract.content == standard.binaries["documents/guarantee_contract.docx"]
    result = CliRunner().invoke(cli, ["--database", engine.url.render_as_string(hide_password=False),
                                      "export-meta", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for rel, content in standard.binaries.items():
        assert (tmp_path / "out" / "standard" / rel).read_bytes() == content
    assert read_pack_dir(tmp_path / "out" / "standard").digest() == standard.digest()


# -- the document kind: checks at install ------------------------------------------------------

MINI_DOC = """name: card
label: {zh: 客户卡片, en: Customer card}
entity: customer
template: card.docx
file_name: "客户-{name}.docx"
roles: [pm]
values:
  shout: CONCAT(name, "！")
"""


def mini_with(doc_yaml: str = MINI_DOC, binaries: dict | None = None, extra: dict | None = None) -> PackSource:
    base = read_pack_dir(PACKS / "mini")
    files = {**base.files, "documents/card.yaml": doc_yaml, **(extra or {})}
    return PackSource(base.label, files, {"documents/card.docx": docx_bytes("{{ name }} {{ shout }}")}
                      if binaries is None else binaries)


def problems(*sources) -> list[str]:
    with pytest.raises(MetadataError) as e:
        load_packs(list(sources))
    return [str(p) for p in e.value.problems]


def test_a_good_document_compiles_with_its_template():
    doc = load_packs([mini_with()]).kinds["documents"]["card"]
    assert doc.entity == "customer" and doc.roles == ("pm",) and doc.template == "mini/documents/card.docx"
    assert doc.content.startswith(b"PK") and dict(doc.values) == {"shout": 'CONCAT(name, "！")'}


@pytest.mark.parametrize("doc_yaml, binaries, expected", [
    (MINI_DOC, {}, r"mini/documents/card.yaml:4 template: no file 'mini/documents/card.docx'"),
    (MINI_DOC, {"documents/card.docx": b"not a zip"}, r"card.yaml:4 template: mini/documents/card.docx: not a valid Word"),
    (MINI_DOC, {"documents/card.docx": docx_bytes("{{ name }")}, r"card.yaml:4 template: .*template syntax: unexpected '}'"),
    (MINI_DOC, {"documents/card.docx": docx_bytes("{{ nmae }} {{ shout }}")},
     r"card.yaml:4 template: mini/documents/card.docx uses nmae, which the record does not have"),
    (MINI_DOC.replace("{name}", "{nosuch}"), None, r"card.yaml:5 file_name: '\{nosuch\}': the record has no field"),
    (MINI_DOC.replace("entity: customer", "entity: nobody"), None, r"card.yaml:3 entity: no entity 'nobody'"),
    (MINI_DOC.replace("shout:", "name:"), None, r"values.name: 'name' is already a name"),
    (MINI_DOC.replace("CONCAT(name", "CONCAT(nmae"), None, r"card.yaml:8 values.shout: unknown field 'nmae'"),
    (MINI_DOC + "steps: [nowhere]\n", None, r"card.yaml:9 steps.0: no workflow of 'customer' has a step 'nowhere'"),
    (MINI_DOC.replace("card.docx", "../card.docx"), None, r"card.yaml:4 template: '../card.docx' does not match"),
])
def test_bad_documents_are_reported_at_install_with_file_line_and_path(doc_yaml, binaries, expected):
    found = problems(mini_with(doc_yaml, binaries))
    assert any(re.search(expected, p) for p in found), found


def test_a_bad_template_is_refused_by_install_and_nothing_changes(engine):
    metastore.install(engine, [read_pack_dir(PACKS / "mini")])
    with pytest.raises(MetadataError, match="not a valid Word"):
        metastore.install(engine, [mini_with(binaries={"documents/card.docx": b"PK\x03\x04 broken"})])
    assert len(metastore.versions(engine)) == 1


# -- the standard documents, filled from a project that ran the standard flow ------------------

@pytest.fixture
def project(engine, clock, standard):
    """A project in force: approved by the committee, fee received, contract signed, loan released."""
    desk = make_desk(engine, clock, [standard])
    inst = desk.start()
    for cg in COUNTER_GUARANTEES:
        desk.store.create("counter_guarantee", {**cg, "project": desk.wf.instance(inst.id).record_id})
    desk.apply(inst)
    desk.first_review(inst)
    desk.risk_review(inst)
    desk.vote(inst, c1="approve", c2="approve", c3="approve", gm="approve")
    desk.after_approval(inst)
    assert desk.at(inst) == "in_force"
    store = Store(engine, desk.store.meta, clock=clock, registry=REGISTRY)
    return store, desk.store.get("project", desk.wf.instance(inst.id).record_id), desk


def test_the_guarantee_contract_is_filled_from_the_project(project):
    store, rec, desk = project
    out = render(store, "guarantee_contract", rec.id, desk.actor("pm_a"))
    values = rec.values
    company = store.get("enterprise_customer", values["enterprise"])
    assert out.file_name == f"委托保证合同-{values['contract_no']}.docx" and values["contract_no"].startswith("DBHT2026")
    text = text_of(out.content)
    for expected in (f"合同编号：{values['contract_no']}",                    # body and header
                     f"甲方（委托人）：{company['name']}", company["uscc"], f"法定代表人：{company['legal_rep']}",
                     "债权人：中国工商银行杭州西湖支行", "借款金额人民币（大写）叁佰万元整（小写：¥3,000,000.00元）",
                     "借款期限12个月", "借款用途：流动资金周转", "主合同编号：JK-001",
                     "担保费人民币肆万伍仟元整（¥45,000.00元）", "签订日期：2026年3月15日",
                     "抵押", "杭州示例实业有限公司", "工业厂房，西湖区文三路厂房（浙(2024)杭州市不动产权第0012345号）",
                     "4,200,000.00", "FDB202600001", "保证", "张伟", "自然人连带责任保证", "3,000,000.00", "FDB202600002"):
        assert expected in text, expected
    assert "{{" not in text and "{%" not in text and "None" not in text
    assert "本项目无反担保措施" not in text
    table = docx.Document(io.BytesIO(out.content)).tables[0]
    assert [[c.text for c in row.cells][:3] for row in table.rows] == [
        ["序号", "反担保方式", "反担保人"], ["1", "抵押", "杭州示例实业有限公司"], ["2", "保证", "张伟"]]
    assert rmb_upper(Decimal("3000000")) == "叁佰万元整"


@pytest.mark.parametrize("name", ["approval_form", "review_report"])
def test_the_approval_form_and_review_report_fill_every_placeholder(project, name):
    store, rec, desk = project
    out = render(store, name, rec.id, desk.actor("risk"))
    text = text_of(out.content)
    assert out.file_name.endswith(f"-{rec['number']}.docx")
    assert "{{" not in text and "{%" not in text and "None" not in text
    for expected in (rec["number"], "叁佰万元整", "3,000,000.00", "贷款担保", "PM_A", "PM_B",
                     "风险可控，同意上会", "经营稳定，现金流充足", "抵押", "张伟", "FDB202600001",
                     # 4,200,000 × 50% (an industrial building's cap) + a surety counted at 0
                     "反担保认定价值合计人民币7,200,000.00元，按抵质押率折算人民币2,100,000.00元，反担保覆盖率70.00%。"):
        assert expected in text, (name, expected)


def test_an_individual_applicant_without_counter_guarantees(engine, clock, standard):
    desk = make_desk(engine, clock, [standard])
    person = desk.store.create("individual_customer", sampledata.person(random.Random(7), clock.today()))
    inst = desk.start(customer_type="individual", enterprise=None, individual=person.id)
    store = Store(engine, desk.store.meta, clock=clock, registry=REGISTRY)
    rec = desk.record(inst)
    assert rec["cg_count"] == 0
    for name in ("approval_form", "review_report"):    # the enterprise's fields are blank, not errors
        text = text_of(render(store, name, desk.wf.instance(inst.id).record_id, desk.actor("pm_a")).content)
        assert person["name"] in text and person["id_number"] in text and "None" not in text
        assert ("本项目无反担保措施。" if name == "review_report" else "无。") in text
        assert "反担保覆盖率0.00%" in text


def test_related_lists_the_live_records_that_link_here_and_only_for_who_may_read_them(engine, clock):
    """`related.<entity>` is generic: here a customer card lists the customer's projects."""
    store = card_store(engine, clock, docx_bytes("{{ name }}", "{%p for p in related.project %}",
                                                 "{{ loop.index }} {{ p.number }} {{ p.amount }} {{ p.customer }}",
                                                 "{%p endfor %}", "共{{ related.project|length }}项"))
    customer = store.create("customer", {"name": "王五"})
    other = store.create("customer", {"name": "赵六"})
    first = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "100"})
    store.create("project", {"customer": other.id, "kind": "loan", "amount": "300"})
    gone = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "400"})
    store.create("project", {"customer": customer.id, "kind": "loan", "amount": "200"})
    store.delete("project", gone.id, version=gone.version)
    out = text_of(render(store, "card", customer.id, Actor("li", ["pm"])).content)
    assert re.findall(r"^\d .*$", out, re.M) == [f"1 {first['number']} 100.00 王五", "2 DB202603-0004 200.00 王五"]
    assert "共2项" in out
    # who may read customers but not projects may not print a document listing them
    limited = PackSource("limits", {
        "pack.yaml": "name: limits\nversion: 1.0.0\nextends: [{name: mini}]\n",
        "entities/project.yaml": "overlay: project\npermissions: {read: [risk]}\n"})
    inst = metastore.install(engine, [mini_with(binaries={"documents/card.docx": docx_bytes(
        "{%p for p in related.project %}", "{{ p.number }}", "{%p endfor %}")}), limited], clock=clock)
    store = Store(engine, inst.meta, clock=clock, registry=REGISTRY)
    with pytest.raises(PermissionDenied) as e:
        render(store, "card", customer.id, Actor("li", ["pm"]))
    assert e.value.message["zh"] == "没有查看「担保项目」的权限，不能生成「客户卡片」"


# -- who may generate what, and when ------------------------------------------------------------

def test_roles_steps_and_read_permission(project):
    store, rec, desk = project
    names = lambda actor: [d.name for d in available(store, "project", rec, actor)]   # noqa: E731
    assert names(desk.actor("pm_a")) == ["approval_form", "guarantee_contract", "review_report"]
    assert names(desk.actor("risk")) == ["approval_form", "review_report"]
    assert names(desk.actor("finance")) == []                       # reads projects, generates none
    assert names(Actor("guest", ["guest"])) == []                   # may not read projects at all
    with pytest.raises(PermissionDenied) as e:
        render(store, "guarantee_contract", rec.id, desk.actor("risk"))
    assert e.value.message["zh"] == "没有生成「委托保证合同」的权限"
    with pytest.raises(PermissionDenied):
        render(store, "approval_form", rec.id, Actor("guest", ["guest"]))


def test_the_contract_is_offered_from_the_signing_step_on(engine, clock, standard):
    desk = make_desk(engine, clock, [standard])
    inst = desk.start()
    store = Store(engine, desk.store.meta, clock=clock, registry=REGISTRY)
    rec = desk.store.get("project", desk.wf.instance(inst.id).record_id)
    assert [d.name for d in available(store, "project", rec, desk.actor("pm_a"))] == ["approval_form", "review_report"]
    with pytest.raises(PermissionDenied) as e:
        render(store, "guarantee_contract", rec.id, desk.actor("pm_a"))
    assert "signing, release, in_force" in e.value.message["en"]


# -- errors for people, never a stack trace ----------------------------------------------------

def card_store(engine, clock, body: bytes, doc_yaml: str = MINI_DOC, registry=REGISTRY) -> Store:
    inst = metastore.install(engine, [mini_with(doc_yaml, {"documents/card.docx": body})], clock=clock)
    return Store(engine, inst.meta, clock=clock, registry=registry)


def card_error(store: Store, record_id: int) -> dict:
    with pytest.raises(DocumentError) as e:
        render(store, "card", record_id, Actor("li", ["pm"]))
    return e.value.message


def test_an_unknown_field_of_a_linked_record_is_a_clear_error(engine, clock):
    slip = MINI_DOC.replace("entity: customer", "entity: project").replace("{name}", "{number}") \
        .replace('  shout: CONCAT(name, "！")', '  shout: CONCAT(number, "！")')
    store = card_store(engine, clock, docx_bytes("{{ number }} {{ customer }} {{ customer.nosuch }}"), slip)
    customer = store.create("customer", {"name": "王五"})
    project = store.create("project", {"customer": customer.id, "kind": "loan", "amount": "100"})
    message = card_error(store, project.id)
    assert message["zh"] == "文档「客户卡片」的模板 mini/documents/card.docx使用了记录中没有的名称：「customer」没有「nosuch」"
    assert message["en"] == "the template mini/documents/card.docx uses a name the record does not have: " \
        "「customer」没有「nosuch」"


def test_a_template_that_breaks_while_filling_is_a_clear_error(engine, clock):
    store = card_store(engine, clock, docx_bytes("{{ name / 2 }}"))
    message = card_error(store, store.create("customer", {"name": "王五"}).id)
    assert message["en"].startswith("the template mini/documents/card.docx could not be filled (TypeError")


def test_rmb_upper_needs_the_builtin_plugin(engine, clock):
    store = card_store(engine, clock, docx_bytes("{{ name|rmb_upper }}"), registry=EMPTY)
    rid = store.create("customer", {"name": "王五"}).id
    assert "RMB_UPPER" in card_error(store, rid)["en"]
    with_plugin = Store(engine, store.meta, clock=clock, registry=REGISTRY)
    assert card_error(with_plugin, rid)["zh"] == "rmb_upper：「王五」不是金额"


# -- overlays ----------------------------------------------------------------------------------

def test_a_company_pack_replaces_the_contract_template_label_roles_and_values(engine, clock, standard):
    own = docx_bytes("本公司自有合同 {{ contract_no }} {{ guarantor }} {{ amount|rmb_upper }}")
    company = PackSource("acme_docs", {
        "pack.yaml": "name: acme_docs\nversion: 1.0.0\nextends: [{name: standard}]\n",
        "documents/guarantee_contract.yaml": "overlay: guarantee_contract\nlabel: {zh: 保证合同}\n"
                                            "template: our_contract.docx\nroles: [pm, risk]\n"
                                            "values: {guarantor: '\"杭州安盛融资担保有限公司\"'}\n"},
        {"documents/our_contract.docx": own})
    meta = load_packs([standard, company])
    doc = meta.kinds["documents"]["guarantee_contract"]
    assert doc.template == "acme_docs/documents/our_contract.docx" and doc.content == own
    assert dict(doc.label) == {"zh": "保证合同", "en": "Guarantee contract"} and doc.roles == ("pm", "risk")
    assert doc.values["guarantor"] == '"杭州安盛融资担保有限公司"' and "applicant_code" in doc.values
    missing = PackSource("acme_docs", company.files, {})
    assert any("no file 'acme_docs/documents/our_contract.docx'" in p for p in problems(standard, missing))


# -- the shipped templates and the docs ----------------------------------------------------------

def test_the_shipped_templates_are_what_the_script_makes(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_templates", SEED / "tools" / "make_templates.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path)
    script.main()
    for made in tmp_path.glob("*.docx"):
        shipped = SEED / "standard" / "documents" / made.name
        with zipfile.ZipFile(made) as a, zipfile.ZipFile(shipped) as b:
            assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}, made.name


@pytest.mark.parametrize("schema_file", ["document.json", "document_overlay.json"])
def test_every_document_schema_property_is_documented(schema_file):
    doc = (ROOT / "docs" / "documents.md").read_text(encoding="utf-8")
    assert not undocumented(doc, ROOT / "metadata" / "schemas" / "document" / schema_file)


def test_the_docs_example_is_the_standard_contract():
    doc = (ROOT / "docs" / "documents.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n# documents/guarantee_contract.yaml\n(.*?)```", doc, re.S).group(1)
    shipped = (SEED / "standard" / "documents" / "guarantee_contract.yaml").read_text(encoding="utf-8")
    assert example == shipped
