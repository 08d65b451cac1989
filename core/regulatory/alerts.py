"""Regulatory breaches as warnings (docs/regulatory.md "Warnings").

`check(store, today)` computes the company's figures and the effect of approving every project
under application, and writes each result into a `regulatory_check` record (one with scope
`company`, one per application) through the store's one write path, as the system. The warning
rules `regulatory_company` and `regulatory_application` (seed/standard/rules) watch those records
(`runs: [daily, save]`): a record with breaches raises a warning on its save, a record whose
breaches are cleared resolves it — the warning machinery's own lifecycle, levels, recipients and
deduplication. Run `check` daily before the warning scan, and for one application with
`check_application` when it enters an approval step.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..query import Filter, Query, find
from ..store import SYSTEM
from .config import load
from .figures import CompanyFigures, company_figures
from .liability import Sql, snapshot
from .whatif import breach_message, effect_of_approving, lines_of_approving

ENTITY = "regulatory_check"
PAGE = 200


@dataclass
class CheckResult:
    company_breaches: int = 0
    applications: int = 0
    applications_breaching: int = 0


def _text(messages) -> str | None:
    return "；".join(m["zh"] for m in messages) or None


def _save(store, existing, values: dict, conn=None, actor=SYSTEM) -> int:
    if existing is None:
        return store.create(ENTITY, values, actor=actor, conn=conn).id
    changed = {k: v for k, v in values.items() if existing.values.get(k) != v}
    if changed:
        store.update(ENTITY, existing.id, changed, version=existing.version, actor=actor, conn=conn)
    return existing.id


def _existing(store, filters) -> object | None:
    rows = find(store.engine, store.meta, Query(ENTITY, filters, sort=["id"], limit=1), store.types)
    return rows[0] if rows else None


def record_company(store, f: CompanyFigures) -> int:
    return _save(store, _existing(store, [Filter("scope", "eq", "company")]), {
        "scope": "company", "subject": "公司 Company", "checked_on": f.today, "liability_balance": f.liability_balance,
        "leverage": f.leverage, "leverage_limit": f.leverage_limit, "breaches": _text(f.breaches)})


def _breaches(lines) -> str | None:
    """An application warns when approving it takes a figure above its limit, or one already above
    it higher (Line.worsens)."""
    return _text([breach_message(line) for line in lines if line.worsens])


def _record_application(store, project_id: int, today: date, values, label: str, after_liability, after_leverage,
                        leverage_limit, lines, conn=None, actor=SYSTEM) -> int:
    cfg = load(store.meta)
    title = values.get(store.meta.entity(cfg.project["entity"]).title_field)
    return _save(store, _existing(store, [Filter("scope", "eq", "application"), Filter("project", "eq", project_id)]), {
        "scope": "application", "project": project_id, "subject": f"{title or project_id} {label}",
        "checked_on": today, "liability_balance": after_liability, "leverage": after_leverage,
        "leverage_limit": leverage_limit, "breaches": _breaches(lines)}, conn, actor)


def check_application(store, project_id: int, today: date, *, values=None, conn=None, actor=SYSTEM) -> int:
    """Check one project (call it when an application enters an approval step; inside a transaction,
    pass its `conn` and the project's current `values`): its check record's id."""
    e = effect_of_approving(store, project_id, today, values=values)
    if values is None:
        values = store.get(load(store.meta).project["entity"], project_id).values
    return _record_application(store, project_id, today, values, e.customer_label, e.after.liability_balance,
                               e.after.leverage, e.after.leverage_limit, e.lines if e.applies else [], conn, actor)


def workflow_action(context) -> None:
    """The workflow action `{call: regulatory_check}` (register it in a plugin's
    danbao_workflow_actions and put it in an approval step's on_enter): checks the record being
    approved inside the transition's transaction, as the system on behalf of whoever acted."""
    from ..store import Actor
    actor = Actor(context.actor.username, context.actor.roles, system=True)
    check_application(context.store, context.values["id"], context.now.date(), values=context.values,
                      conn=context.conn, actor=actor)


def check(store, today: date) -> CheckResult:
    """The daily check: the company record, every application, and the records of projects that left
    the application stages (their breaches cleared, so their warnings resolve)."""
    cfg = load(store.meta)
    p = cfg.project
    result = CheckResult()
    f = company_figures(store, today)
    record_company(store, f)
    result.company_breaches = len(f.breaches)
    checked: set[int] = set()
    sql = Sql(store.meta, cfg, store.dialect)
    last = 0
    with store.engine.connect() as conn:
        snapshot(conn, sql)                      # one pass for every application (whatif.lines_of_approving)
        while True:
            rows = find(store.engine, store.meta, Query(p["entity"], [Filter(p["status"], "in", p["application"]),
                                                                       Filter("id", "gt", last)], sort=["id"], limit=PAGE),
                        store.types)
            if not rows:
                break
            for r in rows:
                label, lines, after = lines_of_approving(store, conn, f, r.id, values=r.values)
                leverage = next((x.after for x in lines if x.key == "leverage"), f.leverage)
                rid = _record_application(store, r.id, today, r.values, label, after, leverage, f.leverage_limit, lines)
                checked.add(r.id)
                result.applications += 1
                if store.get(ENTITY, rid).values.get("breaches"):
                    result.applications_breaching += 1
            last = rows[-1].id
    last = 0
    while True:
        rows = find(store.engine, store.meta, Query(ENTITY, [Filter("scope", "eq", "application"), Filter("breaches", "notblank"),
                                                              Filter("id", "gt", last)], sort=["id"], limit=PAGE), store.types)
        if not rows:
            break
        for r in rows:
            if r.values.get("project") not in checked:
                store.update(ENTITY, r.id, {"breaches": None, "checked_on": today}, version=r.version, actor=SYSTEM)
        last = rows[-1].id
    return result
