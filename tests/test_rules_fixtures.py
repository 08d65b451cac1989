"""Shared fixtures of the warning rule tests (no tests here): a small pack with loans of customers,
rules over them, users, and helpers to install, write records and scan."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from core import metastore
from core.db import warning_recipients, warnings
from core.store import Actor, Store
from core.users import create_user
from core.warnings import scan

from .conftest import pack

PACK = {
    "pack.yaml": "name: t\nversion: 1.0.0\n",
    "codelists/warning_threshold.yaml": """\
name: warning_threshold
items:
  - {code: overdue, label: 逾期天数, data: {days: 0}}
""",
    "entities/customer.yaml": """\
name: customer
title_field: name
fields:
  - {name: name, type: text, required: true}
  - {name: manager, type: user}
""",
    "entities/loan.yaml": """\
name: loan
title_field: title
fields:
  - {name: title, type: text, required: true}
  - {name: customer, type: link, entity: customer}
  - {name: owner, type: user}
  - {name: amount, type: money}
  - {name: rate, type: decimal}
  - {name: due_date, type: date}
  - {name: paid, type: boolean, default: false}
  - name: installments
    type: table
    fields:
      - {name: seq, type: integer}
      - {name: due, type: date}
      - {name: paid, type: boolean}
""",
}

OVERDUE = """\
name: loan_overdue
label: {zh: 贷款逾期, en: Loan overdue}
entity: loan
condition: not paid and DAYS(TODAY(), due_date) > LOOKUP("warning_threshold", "overdue", "days")
level: red
message:
  zh: "{{ title }} 逾期 {{ DAYS(TODAY(), due_date) }} 天，金额 {{ amount }} 元，客户 {{ customer.name }}"
  en: "{{ title }} is {{ DAYS(TODAY(), due_date) }} day(s) overdue, {{ amount }} yuan, customer {{ customer.name }}"
recipients:
  - field: owner
  - formula: customer.manager
escalate:
  days: 3
  to: [{role: gm}]
runs: [daily]
"""

# the same rule, also run by the store's write path on every save
OVERDUE_ON_SAVE = OVERDUE.replace("runs: [daily]", "runs: [daily, save]")

BIG = """\
name: big_loan
label: {zh: 大额贷款, en: Big loan}
entity: loan
condition: amount / rate > 1000
level: blue
message: {zh: "{{ title }} 大额", en: "{{ title }} is big"}
recipients: [{role: risk}]
"""

INSTALLMENT = """\
name: installment_late
label: {zh: 分期逾期, en: Installment late}
entity: loan
condition: COUNT(installments) > 0
key: LATEST(installments, "seq", "seq")
level: yellow
message:
  zh: 第 {{ LATEST(installments, 'seq', 'seq') }} 期
  en: installment {{ LATEST(installments, 'seq', 'seq') }}
recipients: [{creator: true}]
"""

USERS = {"li": ("pm",), "wang": ("pm",), "gm": ("gm",), "risk": ("risk",), "admin": ("admin",)}


def make_pack(extra=None, **rules):
    files = {**PACK, **(extra or {})}
    for name, text in rules.items():
        files[f"rules/{name}.yaml"] = text
    return pack("t", files)


class World:
    def __init__(self, engine, clock, extra=None, **rules):
        self.engine, self.clock = engine, clock
        self.installed = metastore.install(engine, [make_pack(extra, **rules)])
        self.meta = self.installed.meta
        self.store = Store(engine, self.meta, clock=clock, meta_version=self.installed.version)
        self.users = {}
        for name, roles in USERS.items():
            if not _exists(engine, name):
                create_user(engine, name, name=name.upper(), roles=roles, password="Secret-pass-1")
            self.users[name] = _id(engine, name)

    def customer(self, name="华星公司", manager="wang"):
        return self.store.create("customer", {"name": name, "manager": self.users[manager]}).id

    def loan(self, title="L1", due=date(2026, 3, 1), amount="100000", owner="li", customer=None, actor=None, **more):
        data = {"title": title, "due_date": due, "amount": amount, "owner": self.users[owner], "rate": "1", **more}
        if customer:
            data["customer"] = customer
        return self.store.create("loan", data, **({"actor": Actor(actor)} if actor else {}))

    def scan(self, **kw):
        return scan(self.engine, self.meta, clock=self.clock, **kw)

    def warnings(self, **where):
        with self.engine.connect() as c:
            q = select(warnings)
            for k, v in where.items():
                q = q.where(warnings.c[k] == v)
            return c.execute(q.order_by(warnings.c.id)).all()

    def recipients(self, warning_id):
        with self.engine.connect() as c:
            return sorted((r.username, r.escalated) for r in c.execute(
                select(warning_recipients).where(warning_recipients.c.warning_id == warning_id)))


def _id(engine, username):
    from core.users import get_user
    return get_user(engine, username=username).id


def _exists(engine, username):
    from core.users import get_user
    return get_user(engine, username=username) is not None


@pytest.fixture
def world(engine, clock):
    return World(engine, clock, loan_overdue=OVERDUE)
