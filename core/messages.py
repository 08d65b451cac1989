"""The message center (消息中心): messages to users, departments or roles, each recipient with
their own read mark; system messages for to-dos, warnings and deadline reminders; announcements
to everyone between a publish and an expiry time.

    send(engine, sender="li", subject="周会改期", body="…", users=["wang"], departments=["risk"],
         roles=["gm"], now=clock.now(), departments_list=meta.codelists.get("department"))
    inbox(engine, "wang")                 # unread first, newest first, paged
    read(engine, message_id, "wang", now)  # the message, marked read (NotFound for anybody else)
    unread_count(engine, "wang")

The hooks `on_task`, `on_warning` and `on_reminder` are called by the workflow engine and the
warning scan inside their own transactions (one call each), so a message arrives exactly when
the task, warning or reminder is committed. No Flask here (docs/ui.md "Messages").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from .db import announcements as an, message_recipients as mr, messages as m, users, warnings as w
from .errors import NotFound, PermissionDenied, ValidationError, msg

KINDS = ("message", "task", "warning", "reminder")
MAX_SUBJECT = 200
MAX_BODY = 10000
PUBLISHERS = frozenset({"admin"})      # roles that may publish announcements


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    sender: str | None
    subject: object          # str, or {zh, en}
    body: object
    entity: str | None
    record_id: int | None
    ref: int | None
    audience: dict | None
    sent_at: datetime
    read_at: datetime | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class Announcement:
    id: int
    title: str
    body: str
    author: str
    published_at: datetime
    expires_at: datetime | None
    created_at: datetime


def _message(row, read_at=None) -> Message:
    return Message(row.id, row.kind, row.sender, row.subject, row.body, row.entity, row.record_id, row.ref,
                   row.audience, row.sent_at, read_at)


def _write(engine: Engine):
    return engine.connect().execution_options(danbao_write=True)


# -- who receives ------------------------------------------------------------------------------

def _under(codelist, codes: Iterable[str]) -> set[str]:
    """The departments and every department below them in the `department` code list."""
    out, todo = set(), list(codes)
    while todo:
        code = todo.pop()
        if code in out:
            continue
        out.add(code)
        if codelist is not None:
            todo.extend(i.code for i in codelist.children(code))
    return out


def recipients(conn: Connection, *, users_: Sequence[str] = (), departments: Sequence[str] = (),
               roles: Sequence[str] = (), departments_list=None) -> list[str]:
    """The active users addressed: named, in a department (or one below it), or holding a role;
    sorted, without duplicates."""
    depts, wanted_roles, named = _under(departments_list, departments), set(roles), set(users_)
    out = set()
    for r in conn.execute(select(users.c.username, users.c.department, users.c.roles).where(users.c.active.is_(True))):
        if r.username in named or (r.department and r.department in depts) or (set(r.roles or ()) & wanted_roles):
            out.add(r.username)
    return sorted(out)


# -- sending -----------------------------------------------------------------------------------

def deliver(conn: Connection, to: Iterable[str], *, kind: str, subject, now: datetime, body=None,
            sender: str | None = None, entity: str | None = None, record_id: int | None = None,
            ref: int | None = None, audience: dict | None = None) -> int | None:
    """One message to these users inside the caller's transaction; None when nobody is left."""
    return deliver_many(conn, [({"kind": kind, "sender": sender, "subject": subject, "body": body, "entity": entity,
                                 "record_id": record_id, "ref": ref, "audience": audience, "sent_at": now}, to)])[0]


def deliver_many(conn: Connection, items: Sequence[tuple[dict, Iterable[str]]]) -> list[int | None]:
    """Several messages (each its column values and its users) in two statements — a scan raises
    thousands of warnings at once; the message ids in order, None where nobody was left."""
    people = [list(dict.fromkeys(u for u in to if u)) for _, to in items]
    sent = [values for values, who in zip((v for v, _ in items), people) if who]
    if not sent:
        return [None] * len(items)
    fields = ("kind", "sender", "subject", "body", "entity", "record_id", "ref", "audience", "sent_at")
    ids = iter(conn.execute(insert(m).returning(m.c.id, sort_by_parameter_order=True),
                            [{f: v.get(f) for f in fields} for v in sent]).scalars().all())
    out = [next(ids) if who else None for who in people]
    conn.execute(insert(mr), [{"message_id": mid, "username": u, "read_at": None}
                              for mid, who in zip(out, people) if mid is not None for u in who])
    return out


def send(engine: Engine, *, sender: str, subject: str, body: str = "", now: datetime, users: Sequence[str] = (),
         departments: Sequence[str] = (), roles: Sequence[str] = (), departments_list=None,
         entity: str | None = None, record_id: int | None = None) -> int:
    """A message from a user; ValidationError when the subject is blank, too long, or nobody
    is addressed. The sender does not receive a copy (it is in their sent list)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = [msg("必填", "required")]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = [msg(f"最多 {MAX_SUBJECT} 个字符", f"at most {MAX_SUBJECT} characters")]
    if len(body) > MAX_BODY:
        errors["body"] = [msg(f"最多 {MAX_BODY} 个字符", f"at most {MAX_BODY} characters")]
    audience = {"users": list(users), "departments": list(departments), "roles": list(roles)}
    with _write(engine) as conn, conn.begin():
        people = [u for u in recipients(conn, users_=users, departments=departments, roles=roles,
                                        departments_list=departments_list) if u != sender]
        if not people:
            errors["to"] = [msg("没有收件人:请选择用户、部门或角色", "nobody to send to: choose users, departments or roles")]
        if errors:
            raise ValidationError(errors)
        return deliver(conn, people, kind="message", subject=subject, body=body or None, sender=sender, now=now,
                       entity=entity, record_id=record_id, audience=audience)


# -- hooks: to-dos, warnings, reminders arrive in the inbox -----------------------------------------

def _label(label, fallback: str) -> dict:
    if isinstance(label, Mapping):
        return {"zh": label.get("zh") or label.get("en") or fallback, "en": label.get("en") or label.get("zh") or fallback}
    return {"zh": str(label or fallback), "en": str(label or fallback)}


def on_task(conn: Connection, *, task_id: int, assignee: str, kind: str, state: str, step, inst,
            now: datetime, actor: str | None = None) -> None:
    """A workflow task was created (core/workflow/moves.py): an open one, or a CC, is announced to
    its assignee; a task still waiting for another is announced by nobody (it shows in 待办 when it
    opens), nor one the acting user gave themselves (starting a flow whose first step is theirs)."""
    if state != "open" or assignee == actor:
        return
    s = _label(getattr(step, "label", None), step.name)
    zh, en = ("抄送", "CC") if kind == "cc" else ("待办", "To do")
    deliver(conn, [assignee], kind="task", subject={"zh": f"{zh}:{s['zh']}", "en": f"{en}: {s['en']}"},
            now=now, entity=inst.entity, record_id=inst.record_id, ref=task_id)


def on_reminder(conn: Connection, *, task, step, inst, now: datetime) -> None:
    """A deadline reminder fired for an overdue task (core/workflow/deadlines.py)."""
    s = _label(getattr(step, "label", None), step.name)
    deliver(conn, [task.assignee], kind="reminder", now=now, entity=inst.entity, record_id=inst.record_id,
            ref=task.id, subject={"zh": f"催办:{s['zh']} 已超期", "en": f"Reminder: {s['en']} is overdue"})


def on_warning(conn: Connection, added: Sequence[dict], fresh: Iterable[int] = ()) -> None:
    """Recipients were added to warnings (core/warnings/persist.py; rows {warning_id, username,
    escalated}): each gets a message with the warning's level and text, dated when it was last seen.
    `fresh` warnings were raised in this transaction: none of them was announced before."""
    by_warning: dict[int, list[str]] = {}
    for row in added:
        by_warning.setdefault(row["warning_id"], []).append(row["username"])
    if not by_warning:
        return
    rows = conn.execute(select(w.c.id, w.c.level, w.c.message, w.c.entity, w.c.record_id, w.c.last_seen_at,
                               w.c.error).where(w.c.id.in_(list(by_warning)))).all()
    # the messages sent before, then their recipients: two lookups by index (a join of the two
    # tables is planned as a scan of all recipients once they are many)
    fresh = set(fresh)
    older = [wid for wid in by_warning if wid not in fresh]
    sent = dict(conn.execute(select(m.c.id, m.c.ref).where(and_(m.c.kind == "warning", m.c.ref.in_(older))))
                .all()) if older else {}
    have = {(sent[r.message_id], r.username) for r in conn.execute(
        select(mr.c.message_id, mr.c.username).where(mr.c.message_id.in_(list(sent))))} if sent else set()
    items = []
    for r in rows:
        people = [u for u in by_warning[r.id] if (r.id, u) not in have]     # once per warning and user
        if r.error or not people:          # a failing rule is an administrator's problem, reported on the rules screen
            continue
        text = _label(r.message, "")
        items.append(({"kind": "warning", "sent_at": r.last_seen_at, "entity": r.entity, "record_id": r.record_id,
                       "ref": r.id, "subject": {"zh": f"预警:{text['zh']}", "en": f"Warning: {text['en']}"},
                       "body": {"level": r.level}}, people))
    if items:
        deliver_many(conn, items)


# -- reading -----------------------------------------------------------------------------------

def unread_count(engine: Engine, username: str) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(mr).where(and_(
            mr.c.username == username, mr.c.read_at.is_(None)))).scalar_one()


def inbox(engine: Engine, username: str, *, show: str = "all", page: int = 1, size: int = 20) -> Page:
    """The user's messages: unread first, then newest first; `show` all | unread | read."""
    where = [mr.c.username == username]
    if show == "unread":
        where.append(mr.c.read_at.is_(None))
    elif show == "read":
        where.append(mr.c.read_at.is_not(None))
    page, size = max(1, page), max(1, min(size, 200))
    with engine.connect() as c:
        total = c.execute(select(func.count()).select_from(mr).where(and_(*where))).scalar_one()
        q = (select(m, mr.c.read_at).join(mr, mr.c.message_id == m.c.id).where(and_(*where))
             .order_by(case((mr.c.read_at.is_(None), 0), else_=1), m.c.id.desc())
             .limit(size).offset((page - 1) * size))
        items = [_message(r, r.read_at) for r in c.execute(q)]
    return Page(items, total, page, size)


def sent(engine: Engine, username: str, *, page: int = 1, size: int = 20) -> Page:
    page, size = max(1, page), max(1, min(size, 200))
    with engine.connect() as c:
        where = m.c.sender == username
        total = c.execute(select(func.count()).select_from(m).where(where)).scalar_one()
        rows = c.execute(select(m).where(where).order_by(m.c.id.desc()).limit(size).offset((page - 1) * size))
        items = [_message(r) for r in rows]
    return Page(items, total, page, size)


def get(engine: Engine, message_id: int, username: str) -> Message:
    """A message its recipient or its sender may see; NotFound for anybody else (nobody learns
    that someone else's message exists)."""
    with engine.connect() as c:
        row = c.execute(select(m, mr.c.read_at).outerjoin(mr, and_(mr.c.message_id == m.c.id, mr.c.username == username))
                        .where(m.c.id == message_id)).first()
    if row is None or (row.sender != username and not _is_recipient(engine, message_id, username)):
        raise NotFound(msg("消息不存在", "message not found"))
    return _message(row, row.read_at)


def _is_recipient(engine: Engine, message_id: int, username: str) -> bool:
    with engine.connect() as c:
        return c.execute(select(mr.c.username).where(and_(mr.c.message_id == message_id,
                                                          mr.c.username == username))).first() is not None


def recipients_of(engine: Engine, message_id: int) -> list[tuple[str, datetime | None]]:
    with engine.connect() as c:
        return [(r.username, r.read_at) for r in c.execute(select(mr.c.username, mr.c.read_at).where(
            mr.c.message_id == message_id).order_by(mr.c.username))]


def read(engine: Engine, message_id: int, username: str, now: datetime) -> Message:
    """The message, marked read for this recipient (the first time only)."""
    message = get(engine, message_id, username)
    if message.read_at is None and _is_recipient(engine, message_id, username):
        mark(engine, [message_id], username, now)
        message = get(engine, message_id, username)
    return message


def mark(engine: Engine, message_ids: Sequence[int] | None, username: str, now: datetime | None) -> int:
    """Mark the user's messages read (`now`) or unread (None); None ids: every unread message.
    Returns how many changed. Another user's messages are never touched."""
    where = [mr.c.username == username]
    if message_ids is not None:
        if not message_ids:
            return 0
        where.append(mr.c.message_id.in_(list(message_ids)))
    where.append(mr.c.read_at.is_(None) if now is not None else mr.c.read_at.is_not(None))
    with _write(engine) as c, c.begin():
        return c.execute(update(mr).where(and_(*where)).values(read_at=now)).rowcount


# -- announcements ----------------------------------------------------------------------------

def can_publish(roles: Iterable[str]) -> bool:
    return bool(PUBLISHERS & set(roles))


def publish(engine: Engine, *, author: str, roles: Iterable[str], title: str, body: str, now: datetime,
            published_at: datetime | None = None, expires_at: datetime | None = None) -> int:
    if not can_publish(roles):
        raise PermissionDenied(msg("只有管理员可以发布公告", "only administrators publish announcements"))
    title, body = (title or "").strip(), (body or "").strip()
    published_at = published_at or now
    errors = {}
    if not title:
        errors["title"] = [msg("必填", "required")]
    elif len(title) > MAX_SUBJECT:
        errors["title"] = [msg(f"最多 {MAX_SUBJECT} 个字符", f"at most {MAX_SUBJECT} characters")]
    if not body:
        errors["body"] = [msg("必填", "required")]
    elif len(body) > MAX_BODY:
        errors["body"] = [msg(f"最多 {MAX_BODY} 个字符", f"at most {MAX_BODY} characters")]
    if expires_at is not None and expires_at <= published_at:
        errors["expires_at"] = [msg("到期时间须晚于发布时间", "the expiry must come after the publication")]
    if errors:
        raise ValidationError(errors)
    with _write(engine) as c, c.begin():
        return c.execute(insert(an).values(title=title, body=body, author=author, published_at=published_at,
                                           expires_at=expires_at, created_at=now).returning(an.c.id)).scalar_one()


def withdraw(engine: Engine, announcement_id: int, *, roles: Iterable[str], now: datetime) -> None:
    """End an announcement now (it stays in the list of past ones for administrators)."""
    if not can_publish(roles):
        raise PermissionDenied(msg("只有管理员可以撤下公告", "only administrators withdraw announcements"))
    with _write(engine) as c, c.begin():
        if not c.execute(update(an).where(an.c.id == announcement_id).values(expires_at=now)).rowcount:
            raise NotFound(msg("公告不存在", "announcement not found"))


def announcements(engine: Engine, now: datetime, *, everything: bool = False, limit: int = 50) -> list[Announcement]:
    """The announcements in force now (published, not expired), newest first; `everything`:
    scheduled and expired ones too (for administrators)."""
    q = select(an)
    if not everything:
        q = q.where(and_(an.c.published_at <= now, or_(an.c.expires_at.is_(None), an.c.expires_at > now)))
    with engine.connect() as c:
        return [Announcement(**r._mapping) for r in c.execute(q.order_by(an.c.published_at.desc(), an.c.id.desc())
                                                              .limit(limit))]
