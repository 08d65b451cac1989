"""Demo data: users for every role and realistic customers and banks from `core.sampledata`.

Everything is written through `Store.create` with the system actor, so it passes the same
validation as data typed into the screens. The same seed always gives the same data.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from . import demo_flows, sampledata
from .store import SYSTEM, Store
from .users import create_user, get_user

DEMO_PASSWORD = "danbao-demo"

# (username, name, roles, department): one user per role of the domain (docs: DOMAIN.md)
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    ("pm_a", "项目经理A角 张明", ("pm",), "business_1"),
    ("pm_b", "项目经理B角 李娜", ("pm",), "business_1"),
    ("risk", "风控 王强", ("risk",), "risk"),
    ("committee1", "审保会委员 赵敏", ("committee",), "risk"),
    ("committee2", "审保会委员 钱峰", ("committee",), "gm_office"),
    ("committee3", "审保会委员 孙丽", ("committee",), "finance"),
    ("gm", "总经理 周建国", ("gm", "committee"), "gm_office"),
    ("finance", "财务 吴芳", ("finance",), "finance"),
    ("legal", "法务 郑律", ("legal",), "legal"),
    ("admin", "管理员", ("admin",), "admin"),
)
# positions (岗位) of the demo users, for workflow steps that resolve approvers by position
DEMO_POSITIONS: dict[str, tuple[str, ...]] = {
    "pm_a": ("项目经理",), "pm_b": ("项目经理",), "risk": ("风控经理",),
    "committee1": ("审保会委员",), "committee2": ("审保会委员",), "committee3": ("审保会委员",),
    "gm": ("总经理", "审保会主任"), "finance": ("财务经理",), "legal": ("法务经理",),
}

@dataclass
class DemoCounts:
    enterprise_customer: int = 0
    individual_customer: int = 0
    bank: int = 0


def create_demo_users(engine: Engine, password: str = DEMO_PASSWORD) -> int:
    """Add the demo users that do not exist yet; returns how many were added."""
    n = 0
    for username, name, roles, department in DEMO_USERS:
        if get_user(engine, username=username) is None:
            create_user(engine, username, name=name, roles=roles, password=password, department=department,
                        positions=DEMO_POSITIONS.get(username, ()))
            n += 1
    return n


def _code(meta, codelist: str, code: str) -> str | None:
    """The code if the installed code list still offers it (an overlay may have hidden it)."""
    cl = meta.codelists.get(codelist)
    item = cl.get(code) if cl else None
    return code if item is not None and item.active else None


def _keep(entity, values: dict) -> dict:
    """Only fields the installed model has (an overlay may have removed some)."""
    return {k: v for k, v in values.items() if entity.has(k) and v is not None}


def enterprise_values(meta, rng: random.Random, today: date) -> dict:
    d = sampledata.enterprise(rng, today)
    d["company_type"] = _code(meta, "company_type", d["company_type"]) or "other"
    employees = d["employees"]
    d["size"] = "micro" if employees < 20 else "small" if employees < 300 else "medium" if employees < 1000 else "large"
    if meta.codelists.get("enterprise_size") and not meta.codelists["enterprise_size"].get(d["size"]):
        d.pop("size")
    d["paid_in_capital"] = d["registered_capital"]
    d["status"] = rng.choices(("active", "prospect", "in_force"), (60, 25, 15))[0]
    d["legal_rep_phone"] = sampledata.mobile_number(rng)
    return d


def individual_values(meta, rng: random.Random, today: date) -> dict:
    d = sampledata.person(rng, today)
    d["education"] = _code(meta, "education", d["education"])
    d["marital_status"] = _code(meta, "marital_status", d["marital_status"])
    d["id_type"] = "resident_id"
    d["annual_income"] = Decimal(rng.randint(60, 2000) * 1000)
    d["status"] = rng.choices(("active", "prospect", "in_force"), (60, 25, 15))[0]
    return d


def bank_values(meta, rng: random.Random, today: date, used: set[str]) -> dict:
    while True:
        b = sampledata.bank(rng)
        if b["name"] not in used:
            used.add(b["name"])
            break
    head = sampledata.BANKS[b["bank"]][1]
    start = today - timedelta(days=rng.randint(30, 300))
    return {
        "name": head,
        "branch": b["name"][len(head):],
        "code": f"{rng.randrange(10 ** 12):012d}",
        "region": b["region"],
        "contact": b["contact"],
        "phone": b["contact_mobile"],
        "status": "active",
        "agreement_no": f"HZ{start.year}-{rng.randint(1, 999):03d}",
        "credit_line": b["credit_line"],
        "single_limit": (b["credit_line"] / 10).quantize(Decimal("0.01")),
        "risk_share": b["risk_share"],
        "deposit_ratio": b["deposit_ratio"],
        "magnification": (Decimal(100) / b["deposit_ratio"]).quantize(Decimal("0.1")) if b["deposit_ratio"] else None,
        "credit_line_start": start,
        "credit_line_end": start + timedelta(days=365 * rng.choice((1, 2, 3))),
    }


def load_demo(store: Store, *, seed: int = 2026, enterprises: int = 60, individuals: int = 60, banks: int = 8,
              today: date | None = None) -> DemoCounts:
    """Write demo customers and banks for the entities the installed metadata has."""
    rng = random.Random(seed)
    today = today or store.clock.today()
    meta = store.meta
    counts = DemoCounts()
    plan = (("enterprise_customer", enterprises, lambda: enterprise_values(meta, rng, today)),
            ("individual_customer", individuals, lambda: individual_values(meta, rng, today)))
    with store.transaction() as conn:
        for name, n, make in plan:
            if name not in meta.entities:
                continue
            entity = meta.entity(name)
            for _ in range(n):
                store.create(name, _keep(entity, make()), actor=SYSTEM, conn=conn)
                setattr(counts, name, getattr(counts, name) + 1)
        if "bank" in meta.entities:
            entity, used = meta.entity("bank"), set()
            for _ in range(banks):
                store.create("bank", _keep(entity, bank_values(meta, rng, today, used)), actor=SYSTEM, conn=conn)
                counts.bank += 1
    if demo_flows.can_load(store):   # projects in every stage of the standard flows, acted on by the demo users
        create_demo_users(store.engine)
        demo_flows.load_projects(store, rng, today)
    return counts
