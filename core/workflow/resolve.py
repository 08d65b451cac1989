"""Who acts on a step: resolvers (role, position, initiator, initiator's manager, department head,
a user field, a list, a formula), combined in order without duplicates; inactive users never resolve."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import select

from metadata.workflow import Resolver

from ..db import users
from ..formula import FormulaError, compile_formula
from .model import error


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    roles: frozenset
    department: str | None
    manager_id: int | None
    positions: frozenset = frozenset()


class Directory:
    """The active users, read once per transaction."""

    def __init__(self, conn):
        rows = conn.execute(select(users.c.id, users.c.username, users.c.roles, users.c.department,
                                   users.c.manager_id, users.c.positions).where(users.c.active.is_(True))).all()
        self.people = [Person(r.id, r.username, frozenset(r.roles or ()), r.department, r.manager_id,
                              frozenset(r.positions or ())) for r in rows]
        self.by_id = {p.id: p for p in self.people}
        self.by_name = {p.username: p for p in self.people}

    def person(self, value) -> Person | None:
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and value not in self.by_name):
            return self.by_id.get(int(value))
        return self.by_name.get(str(value))


def resolve(resolvers: Iterable[Resolver], directory: Directory, *, initiator: str, values: Mapping[str, Any],
            codelists: Mapping, functions: Mapping, today) -> list[str]:
    out: list[str] = []

    def add(person):
        if person is not None and person.username not in out:
            out.append(person.username)

    me = directory.by_name.get(initiator)
    for r in resolvers:
        if r.kind == "role":
            for p in sorted(directory.people, key=lambda p: p.username):
                if p.roles & set(r.value):
                    add(p)
        elif r.kind == "position":
            # scoped: only holders in the initiator's (or the named) department
            department = (me.department if me else None) if r.department == "initiator" else r.department
            for p in sorted(directory.people, key=lambda p: p.username):
                if p.positions & set(r.value) and (r.department is None or
                                                   (department is not None and p.department == department)):
                    add(p)
        elif r.kind == "initiator":
            add(me)
        elif r.kind == "initiator_manager":
            add(directory.by_id.get(me.manager_id) if me and me.manager_id else None)
        elif r.kind == "department_head":
            cl = codelists.get("department")
            item = cl.get(me.department) if cl is not None and me and me.department else None
            add(directory.person(item.data.get("head")) if item is not None else None)
        elif r.kind == "field":
            add(directory.person(values.get(r.value)))
        elif r.kind == "users":
            for name in r.value:
                add(directory.person(name))
        elif r.kind == "formula":
            try:
                result = compile_formula(r.value).evaluate({**values, "initiator": initiator},
                                                           functions=functions, today=today)
            except FormulaError as e:
                raise error(f"审批人公式 {r.value} 计算出错:{getattr(e, 'zh', None) or e}",
                            f"the approver formula {r.value} failed: {e}") from None
            for item in result if isinstance(result, (list, tuple)) else [result]:
                add(directory.person(item))
    return out
