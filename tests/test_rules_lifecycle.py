"""The standard pack's lifecycle warning rules (seed/standard/rules): repayment due within 30 and 7
days, overdue, follow-up survey overdue, counter-guarantee coverage below 1, a lawsuit or a change
of key person at the applicant company. Each fires on data built to trigger it (through the store,
so the rollups they read are the real ones) and stays silent otherwise. Today is 2026-03-15."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.db import warning_recipients as wr, warnings
from core.users import create_user, get_user

from .test_rules_standard import Std


@pytest.fixture
def std(engine, clock, standard):
    s = Std(engine, clock, [standard])
    for name, roles in (("wang", ("gm",)), ("legal", ("legal",))):
        create_user(engine, name, name=name, roles=roles)
        s.uid[name] = get_user(engine, username=name).id
    return s


def recipients(std, rule, record_id):
    with std.engine.connect() as c:
        wid = c.execute(select(warnings.c.id).where(warnings.c.rule == rule, warnings.c.record_id == record_id,
                                                    warnings.c.state == "open")).scalar_one()
        return sorted(c.execute(select(wr.c.username).where(wr.c.warning_id == wid)).scalars())


def repay(std, project, principal, on=date(2026, 3, 1)):
    return std.store.create("repayment", {"project": project, "repaid_on": on, "principal": D(principal),
                                          "status": "confirmed", "source": "bank_notice"}).id


def test_repayment_due_within_30_days_then_within_7(std, clock):
    in30, in8 = std.project(maturity=date(2026, 4, 14)), std.project(maturity=date(2026, 3, 23))
    in7, today = std.project(maturity=date(2026, 3, 22)), std.project(maturity=date(2026, 3, 15))
    in31 = std.project(maturity=date(2026, 4, 15))                   # 31 days: not yet
    std.project(maturity=date(2026, 3, 14))                          # past: the overdue rule's
    std.project(status="released", maturity=date(2026, 3, 20))
    repay(std, std.project(maturity=date(2026, 3, 20)), "2500000")   # repaid in full: nothing due
    std.scan()
    due = dict(std.fired("repayment_due"))
    assert set(due) == {in30, in8}
    assert "还款到期日 2026-04-14，还有 30 天，未还本金 2,500,000.00 元" in due[in30]
    soon = dict(std.fired("repayment_due_soon"))
    assert set(soon) == {in7, today}
    assert "还款到期日 2026-03-22，仅剩 7 天" in soon[in7]
    assert recipients(std, "repayment_due", in30) == ["li"]
    assert recipients(std, "repayment_due_soon", in7) == ["li", "risk", "zhao"]
    clock.advance(days=1)                                            # in8 now within 7 days: handed over
    std.scan()
    assert set(dict(std.fired("repayment_due"))) == {in30, in31}
    assert set(dict(std.fired("repayment_due_soon"))) == {in7, in8}


def test_a_partial_repayment_shows_in_the_principal_outstanding(std):
    rid = std.project(maturity=date(2026, 4, 1))
    repay(std, rid, "1000000")
    std.scan()
    [(fired, text)] = std.fired("repayment_due")
    assert fired == rid and "未还本金 1,500,000.00 元" in text


def test_overdue_by_maturity_passed_or_by_the_latest_classification(std, clock):
    matured = std.project(maturity=date(2026, 3, 5))                 # 10 days past, principal outstanding
    repaid = std.project(maturity=date(2026, 3, 5))
    repay(std, repaid, "2500000")
    std.project(status="released", maturity=date(2026, 2, 1))
    std.project(maturity=date(2026, 3, 15))                          # due today: not overdue yet
    classified = std.project(maturity=date(2026, 9, 30))
    fine = std.project(maturity=date(2026, 9, 30))
    classify = lambda project, days, on: std.store.create("classification", {  # noqa: E731
        "project": project, "classified_on": on, "days_overdue": days, "chosen_class": "special_mention" if days
        else "normal", "reviewer": std.uid["risk"]})
    classify(classified, 0, date(2026, 1, 31))
    classify(classified, 45, date(2026, 2, 28))                      # the latest counts
    classify(fine, 30, date(2026, 1, 31))
    classify(fine, 0, date(2026, 2, 28))
    std.scan()
    fired = dict(std.fired("overdue"))
    assert set(fired) == {matured, classified}
    assert "已逾期 10 天（到期日 2026-03-05），未还本金 2,500,000.00 元" in fired[matured]
    assert "已逾期 45 天" in fired[classified]
    assert recipients(std, "overdue", matured) == ["li", "risk"]
    clock.advance(days=7)                                            # nobody handled it: the general manager
    result = std.scan()
    assert result.escalated == 2
    assert "wang" in recipients(std, "overdue", matured)
    assert "已逾期 17 天" in dict(std.fired("overdue"))[matured]


def test_follow_up_survey_overdue(std):
    late_first = std.project(release_date=date(2026, 1, 1))          # first survey due 2026-01-31
    std.project(release_date=date(2026, 3, 1), maturity=date(2027, 3, 1))   # due 2026-03-31
    visited = std.project(release_date=date(2025, 10, 1), maturity=date(2026, 10, 1))
    late_periodic = std.project(release_date=date(2025, 9, 1), maturity=date(2026, 9, 1))
    std.project(status="released", release_date=date(2025, 1, 1), maturity=date(2026, 1, 1))
    visit = lambda project, on: std.store.create("followup", {  # noqa: E731
        "project": project, "kind": "periodic", "visited_on": on, "surveyor": std.uid["li"],
        "operating": "normal", "findings": "经营正常"})
    visit(visited, date(2026, 1, 10))                                # next due 2026-04-10
    visit(late_periodic, date(2025, 11, 1))                          # next due 2026-02-01
    std.scan()
    fired = dict(std.fired("followup_overdue"))
    assert set(fired) == {late_first, late_periodic}
    assert "应于 2026-01-31 前完成保后检查，已逾期 43 天（最近检查 无）" in fired[late_first]
    assert "应于 2026-02-01 前完成保后检查，已逾期 42 天（最近检查 2025-11-01）" in fired[late_periodic]
    assert recipients(std, "followup_overdue", late_first) == ["li", "zhao"]
    visit(late_first, date(2026, 3, 14))                             # the survey done: resolved
    std.scan()
    assert set(dict(std.fired("followup_overdue"))) == {late_periodic}


def counter_guarantee(std, project, appraised, status="effective"):
    return std.store.create("counter_guarantee", {
        "project": project, "kind": "mortgage", "status": status, "provider": "陈志远", "collateral_type": "residential",
        "property_cert_no": "浙(2024)杭州市不动产权第0012345号", "appraised_value": D(appraised), "ltv_rate": D("70"),
        "appraisal_date": date(2025, 3, 1)}).id


def test_counter_guarantee_coverage_below_1(std):
    bare = std.project()                                             # no counter-guarantee: coverage 0
    short = std.project()
    counter_guarantee(std, short, "2000000")                         # 1,400,000 / 3,000,000 = 46.67%
    covered = std.project()
    counter_guarantee(std, covered, "5000000")                       # 3,500,000: 116.67%
    released_cg = std.project()
    counter_guarantee(std, released_cg, "5000000", status="released")
    closed = std.project(status="released")
    counter_guarantee(std, closed, "1000000")
    std.scan()
    fired = dict(std.fired("cg_coverage"))
    assert set(fired) == {bare, short, released_cg}
    assert "反担保覆盖率 46.67%（折算价值 1,400,000.00 元，担保金额 3,000,000.00 元）" in fired[short]
    assert "反担保覆盖率 0.00%（折算价值 0.00 元" in fired[bare]
    assert recipients(std, "cg_coverage", short) == ["li", "risk"]
    assert covered not in fired and closed not in fired


def change(std, enterprise, kind, on, before="", after="", description=""):
    return std.store.create("enterprise_change", {
        "enterprise": enterprise, "kind": kind, "changed_on": on, "before": before, "after": after,
        "description": description, "source": "court" if kind == "lawsuit" else "registry"}).id


def test_a_lawsuit_recorded_at_the_applicant_company(std, clock):
    sued, old, moved = std.enterprise(11), std.enterprise(12), std.enterprise(13)
    change(std, sued, "lawsuit", date(2026, 3, 1), description="借款合同纠纷，标的 800 万元")
    change(std, old, "lawsuit", date(2025, 12, 1), description="买卖合同纠纷")      # 104 days ago
    change(std, moved, "address", date(2026, 3, 1), before="杭州市西湖区", after="杭州市滨江区")
    in_force = std.project(enterprise=sued)
    std.project(enterprise=sued, status="released")
    std.project(enterprise=old)
    std.project(enterprise=moved)
    std.scan()
    [(rid, text)] = std.fired("lawsuit_recorded")
    assert rid == in_force
    assert "华星11号公司 于 2026-03-01 登记涉诉：借款合同纠纷，标的 800 万元" in text
    assert recipients(std, "lawsuit_recorded", in_force) == ["legal", "li", "risk"]
    clock.advance(days=90)                                           # 104 days after: no longer recent
    std.scan()
    assert std.fired("lawsuit_recorded") == []


def test_a_change_of_legal_representative_or_key_person(std):
    rep, person, holders = std.enterprise(21), std.enterprise(22), std.enterprise(23)
    change(std, rep, "legal_rep", date(2026, 2, 1), before="陈志远", after="林海")
    change(std, person, "key_person", date(2026, 1, 10), before="财务总监 王敏", after="财务总监 周洁")
    change(std, holders, "shareholder", date(2026, 3, 1), before="陈志远 100%", after="陈志远 60%")
    a, b = std.project(enterprise=rep), std.project(enterprise=person)
    std.project(enterprise=holders)
    std.scan()
    fired = dict(std.fired("key_person_changed"))
    assert set(fired) == {a, b}
    assert "华星21号公司 于 2026-02-01 变更了法定代表人或主要人员" in fired[a]
    assert std.fired("lawsuit_recorded") == []


def test_the_scan_reads_only_the_projects_in_force_and_resolves_the_others(std):
    """Every project rule starts with `status == "in_force"`: the scan reads only those projects
    (core/warnings/prefilter.py); a project released since the last scan has its warnings resolved."""
    from core.warnings import prefilter
    from core.warnings.scan import active_rules, stream
    rules = active_rules(std.meta)
    f, value = prefilter.guard(std.meta, "project", [r for r in rules if r.entity == "project"])
    assert (f.name, value) == ("status", "in_force")
    assert prefilter.guard(std.meta, "fee_schedule", [r for r in rules if r.entity == "fee_schedule"]) is None
    late, other = std.project(maturity=date(2026, 3, 5)), std.project(maturity=date(2026, 3, 5))
    std.project(status="released", maturity=date(2026, 3, 5))
    std.scan()
    assert set(dict(std.fired("overdue"))) == {late, other}
    where = prefilter.clause(std.engine.dialect.name, (f, value))
    assert [r.id for rows in stream(std.engine, "project", 500, where) for r in rows] == [late, other]
    version = std.store.get("project", late).version
    std.store.update("project", late, {"status": "released", "closed_on": date(2026, 3, 15)}, version=version)
    std.scan()
    assert set(dict(std.fired("overdue"))) == {other}
    with std.engine.connect() as c:
        states = dict(c.execute(select(warnings.c.rule, warnings.c.state).where(
            warnings.c.record_id == late, warnings.c.rule == "overdue")).all())
    assert states == {"overdue": "resolved"}
