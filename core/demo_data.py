"""Demo and benchmark data at any size: customers with financial statements, banks, and guarantee
projects in every stage of their life, with the post-loan records each stage implies.

    report = generate(store, projects=500, seed=1)              # through the one write path
    report = generate(store, projects=100_000, bulk=True)       # batches of encoded documents

What a project of each stage gets (:data:`SHARES` gives the distribution; entities that are not
installed are skipped and named in ``report.skipped``):

=================  ==========================================================================
stage              records
=================  ==========================================================================
approval stages    申请 … 放款确认 and 已否决: write mode drives 17 through the standard flows with the demo
                   users (``core.demo_flows``); bulk mode makes :data:`APPROVAL_SHARE` of the projects
                   plain records in those statuses (the fields the steps before filled in, proposed
                   counter-guarantees; no workflow instance or task)
in_force           released 1 … term-1 months ago; confirmed ``repayment`` records (instalments
                   or part prepayments), ``followup`` surveys (the first within 30 days, then
                   quarterly), a 正常 ``classification``
overdue            in force and past maturity: a ``classification`` whose days overdue give
                   关注 (≤ 90), 次级 (≤ 270), 可疑 (≤ 360) or 损失 by the code list's thresholds,
                   follow-ups with risk signals
released           repaid in full by confirmed repayments, ``guarantee_release`` released
compensated        ``compensation`` paid to the bank, a ``recovery`` in one of its stages
                   (诉前 … 结案) with costs and partial recoveries
written_off        compensated, recovery closed, ``write_off`` approved for what was not recovered
every stage        ``counter_guarantee``: 1-3 of the kinds the products allow (mortgages and pledges
                   appraised so the coverage is drawn around 1.2, about a quarter below 1; sureties;
                   released with the project); ``customer_deposit``: 5 or 10 % received at signing for
                   three projects in four, returned on release or offset against a compensation;
                   ``ledger_entry``: posted entries for the fee, the deposit in and out, the loan
                   release, the release, compensation, recovery and write-off, and for some projects
                   in force one entry still in draft, with risk control or with finance (plain
                   records, no workflow instance); ``enterprise_change`` (enterprise customers):
                   lawsuits for most troubled projects (overdue ones in the last 90 days), now and
                   then a key-person, legal-representative, shareholder or address change
=================  ==========================================================================

Customers scale with the size (0.35 enterprise and 0.15 individual customers a project, at least
8 and 4; an enterprise has three annual statements and the latest period from
``core.sampledata.financial_statements``, a share of them weak or distressed), banks 1 per 100
projects (4 … 60).

Two modes:

* **write** (default): every record through ``Store.create`` as the system actor (validation,
  computed fields, numbering, history, rollups), attachments stored as files. Post-loan records are
  written in their final state (a repayment ``confirmed``, a compensation ``paid``): their approval
  flows are not run, and post-loan projects have no workflow instance.
* **bulk** (``core.demo_bulk``): the same values, encoded exactly as the store encodes them and
  inserted in batches; no history entries, no workflow instances, one shared file per attachment
  field; numbering sequences are advanced so later saves continue the series.

The same seed, size and day always give the same data.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from . import demo, demo_flows, sampledata
from .formula.functions import EDATE
from .numbering import next_number
from .query import Query, find
from .errors import ValidationError
from .store import SYSTEM, Store
from .users import list_users

__all__ = ["SHARES", "Report", "Refs", "plan", "sizes", "generate", "add_projects", "project_bundle",
           "enterprise_values"]

# share of the projects in each post-loan stage (the approval stages come from core.demo_flows)
SHARES: dict[str, float] = {"in_force": 0.48, "overdue": 0.10, "released": 0.30, "compensated": 0.07,
                            "written_off": 0.05}
# the records each stage needs; a stage whose project status is not offered is skipped
# every project also gets counter_guarantee, customer_deposit and ledger_entry records, an enterprise
# customer sometimes enterprise_change records (EVERY_STAGE)
STAGE_ENTITIES: dict[str, tuple[str, ...]] = {
    "in_force": ("repayment", "followup", "classification"),
    "overdue": ("classification", "followup"),
    "released": ("repayment", "guarantee_release"),
    "compensated": ("compensation", "recovery"),
    "written_off": ("compensation", "recovery", "write_off"),
}
EVERY_STAGE = ("counter_guarantee", "customer_deposit", "ledger_entry", "enterprise_change")
# bulk mode: this share of the projects in the approval statuses (plain records, no workflow instance),
# spread as APPROVAL_WEIGHTS; the write mode drives the demo's 17 through the flows instead
APPROVAL_SHARE = 0.06
APPROVAL_WEIGHTS: dict[str, int] = {"application": 20, "first_review": 14, "risk_review": 14, "committee": 12,
                                    "gm_approval": 5, "fee": 10, "signing": 10, "release": 8, "rejected": 7}
# the project fields each approval step fills in (a project in a step has those of the steps before it)
APPROVAL_FIELDS: dict[str, tuple[str, ...]] = {
    "application": (), "first_review": (), "risk_review": ("due_diligence",), "committee": ("risk_opinion",),
    "gm_approval": ("committee_date", "committee_resolution"), "fee": ("approved_on",),
    "signing": ("fee_receipt", "fee_amount", "fee_paid", "fee_paid_on"), "release": ("contract_date",)}
STATUS = {"in_force": "in_force", "overdue": "in_force", "released": "released",
          "compensated": "compensated", "written_off": "written_off"}
# the order children are written in: later ones read rollups the earlier ones feed
# (a customer deposit by its direction: received before the release reads the balance, returned after)
CHILD_ORDER = ("counter_guarantee", "customer_deposit:received", "repayment", "followup", "classification",
               "compensation", "customer_deposit:offset", "guarantee_release", "customer_deposit:returned",
               "recovery", "write_off", "ledger_entry", "enterprise_change")
LEDGER_STATES = ("draft", "risk_review", "finance_review")
CONTRACT_PATTERN = "DBHT{YYYY}{SEQ:5}"   # the standard flow's contract number (workflows/guarantee.yaml)
ATTACHMENT = demo_flows.PDF


@dataclass
class Report:
    """What was generated: records by entity, projects by stage, and what was skipped and why."""
    records: Counter = field(default_factory=Counter)
    stages: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    def skip(self, text: str) -> None:
        if text not in self.skipped:
            self.skipped.append(text)


@dataclass
class Refs:
    """What projects link to: customers (id, name), bank ids and the demo users' ids."""
    enterprises: list[tuple[int, str]]
    individuals: list[tuple[int, str]]
    banks: list[int]
    users: dict[str, int]


def sizes(projects: int) -> dict[str, int]:
    """Customers and banks for a number of projects."""
    return {"enterprise_customer": max(8, round(projects * 0.35)),
            "individual_customer": max(4, round(projects * 0.15)),
            "bank": min(60, max(4, projects // 100))}


def plan(projects: int) -> dict[str, int]:
    """Projects of each post-loan stage, summing to `projects` (largest remainders)."""
    raw = {s: projects * share for s, share in SHARES.items()}
    out = {s: int(v) for s, v in raw.items()}
    for s in sorted(raw, key=lambda s: raw[s] - out[s], reverse=True)[:projects - sum(out.values())]:
        out[s] += 1
    return out


def bulk_plan(projects: int) -> dict[str, int]:
    """Bulk mode's projects by stage: APPROVAL_SHARE of them in the approval statuses (by
    APPROVAL_WEIGHTS, largest remainders), the others as :func:`plan`."""
    n = round(projects * APPROVAL_SHARE)
    total = sum(APPROVAL_WEIGHTS.values())
    raw = {s: n * w / total for s, w in APPROVAL_WEIGHTS.items()}
    out = {s: int(v) for s, v in raw.items()}
    for s in sorted(raw, key=lambda s: raw[s] - out[s], reverse=True)[:n - sum(out.values())]:
        out[s] += 1
    return {**out, **plan(projects - n)}


def available_stages(meta, report: Report, approval: bool = False) -> list[str]:
    """Post-loan stages the installed metadata can hold (the others are reported as skipped)."""
    if "project" not in meta.entities:
        report.skip("projects: entity 'project' is not installed")
        return []
    statuses = meta.codelists.get("project_status")
    out = []
    for stage in (*(APPROVAL_WEIGHTS if approval else ()), *SHARES):
        if statuses is None or statuses.get(STATUS.get(stage, stage)) is None:
            report.skip(f"{stage}: project status '{STATUS.get(stage, stage)}' is not in code list project_status")
            continue
        out.append(stage)
        for entity in STAGE_ENTITIES.get(stage, ()) + EVERY_STAGE:
            if entity not in meta.entities:
                report.skip(f"{stage}: no '{entity}' records (entity '{entity}' is not installed)")
    return out


# -- values ------------------------------------------------------------------------------------------

def enterprise_values(meta, rng: random.Random, today: date) -> dict:
    """An enterprise customer (core.demo's) with its financial statements."""
    d = demo.enterprise_values(meta, rng, today)
    d["financial_statements"] = sampledata.financial_statements(rng, today, revenue=d["annual_revenue"],
                                                                region=d["region"])
    return d


def _money(v) -> Decimal:
    return Decimal(v).quantize(Decimal("0.01"))


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """`total` in `parts` positive amounts to the cent."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    out = [_money(total * Decimal(str(w / sum(weights)))) for w in weights[:-1]]
    return out + [total - sum(out, Decimal(0))]


def _days_between(rng, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _overdue_ranges(meta) -> list[tuple[str, int, int]]:
    """(class, more than, at most) days overdue from code list five_level_class's data."""
    cl = meta.codelists.get("five_level_class")
    items = [(i.code, int(i.data["overdue_above"])) for i in (cl.items if cl else ())
             if i.active and "overdue_above" in i.data]
    items.sort(key=lambda x: x[1])
    return [(code, lo, items[k + 1][1] if k + 1 < len(items) else lo + 360) for k, (code, lo) in enumerate(items)]


def project_bundle(meta, rng: random.Random, today: date, stage: str, refs: Refs, gm_limit: Decimal) -> dict:
    """One post-loan project and its records: {"project": values, "children": [(entity, values)],
    "created": the day it was approved}. Links to the project are left out (set when written);
    only installed entities get records."""
    person = bool(refs.individuals) and rng.random() < 0.25
    customer_id, _name = rng.choice(refs.individuals if person else refs.enterprises)
    amount = Decimal(rng.choice(demo_flows.AMOUNTS))
    if rng.random() < 0.08:
        amount = gm_limit + Decimal(rng.choice((1_000_000, 3_000_000)))
    term = rng.choice((6, 12, 12, 12, 24, 36))
    method = rng.choice(("monthly_interest", "quarterly_interest", "equal_installment"))
    overdue = None
    approval = stage in APPROVAL_WEIGHTS
    if approval:                     # still being approved: the loan would be released soon
        if stage == "gm_approval":
            amount = gm_limit + Decimal(rng.choice((1_000_000, 3_000_000)))
        release = today + timedelta(days=rng.randint(31, 60))
    elif stage == "in_force":          # matures after today
        release = EDATE(today, -rng.randint(1, term - 1)) - timedelta(days=rng.randint(0, 25))
        release = max(release, EDATE(today, -term) + timedelta(days=1))
    elif stage == "overdue":
        ranges = _overdue_ranges(meta)
        weights = (60, 25, 10, 5)[:len(ranges)]
        overdue = rng.choices(ranges, weights)[0] if ranges else ("special_mention", 0, 90)
        days = rng.randint(overdue[1] + 1, overdue[2])
        release = EDATE(today - timedelta(days=days), -term)
    else:                            # matured (or defaulted) in the past
        release = EDATE(today, -term) - timedelta(days=rng.randint(10, 4 * 365))
    maturity = EDATE(release, term)
    approved = release - timedelta(days=rng.randint(7, 30))
    if approval:
        approved = today - timedelta(days=rng.randint(3, 12))
    fee = (amount * Decimal("0.015") * term / 12).quantize(Decimal("0.01"))
    users = refs.users
    project = {
        "status": STATUS.get(stage, stage), "customer_type": "individual" if person else "enterprise",
        ("individual" if person else "enterprise"): customer_id,
        "business_type": "loan", "bank": rng.choice(refs.banks) if refs.banks else None,
        "amount": amount, "term_months": term, "purpose": rng.choice(demo_flows.PURPOSES),
        "repayment_method": method, "pm_a": users.get("pm_a"), "pm_b": users.get("pm_b"),
        "department": "business_1", "renewal": rng.random() < 0.2, "overdue_history": False,
        "due_diligence": "实地走访，经营正常，现金流可覆盖还款", "risk_opinion": "风险可控，同意提交审保会",
        "committee_date": approved - timedelta(days=3),
        "committee_resolution": f"审保会于{approved - timedelta(days=3)}表决通过",
        "approved_on": approved, "fee_receipt": f"SF{approved:%Y%m%d}{rng.randrange(10 ** 4):04d}",
        "fee_amount": fee, "fee_paid": True, "fee_paid_on": approved + timedelta(days=1),
        "contract_date": approved + timedelta(days=2), "loan_no": f"JK{release:%Y%m%d}{rng.randrange(10 ** 4):04d}",
        "release_date": release, "release_amount": amount, "maturity_date": maturity,
    }
    project = demo_flows.with_product(meta, rng, project)
    children: list[tuple[str, dict]] = []
    has = meta.entities.__contains__
    if has("counter_guarantee"):
        kinds, caps = _cg_codes(meta)
        allowed = meta.kinds["products"][project["product"]].counter_guarantees if "product" in project else ()
        kinds = [k for k in kinds if k in allowed] or kinds
        for cg in sampledata.counter_guarantees(rng, today, amount, provider=_name, kinds=kinds, caps=caps,
                                                signed_on=min(today, approved + timedelta(days=2))):
            if approval and stage not in ("signing", "release"):
                cg.update(status="proposed", signed_on=None, registration_no=None, registration_status=None)
            elif stage == "released":
                cg["status"] = "released"
            children.append(("counter_guarantee", cg))
    if approval:
        return _approval_bundle(project, children, stage, approved)
    surveyors = [users[u] for u in ("pm_a", "pm_b") if u in users]
    reviewer = users.get("risk") or (surveyors[0] if surveyors else None)

    def followups(until: date, risky: bool) -> None:
        if not has("followup") or not surveyors:
            return
        day, first = release + timedelta(days=rng.randint(10, 28)), True
        while day <= until and day <= today:
            bad = risky and day > until - timedelta(days=200)
            children.append(("followup", {
                "kind": "first" if first else "periodic", "planned_on": day, "visited_on": day,
                "surveyor": surveyors[0], "second_surveyor": surveyors[1] if len(surveyors) > 1 else None,
                "operating": rng.choice(("fluctuating", "deteriorating")) if bad else "normal",
                "findings": "经营下滑，应收账款回笼慢，资金紧张" if bad else "经营正常，按期付息，无异常",
                "risk_signals": rng.sample(["overdue", "revenue_decline", "other_debt_default", "lawsuit"], 2) if bad else None,
                "measures": "加强监控，督促筹措还款资金" if bad else None}))
            day, first = EDATE(day, 3), False

    def repayments(total: Decimal, until: date, parts: int) -> None:
        if not has("repayment") or total <= 0:
            return
        span = max(1, (until - release).days)
        for k, principal in enumerate(_split(total, parts, rng)):
            day = until if k == parts - 1 else release + timedelta(days=span * (k + 1) // parts)
            children.append(("repayment", {
                "status": "confirmed", "repaid_on": day, "principal": principal,
                "interest": _money(principal * Decimal("0.05") * term / 12 / parts), "source": "bank_notice"}))

    def classify(day: date, days_overdue: int, cls: str, level: str | None) -> None:
        if has("classification") and reviewer:
            children.append(("classification", {
                "classified_on": day, "days_overdue": days_overdue, "chosen_class": cls,
                "default_level": level, "basis": f"逾期{days_overdue}天" if days_overdue else "按期还款，经营正常",
                "reviewer": reviewer}))

    paid_on_, money_moves = None, []   # (ledger kind, day, amount, summary) of the stage's money
    if stage == "in_force":
        elapsed = (today - release).days // 30
        if method == "equal_installment" and elapsed:
            repayments(_money(amount * min(elapsed, term - 1) / term), today - timedelta(days=5), min(elapsed, 3))
        elif rng.random() < 0.2:
            repayments(_money(amount * Decimal(rng.choice(("0.1", "0.2", "0.3")))), today - timedelta(days=10), 1)
        followups(today, risky=False)
        if rng.random() < 0.5:
            classify(today - timedelta(days=rng.randint(0, 60)), 0, "normal", None)
    elif stage == "overdue":
        days = (today - maturity).days
        cls = overdue[0]
        paid = _money(amount * Decimal(rng.choice(("0", "0.1", "0.3", "0.5"))))
        repayments(paid, maturity - timedelta(days=30), 1)
        followups(today, risky=True)
        level = {"special_mention": "level_1", "substandard": "level_2"}.get(cls, "level_3")
        classify(today, days, cls, level)
    elif stage == "released":
        repayments(amount, maturity, rng.randint(1, 4))
        closed = min(today, maturity + timedelta(days=rng.randint(0, 10)))
        project["closed_on"] = closed
        money_moves.append(("release", closed, amount, "贷款结清，解除保证责任"))
        if has("guarantee_release"):
            children.append(("guarantee_release", {
                "status": "released", "reason": "repaid", "released_on": closed,
                "bank_proof": "file"}))
    else:                            # compensated, written off: the borrower defaulted
        default_on = EDATE(release, rng.randint(1, term))
        repaid = _money(amount * Decimal(rng.choice(("0", "0", "0.1", "0.2"))))
        repayments(repaid, default_on - timedelta(days=20), 1)
        principal = amount - repaid
        paid_on = paid_on_ = default_on + timedelta(days=rng.randint(30, 90))
        if has("compensation"):
            children.append(("compensation", {
                "status": "paid", "bank": project["bank"], "default_on": default_on,
                "reason": "借款人经营困难，贷款到期未能偿还，银行要求履行保证责任",
                "principal": principal, "interest": _money(principal * Decimal("0.012")),
                "penalty": Decimal("0.00"), "paid_on": paid_on,
                "voucher_no": f"DC{paid_on:%Y%m%d}{rng.randrange(10 ** 4):04d}"}))
        total = principal + _money(principal * Decimal("0.012"))
        money_moves.append(("compensation", paid_on, total, "向合作银行代偿贷款本息"))
        day = paid_on
        stages = [s.code for s in meta.codelists["recovery_stage"].items] if "recovery_stage" in meta.codelists else []
        if has("recovery") and stages and reviewer:
            final = stage == "written_off"
            reached = len(stages) if final else rng.randint(1, len(stages))
            day, rows = paid_on + timedelta(days=rng.randint(5, 20)), []
            for s in stages[:reached]:
                rows.append({"stage": s, "entered_on": min(day, today)})
                day += timedelta(days=rng.randint(40, 150))
            share = Decimal(rng.choice(("0.1", "0.2", "0.3", "0.5"))) if final else Decimal(rng.choice(("0", "0.05", "0.15", "0.3")))
            got = _money(total * share)
            costs = [{"kind": k, "paid_on": rows[min(i, len(rows) - 1)]["entered_on"],
                      "amount": _money(total * Decimal(rng.choice(("0.005", "0.01", "0.02"))))}
                     for i, k in enumerate(("court_fee", "lawyer_fee")[:max(1, min(2, reached - 1))])]
            recovery = {"handler": users.get("legal") or reviewer, "stage": stages[reached - 1], "stages": rows,
                        "costs": costs,
                        "recoveries": [{"received_on": rows[-1]["entered_on"], "amount": got,
                                        "source": rng.choice(("debtor", "collateral", "enforcement"))}] if got else [],
                        "court": "人民法院" if reached > 1 else None}
            if reached > 1:
                recovery["case_no"] = f"({rows[1]['entered_on'].year})民初{rng.randint(100, 9999)}号"
            children.append(("recovery", recovery))
            if got:
                money_moves.append(("recovery", rows[-1]["entered_on"], got, "追偿回收款"))
            total_left = total - got
        else:
            total_left = total
        if stage == "written_off" and has("write_off"):
            children.append(("write_off", {
                "status": "approved", "amount": total_left, "basis": "enforcement_terminated",
                "basis_description": "经法院强制执行，债务人无可供执行财产，法院裁定终结本次执行程序",
                "documents": "file", "approved_on": min(today, day + timedelta(days=30))}))
            if total_left > 0:
                money_moves.append(("write_off", min(today, day + timedelta(days=30)), total_left, "代偿损失核销"))
    deposit = None
    if has("customer_deposit") and rng.random() < 0.75:
        deposit = _money(amount * Decimal(rng.choice(("0.05", "0.1"))))
        account = f"62{rng.randrange(10 ** 15):015d}"
        children.append(("customer_deposit", _deposit("received", deposit, project["contract_date"], _name, account)))
        back = {"released": ("returned", project.get("closed_on")), "compensated": ("offset", paid_on_),
                "written_off": ("offset", paid_on_)}.get(stage)
        if back and back[1]:
            children.append(("customer_deposit", _deposit(back[0], deposit, back[1], _name, account)))
    if has("ledger_entry"):
        children.extend(("ledger_entry", e) for e in _ledger(rng, today, stage, project, deposit, money_moves))
    if has("enterprise_change") and not person:
        children.extend(("enterprise_change", c) for c in _changes(rng, today, stage, customer_id))
    children.sort(key=_child_key)
    return {"project": {k: v for k, v in project.items() if v is not None},
            "children": [(e, {k: v for k, v in vals.items() if v is not None}) for e, vals in children],
            "created": approved}


def _child_key(child: tuple[str, dict]) -> int:
    name, values = child
    return CHILD_ORDER.index(f"{name}:{values.get('direction')}" if name == "customer_deposit" else name)


_CG_CODES: dict[int, tuple] = {}


def _cg_codes(meta) -> tuple[list[str], dict[str, Decimal]]:
    """The counter-guarantee kinds the products allow (every kind when none lists any) and the
    loan-to-value caps of collateral and pledge types, from the installed metadata."""
    cached = _CG_CODES.get(id(meta))
    if cached is None or cached[0] is not meta:
        kinds_cl = meta.codelists.get("counter_guarantee_kind")
        codes = [i.code for i in kinds_cl.items if i.active] if kinds_cl else []
        listed = {k for p in meta.kinds.get("products", {}).values() for k in getattr(p, "counter_guarantees", ())}
        kinds = [c for c in codes if c in listed] or codes
        caps = {i.code: Decimal(str(i.data["ltv_cap"])) for name in ("collateral_type", "pledge_type")
                for i in (meta.codelists[name].items if name in meta.codelists else ()) if "ltv_cap" in i.data}
        _CG_CODES.clear()
        _CG_CODES[id(meta)] = cached = (meta, kinds, caps)
    return cached[1], cached[2]


def _approval_bundle(project: dict, children: list, stage: str, approved: date) -> dict:
    """A project still in approval step `stage` (or rejected): the fields the steps before it filled
    in, its proposed counter-guarantees; no post-loan record."""
    keep = {"status", "customer_type", "individual", "enterprise", "business_type", "bank", "amount", "term_months",
            "purpose", "repayment_method", "pm_a", "pm_b", "department", "renewal", "overdue_history"}
    for step, fields in APPROVAL_FIELDS.items():
        if step == stage:
            break
        keep.update(fields)
    if stage == "rejected":
        keep.update(("due_diligence", "risk_opinion", "committee_date"))
        project["committee_resolution"] = f"审保会于{project['committee_date']}表决未通过：反担保措施不足"
        keep.add("committee_resolution")
    values = {k: v for k, v in project.items() if k in keep and v is not None}
    values["status"] = stage
    return {"project": values, "children": children, "created": approved - timedelta(days=20)}


def _deposit(direction: str, amount: Decimal, day: date, payer: str, account: str) -> dict:
    return {"direction": direction, "amount": amount, "moved_on": day, "payer": payer, "method": "transfer",
            "account_no": account,
            "remarks": {"received": "按合同约定收取客户保证金", "returned": "解保后退还客户保证金",
                        "offset": "保证金冲抵代偿款"}[direction]}


def _ledger(rng: random.Random, today: date, stage: str, project: dict, deposit: Decimal | None,
            moves: list) -> list[dict]:
    """Posted project-ledger entries for the money the project moved (fee, deposit, loan release,
    release, compensation, recovery, write-off) and, for some projects in force, one entry still in
    review (draft, with risk control or with finance: plain records, no workflow instance)."""
    bank = project.get("bank")
    entries = [("guarantee_fee", project["fee_paid_on"], project["fee_amount"], "收取担保费")]
    if deposit:
        entries.append(("customer_deposit_in", project["contract_date"], deposit, "收取客户保证金"))
    entries.append(("loan_release", project["release_date"], project["release_amount"], "合作银行放款"))
    entries += moves
    if deposit and stage == "released":
        entries.append(("customer_deposit_out", project["closed_on"], deposit, "解保退还客户保证金"))
    out = []
    for kind, day, amount, summary in entries:
        if day > today or not amount:
            continue
        out.append({"kind": kind, "entry_date": day, "amount": amount, "counterparty": bank, "summary": summary,
                    "voucher_no": f"PZ{day:%Y%m}{rng.randrange(10 ** 5):05d}", **_review("posted", day, today)})
    if stage == "in_force" and rng.random() < 0.12:
        day = today - timedelta(days=rng.randint(0, 12))
        state = rng.choice(LEDGER_STATES)
        out.append({"kind": "guarantee_fee", "entry_date": day, "counterparty": bank,
                    "amount": _money(project["amount"] * Decimal("0.015")), "summary": "收取下一年度担保费",
                    **_review(state, day, today)})
    return out


def _review(state: str, day: date, today: date) -> dict:
    """A ledger entry's review fields in `state`."""
    out: dict = {"status": state}
    if state in ("finance_review", "posted"):
        out.update(risk_opinion="复核无误", risk_reviewer="风控经理", risk_reviewed_on=min(today, day + timedelta(days=1)))
    if state == "posted":
        out.update(finance_opinion="已核对银行回单", finance_reviewer="财务经理",
                   posted_on=min(today, day + timedelta(days=2)))
    return out


def _changes(rng: random.Random, today: date, stage: str, enterprise: int) -> list[dict]:
    """Changes at the enterprise customer: lawsuits for most projects in trouble (recent ones for
    overdue projects), now and then a key-person, shareholder or address change in the last 90 days."""
    out = []

    def change(kind, day, before, after, description=None, source="registry"):
        out.append({"enterprise": enterprise, "kind": kind, "changed_on": day, "before": before, "after": after,
                    "description": description, "source": source})
    recent = lambda: today - timedelta(days=rng.randint(0, 89))   # noqa: E731
    lawsuit = {"overdue": 0.5, "compensated": 0.7, "written_off": 0.8, "in_force": 0.02}.get(stage, 0)
    if rng.random() < lawsuit:
        day = recent() if stage in ("overdue", "in_force") else today - timedelta(days=rng.randint(90, 900))
        change("lawsuit", day, None, f"({day.year})民初{rng.randint(100, 9999)}号 买卖合同纠纷",
               rng.choice(("企业作为被告涉及买卖合同纠纷，涉案金额约" f"{rng.randint(20, 500)}万元",
                           "企业因拖欠货款被供应商起诉，法院已立案")), source="court")
    if rng.random() < (0.3 if stage == "overdue" else 0.06):
        before, after = sampledata.chinese_name(rng, "male"), sampledata.chinese_name(rng, rng.choice(("male", "female")))
        after = after if after != before else after + "（新任）"
        change(rng.choice(("key_person", "key_person", "legal_rep")), recent(), before, after,
               "原负责人离任，新任人员已到岗" if rng.random() < 0.5 else None)
    if rng.random() < 0.03:
        change("shareholder", recent(), "原股东持股100%", "新增股东持股30%")
    if rng.random() < 0.02:
        change("address", recent(), "原注册地址", "新注册地址（迁址）")
    return [{k: v for k, v in c.items() if v is not None} for c in out]


# -- the write path ---------------------------------------------------------------------------------

def _keep(entity, values: dict) -> dict:
    return {k: v for k, v in values.items() if entity.has(k) and v is not None}


def _attachment(store: Store, conn, entity, name: str, field_name: str) -> list[dict]:
    from .files import save_upload
    f = entity.field(field_name)
    ref = save_upload(conn, entity=name, field=field_name, name=f"{field_name}.pdf",
                      content_type="application/pdf", data=ATTACHMENT, uploaded_by="system", clock=store.clock,
                      accept=f.accept or ())
    return [ref]


def _fill_files(store: Store, conn, name: str, values: dict) -> dict:
    """Replace the placeholders of attachment fields ("file", demo_flows.Documents) by stored files."""
    entity = store.meta.entity(name)

    def stored(k, v):
        if isinstance(v, demo_flows.Documents):
            return v.refs(lambda code: demo_flows.document_pdf(store, conn, code))
        return _attachment(store, conn, entity, name, k) if v == "file" and entity.field(k).type == "attachment" else v
    return {k: stored(k, v) for k, v in values.items()}


def refs_of(store: Store) -> Refs:
    """Customers, banks and demo users already in the database (for projects to link to)."""
    from .query import Query, find

    def ids(entity: str, limit: int = 100_000) -> list[tuple[int, str]]:
        if entity not in store.meta.entities:
            return []
        return [(r.id, r.values.get("name")) for r in find(store.engine, store.meta, Query(entity, limit=limit))]
    return Refs(ids("enterprise_customer"), ids("individual_customer"), [i for i, _ in ids("bank", 1000)],
                {u.username: u.id for u in list_users(store.engine) if u.active})


def gm_limit(store: Store) -> Decimal:
    try:
        return Decimal(str(store.functions["LOOKUP"]("approval_threshold", "gm", "amount") or 5_000_000))
    except Exception:  # noqa: BLE001 - no such code list: the standard default
        return Decimal(5_000_000)


def write_bundle(store: Store, bundle: dict, report: Report | None = None) -> tuple[int, list[int]]:
    """Write a project_bundle through Store.create in one transaction: (project id, child ids)."""
    from .files import attach
    ids = []
    with store.transaction() as conn:
        values = _fill_files(store, conn, "project", _keep(store.meta.entity("project"), bundle["project"]))
        if store.meta.entity("project").has("contract_no") and values.get("contract_date"):
            values["contract_no"] = next_number(conn, "project", "contract_no", CONTRACT_PATTERN, store.clock.now())
        rec = store.create("project", values, conn=conn)
        attach(conn, "project", rec.id, rec.values)
        for name, child_values in bundle["children"]:
            child_values = _fill_files(store, conn, name, {**child_values, "project": rec.id})
            child = store.create(name, _keep(store.meta.entity(name), child_values), conn=conn)
            attach(conn, name, child.id, child.values)
            ids.append(child.id)
            if report is not None:
                report.records[name] += 1
    if report is not None:
        report.records["project"] += 1
    return rec.id, ids


# the company's own books for the regulatory figures (docs/regulatory.md): net assets at the last
# quarter's end, large enough that the demo's balance in force sits well within the limits
NET_ASSETS = Decimal("800000000")


def company_books(store: Store, today: date, report: Report) -> None:
    """One net-assets figure when the pack has `company_finance` and nobody has entered one."""
    if "company_finance" not in store.meta.entities or find(store.engine, store.meta, Query("company_finance", limit=1)):
        return
    quarter_end = date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    store.create("company_finance", {"period_end": quarter_end, "net_assets": NET_ASSETS,
                                     "remarks": "演示数据"}, actor=SYSTEM)
    report.records["company_finance"] += 1


def add_projects(store: Store, rng: random.Random, today: date, projects: int,
                 report: Report | None = None) -> Report:
    """Post-loan projects (in force, overdue, released, compensated, written off) for the customers,
    banks and demo users in the database, through Store.create as the system actor."""
    report = report or Report()
    company_books(store, today, report)
    stages = available_stages(store.meta, report)
    refs = refs_of(store)
    if not stages or not refs.enterprises:
        if stages:
            report.skip("post-loan projects: no enterprise customers to link to")
        return report
    limit = gm_limit(store)
    counts = plan(projects)
    for stage in SHARES:
        if stage not in stages:
            continue
        for _ in range(counts[stage]):
            bundle = project_bundle(store.meta, rng, today, stage, refs, limit)
            write_bundle(store, bundle, report)
            report.stages[STATUS[stage] if stage != "overdue" else "overdue"] += 1
    return report


def _customers(store: Store, rng: random.Random, today: date, n: dict, report: Report) -> None:
    meta = store.meta
    makers = {"enterprise_customer": lambda: enterprise_values(meta, rng, today),
              "individual_customer": lambda: demo.individual_values(meta, rng, today)}
    with store.transaction() as conn:
        for name, make in makers.items():
            if name not in meta.entities:
                report.skip(f"customers: entity '{name}' is not installed")
                continue
            entity = meta.entity(name)
            for _ in range(n[name]):
                for attempt in range(20):       # a code already in the database (e.g. the same seed again): redraw
                    try:
                        store.create(name, _keep(entity, make()), actor=SYSTEM, conn=conn)
                        break
                    except ValidationError as e:
                        if attempt == 19 or not set(e.errors) <= {"uscc", "id_number"}:
                            raise
                report.records[name] += 1
        if "bank" in meta.entities:
            entity, used = meta.entity("bank"), set()
            for _ in range(n["bank"]):
                store.create("bank", _keep(entity, demo.bank_values(meta, rng, today, used)), conn=conn)
                report.records["bank"] += 1


def generate(store: Store, projects: int, *, seed: int = 2026, today: date | None = None, bulk: bool = False,
             batch: int = 2000, progress=None) -> Report:
    """Customers, banks, demo users and `projects` projects in every stage (see the module
    docstring). `bulk` inserts encoded documents in batches (core.demo_bulk)."""
    if projects < 0:
        raise ValueError("projects must not be negative")
    today = today or store.clock.today()
    rng = random.Random(seed)
    demo.create_demo_users(store.engine)
    if bulk:
        company_books(store, today, Report())
        from .demo_bulk import generate_bulk
        return generate_bulk(store, projects, rng=rng, today=today, batch=batch, progress=progress)
    report = Report()
    _customers(store, rng, today, sizes(projects), report)
    flows = 0
    if demo_flows.can_load(store) and projects >= len(demo_flows.PLAN):
        flows = demo_flows.load_projects(store, rng, today)
        report.records["project"] += flows
        for _, target, _ in demo_flows.PLAN:
            report.stages[target] += 1
    elif projects:
        report.skip("approval stages: the standard flows are not installed or the size is below "
                    f"{len(demo_flows.PLAN)}")
    add_projects(store, rng, today, projects - flows, report)
    return report


def created_at(day: date, rng: random.Random) -> datetime:
    """A working-hours time on `day` (records made in bulk are dated when they happened)."""
    return datetime(day.year, day.month, day.day, rng.randint(9, 17), rng.randint(0, 59))
