"""Related records on a record's view (form sections with `related:`, ui/related.py): the load checks
with file:line:path, the section drawn from the real store over HTTP (columns formatted as lists do,
a count, links, 新建 with the link filled in), permissions (section hidden, 403, no 新建), a link in a
child table (fee schedule → receipts), and the new-record form pre-filled from its URL, checked like
any input."""
from __future__ import annotations

import re
import textwrap
from datetime import date
from decimal import Decimal

import pytest

from metadata.loader import check_packs, load_packs
from metadata.source import PackSource

from .test_workflow_screens_fixtures import text
from .test_workflow_screens_standard import Office

MANIFEST = "name: t\nversion: 1.0.0\n"
ENTITIES = {
    "entities/client.yaml": """\
        name: client
        title_field: name
        fields:
          - {name: name, type: text}
        """,
    "entities/loan.yaml": """\
        name: loan
        title_field: code
        fields:
          - {name: code, type: text}
          - {name: client, type: link, entity: client}
          - {name: other, type: link, entity: loan}
          - {name: amount, type: money}
          - {name: parties, type: table, fields: [{name: who, type: link, entity: client}]}
        """,
}


def src(form: str, **extra) -> PackSource:
    files = {k: textwrap.dedent(v) for k, v in {**ENTITIES, **extra, "forms/client.yaml": form}.items()}
    files["pack.yaml"] = MANIFEST
    return PackSource("t", files)


def problems(form: str) -> list[str]:
    return [str(p) for p in check_packs([src(form)])]


def test_a_related_section_compiles():
    meta = load_packs([src("""\
        name: client
        entity: client
        tabs:
          - name: main
            sections:
              - {name: basic, fields: [name]}
              - name: loans
                label: {zh: 借款, en: Loans}
                related: {entity: loan, link: client, columns: [code, amount], order_by: -amount, limit: 5}
              - name: as_party
                related: {entity: loan, link: parties.who, new: false}
        """)])
    loans, party = meta.forms["client"].tabs[0].sections[1:]
    assert loans.fields == () and loans.related.entity == "loan" and loans.related.columns == ("code", "amount")
    assert loans.related.order_by == "-amount" and loans.related.limit == 5 and loans.related.new is True
    assert party.related.link == "parties.who" and party.related.new is False and party.related.columns == ()
    assert party.related.order_by == "-id" and party.related.limit == 10


def test_load_checks_name_file_line_and_key_path():
    out = problems("""\
        name: client
        entity: client
        sections:
          - {name: basic, fields: [name]}
          - name: a
            related: {entity: nosuch, link: client}
          - name: b
            related: {entity: loan, link: amount}
          - name: c
            related: {entity: loan, link: other}
          - name: d
            related:
              entity: loan
              link: client
              columns: [code, nosuch, parties]
              order_by: -client
        """)
    assert out == [
        "t/forms/client.yaml:6 sections.a.related.entity: no entity 'nosuch'",
        "t/forms/client.yaml:8 sections.b.related.link: entity 'loan' has no link field 'amount'",
        "t/forms/client.yaml:10 sections.c.related.link: 'loan.other' links to 'loan', not to 'client'",
        "t/forms/client.yaml:15 sections.d.related.columns.1: entity 'loan' has no field 'nosuch'",
        "t/forms/client.yaml:15 sections.d.related.columns.2: 'parties' is a child table: it cannot be a column",
        "t/forms/client.yaml:16 sections.d.related.order_by: cannot sort by 'client' (link)",
    ]


def test_schema_refuses_a_section_with_both_or_neither_and_unknown_keys():
    out = problems("""\
        name: client
        entity: client
        tabs:
          - name: main
            sections:
              - {name: basic, fields: [name], related: {entity: loan, link: client}}
              - {name: empty}
              - {name: odd, related: {entity: loan, link: client, colour: red}}
        """)
    assert len(out) == 3 and all(p.startswith("t/forms/client.yaml:") for p in out)
    assert any("colour" in p for p in out)


def test_overlay_adds_a_related_section_and_cannot_add_fields_to_it():
    base = src("""\
        name: client
        entity: client
        sections:
          - {name: basic, fields: [name]}
        """)
    overlay = PackSource("o", {"pack.yaml": "name: o\nversion: 1.0.0\nextends: [{name: t}]\n",
                               "forms/client.yaml": textwrap.dedent("""\
        overlay: client
        add_sections:
          - section: {name: loans, related: {entity: loan, link: client}}
        add_fields:
          - {section: loans, fields: [name]}
        """)})
    out = [str(p) for p in check_packs([base, overlay])]
    assert out == ["o/forms/client.yaml:5 add_fields.0.section: section 'loans' lists related records, not fields"]


# -- screens --------------------------------------------------------------------------------------
@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Office(engine, clock, tmp_path, standard)


def _project(office, **values) -> int:
    data = {"customer_type": "enterprise", "enterprise": office.company, "business_type": "loan", "bank": office.bank,
            "amount": "3000000", "term_months": 12, "purpose": "流动资金周转", "repayment_method": "monthly_interest",
            "pm_a": int(office.uid("pm_a")), "pm_b": int(office.uid("pm_b")), **values}
    return office.store.create("project", data).id


def test_customer_view_lists_its_projects_lazily_with_count_links_and_new(office):
    first = _project(office, amount="3000000")
    second = _project(office, amount="1250000.5", product="sme_loan", term_months=6)
    pm = office.site.as_("pm_a")
    page = text(pm.get(f"/e/enterprise_customer/{office.company}"))
    # the record shows at once: the section is a placeholder that loads itself
    assert f'hx-get="/e/enterprise_customer/{office.company}/related/projects"' in page
    assert 'id="sec-score_runs"' in page                         # pm may read score runs
    resp = pm.get(f"/e/enterprise_customer/{office.company}/related/projects", htmx=True)
    assert resp.status_code == 200
    html = text(resp)
    assert re.search(r'id="rel-count-projects"[^>]*>2<', html)
    rows = re.findall(r'<tr id="rel-projects-(\d+)"', html)
    assert rows == [str(second), str(first)]                     # order_by: -id
    assert f'href="/e/project/{second}"' in html
    assert "1,250,000.50" in html and "3,000,000.00" in html     # money as the lists show it
    assert "小微企业及个体工商户贷款担保" in html and "sme_loan" not in html   # the product's label, not its code
    new = re.search(r'id="rel-new-projects" href="([^"]+)"', html).group(1)
    assert new == f"/e/project/new?enterprise={office.company}"
    # the new form opens with the link filled in
    form = text(pm.get(new.replace("&amp;", "&")))
    assert re.search(rf'name="enterprise"[^>]*value="{office.company}"|value="{office.company}"[^>]*name="enterprise"',
                     form)


def test_empty_list_and_no_new_button_for_score_runs(office):
    pm = office.site.as_("pm_a")
    html = text(pm.get(f"/e/enterprise_customer/{office.company}/related/score_runs", htmx=True))
    assert re.search(r'id="rel-count-score_runs"[^>]*>0<', html) and 'class="empty"' in html
    assert "rel-new-score_runs" not in html                      # new: false


def test_permissions_hide_the_section_refuse_the_fragment_and_the_new_button(office):
    _project(office)
    # finance may read customers but not score runs: that section is not drawn, its fragment is 403
    finance = office.site.as_("finance")
    page = finance.get(f"/e/enterprise_customer/{office.company}")
    assert page.status_code == 200
    body = text(page)
    assert 'id="sec-score_runs"' not in body and 'id="sec-projects"' in body
    assert finance.get(f"/e/enterprise_customer/{office.company}/related/score_runs").status_code == 403
    # finance reads projects but may not create one: no 新建
    html = text(finance.get(f"/e/enterprise_customer/{office.company}/related/projects", htmx=True))
    assert 'id="rel-table-projects"' in html and "rel-new-projects" not in html
    # an unknown section, an unknown record
    assert finance.get(f"/e/enterprise_customer/{office.company}/related/nosuch").status_code == 404
    assert finance.get("/e/enterprise_customer/999999/related/projects").status_code == 404


def test_a_link_in_a_child_table_lists_the_receipts_of_a_fee_item(office, clock):
    rid = _project(office)
    item = office.store.create("fee_schedule", {"project": rid, "fee_kind": "guarantee_fee", "seq": 1,
                                                "due_date": date(2026, 4, 1), "amount": Decimal("45000")}).id
    other = office.store.create("fee_schedule", {"project": rid, "fee_kind": "review_fee", "seq": 1,
                                                 "due_date": date(2026, 4, 1), "amount": Decimal("6000")}).id
    receipt = office.store.create("receipt", {"project": rid, "received_on": date(2026, 3, 15),
                                              "lines": [{"item": item, "amount": Decimal("45000")}]}).id
    office.store.create("receipt", {"project": rid, "received_on": date(2026, 3, 16),
                                    "lines": [{"item": other, "amount": Decimal("6000")}]})
    finance = office.site.as_("finance")
    html = text(finance.get(f"/e/fee_schedule/{item}/related/receipts", htmx=True))
    assert re.findall(r'<tr id="rel-receipts-(\d+)"', html) == [str(receipt)]
    assert "45,000.00" in html
    new = re.search(r'id="rel-new-receipts" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert new == f"/e/receipt/new?lines.0.item={item}"
    form = text(finance.get(new))
    assert re.search(rf'name="lines\.0\.item"[^>]*value="{item}"|value="{item}"[^>]*name="lines\.0\.item"', form)


def test_prefill_takes_only_links_and_checks_them_like_any_input(office):
    pm = office.site.as_("pm_a")
    resp = pm.get("/e/project/new?enterprise=999999&amount=1&purpose=x")
    assert resp.status_code == 200
    html = text(resp)
    assert "关联记录 999999 不存在" in html                          # checked by the store, shown at the field
    assert not re.search(r'name="purpose"[^>]*>x<', html)        # not a link: ignored
    assert pm.get("/e/project/new?enterprise=abc").status_code == 200


def test_a_project_lists_its_counter_guarantees_and_ledger(office):
    """The standard project form's related sections (seed/standard/forms/project.yaml)."""
    rid = _project(office)
    office.store.create("counter_guarantee", {"project": rid, "kind": "mortgage", "status": "proposed",
                                              "provider": "杭州恒信机械制造有限公司", "collateral_type": "industrial",
                                              "property_cert_no": "浙(2025)杭州市不动产权第0012345号",
                                              "appraised_value": "2000000"})
    pm = office.site.as_("pm_a")
    page = text(pm.get(f"/e/project/{rid}"))
    for section in ("counter_guarantee_items", "fee_schedule", "receipts", "customer_deposits", "ledger", "repayments"):
        assert f'hx-get="/e/project/{rid}/related/{section}"' in page, section
    html = text(pm.get(f"/e/project/{rid}/related/counter_guarantee_items", htmx=True))
    assert re.search(r'id="rel-count-counter_guarantee_items"[^>]*>1<', html)
    assert "抵押" in html and "杭州恒信机械制造有限公司" in html
    assert f'/e/counter_guarantee/new?project={rid}' in html
    html = text(pm.get(f"/e/project/{rid}/related/fee_schedule", htmx=True))
    assert 'id="rel-new-fee_schedule"' not in html                     # generated, never typed in
    assert pm.get(f"/e/project/{rid}/related/ledger", htmx=True).status_code == 200
