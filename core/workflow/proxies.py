"""Standing proxy authorisations (审批代理 / 委托): a user authorises another to act for them for a
period, optionally only in named workflows. While one is in force, the proxy may act on the
absent user's tasks on steps that `allow_proxy` (recorded `on_behalf_of`) and sees them in the
to-do list; revoked or expired ones stop working at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update

from ..db import users, wf_proxies
from ..errors import NotFound, PermissionDenied, msg
from .model import error, from_row


@dataclass
class Authorisation:
    id: int
    principal: str
    proxy: str
    starts_at: datetime
    ends_at: datetime
    workflows: list | None       # None: every workflow
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None

    def covers(self, workflow: str, now: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= now < self.ends_at and \
            (self.workflows is None or workflow in self.workflows)


def _may_manage(actor, principal: str) -> None:
    if not (actor.system or actor.username == principal):
        raise PermissionDenied(msg("只能为自己设置代理", "you can only authorise a proxy for yourself"))


def grant(conn, actor, principal: str, proxy: str, *, starts: datetime, ends: datetime,
          workflows, known_workflows, now: datetime) -> int:
    _may_manage(actor, principal)
    if proxy == principal:
        raise error("不能授权给自己", "choose someone else as the proxy")
    active = set(conn.execute(select(users.c.username).where(and_(
        users.c.username.in_((principal, proxy)), users.c.active.is_(True)))).scalars())
    if proxy not in active or principal not in active:
        raise error(f"用户「{proxy if proxy not in active else principal}」不存在或已停用",
                    f"no active user '{proxy if proxy not in active else principal}'")
    if ends <= starts:
        raise error("代理的结束时间必须晚于开始时间", "the authorisation must end after it starts")
    unknown = sorted(set(workflows or ()) - set(known_workflows))
    if unknown:
        raise error(f"没有流程「{'、'.join(unknown)}」", f"no workflow {', '.join(unknown)}")
    return conn.execute(insert(wf_proxies).values(
        principal=principal, proxy=proxy, starts_at=starts, ends_at=ends,
        workflows=sorted(set(workflows)) if workflows else None, created_by=actor.username, created_at=now)
        .returning(wf_proxies.c.id)).scalar_one()


def revoke(conn, actor, authorisation_id: int, now: datetime) -> None:
    row = conn.execute(select(wf_proxies).where(wf_proxies.c.id == authorisation_id)).first()
    if row is None:
        raise NotFound(msg("代理授权不存在", "no such proxy authorisation"))
    _may_manage(actor, row.principal)
    conn.execute(update(wf_proxies).where(and_(wf_proxies.c.id == authorisation_id, wf_proxies.c.revoked_at.is_(None)))
                 .values(revoked_at=now, revoked_by=actor.username))


def in_force(conn, *, proxy: str | None = None, principal: str | None = None,
             now: datetime) -> list[Authorisation]:
    """Authorisations in force now, to the proxy or from the principal (index: proxy/principal, ends_at)."""
    who = wf_proxies.c.proxy == proxy if proxy is not None else wf_proxies.c.principal == principal
    rows = conn.execute(select(wf_proxies).where(and_(
        who, wf_proxies.c.ends_at > now, wf_proxies.c.starts_at <= now, wf_proxies.c.revoked_at.is_(None)))
        .order_by(wf_proxies.c.id))
    return [from_row(Authorisation, r) for r in rows]


def listing(conn, username: str) -> list[Authorisation]:
    """Every authorisation the user gave or received, newest first (for a settings screen)."""
    rows = conn.execute(select(wf_proxies).where(or_(wf_proxies.c.principal == username,
                                                     wf_proxies.c.proxy == username))
                        .order_by(wf_proxies.c.id.desc()))
    return [from_row(Authorisation, r) for r in rows]


def acts_for(conn, proxy: str, principal: str, workflow: str, now: datetime) -> bool:
    return any(a.principal == principal and a.covers(workflow, now) for a in in_force(conn, proxy=proxy, now=now))
