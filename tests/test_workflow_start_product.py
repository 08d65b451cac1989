"""提交审批 on a record with a product (ui/flow_start.py): the panel offers the product's workflow only
(core/products.py `workflow_for`) and the server refuses any other, a forged POST included; a project
without a product keeps the free choice and runs through the standard flow to 在保; the business
type is not bound to a product on the form."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from .test_workflow_screens_fixtures import text
from .test_workflow_screens_standard import Office, fee_sign_release
from .test_workflow_screens_votes import vote


@pytest.fixture
def office(engine, clock, tmp_path, standard):
    return Office(engine, clock, tmp_path, standard)


def _offered(html: str) -> list[str]:
    select = re.search(r'<select name="_wf_workflow" id="flow-workflow">(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([a-z_]+)"', select)


@pytest.mark.parametrize("product, workflow, other", [("working_capital_loan", "guarantee", "guarantee_sequential"),
                                                      ("sme_loan", "guarantee_sequential", "guarantee")])
def test_a_product_runs_its_own_workflow_and_a_forged_post_is_refused(office, product, workflow, other):
    rid = office.create(product=product, amount="1,000,000")
    pm = office.site.as_("pm_a")
    assert _offered(pm.panel(rid)) == [workflow]
    resp = pm.post(f"/flow/start/project/{rid}", {"_wf_workflow": other})          # forged
    assert resp.status_code == 422
    assert 'id="flow-message"' in text(resp) and "担保产品规定使用流程" in text(resp)
    assert office.instance(rid) is None                                         # nothing started
    resp = pm.post(f"/flow/start/project/{rid}", {"_wf_workflow": other}, htmx=False)   # a plain post too
    assert resp.status_code == 302 and office.instance(rid) is None
    resp = pm.post(f"/flow/start/project/{rid}", {"_wf_workflow": workflow})
    assert resp.status_code == 200 and office.instance(rid).workflow == workflow


def test_without_a_product_every_workflow_is_offered(office):
    rid = office.create()
    assert office.record(rid)["product"] is None
    assert sorted(_offered(office.site.as_("pm_a").panel(rid))) == ["guarantee", "guarantee_sequential"]
    resp = office.site.as_("pm_a").post(f"/flow/start/project/{rid}", {"_wf_workflow": "guarantee_sequential"})
    assert resp.status_code == 200 and office.instance(rid).workflow == "guarantee_sequential"


def test_a_project_without_a_product_runs_the_standard_flow_to_in_force(office):
    rid = office.apply()                                     # the form without a product, submitted to `guarantee`
    assert office.record(rid)["product"] is None
    office.act("pm_a", rid, "submit", _wf_opinion="资料齐全，请审批")
    office.act("pm_b", rid, "approve", _wf_opinion="同意", due_diligence="经营稳定，现金流充足")
    office.act("risk", rid, "approve", risk_opinion="风险可控，同意上会")
    inst = office.instance(rid)
    for member in ("committee1", "committee2", "committee3", "gm"):
        vote(office.site, inst, member, "approve", f"{member} 同意")
    html = fee_sign_release(office, rid)
    assert 'id="flow-state">已通过' in html
    values = office.record(rid)
    assert values["status"] == "in_force" and values["balance"] == Decimal("2800000.00")


def test_the_business_type_is_free_without_a_product(office):
    """A non-financing guarantee (no bank needed) without a product is saved as entered."""
    rid = office.create(business_type="performance", bank="")
    values = office.record(rid)
    assert values["business_type"] == "performance" and values["product"] is None and values["bank"] is None


def test_the_engine_refuses_another_workflow_for_a_records_product(office):
    """Not only the screen: a script or the CLI starting the wrong flow is refused by the engine."""
    from core.store import Actor
    from core.workflow import WorkflowError
    rid = office.create(product="sme_loan", amount="1,000,000")
    with pytest.raises(WorkflowError) as e:
        office.wf.start("project", rid, "guarantee", Actor("pm_a", ("pm",)))
    assert "guarantee_sequential" in e.value.message["en"]
    assert office.instance(rid) is None
    assert office.wf.start("project", rid, "guarantee_sequential", Actor("pm_a", ("pm",))).workflow == "guarantee_sequential"
