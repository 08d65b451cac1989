"""Users: accounts, roles and passwords (hashed with werkzeug's PBKDF2/scrypt helpers).

    create_user(engine, "li", name="李经理", roles=["pm_a"], password="…")
    user = authenticate(engine, "li", "…")     # None when the name or password is wrong
    result = sign_in(engine, "li", "…", now=clock.now())   # the same, with lock-out after failures

Roles are plain names that metadata permissions refer to (`permissions: {read: [pm_a, risk]}`).
Positions (岗位, e.g. 风控经理) are free text, or codes of the `position` code list where the
installed metadata has one; workflow steps resolve approvers by them (`{position: 风控经理}`).
"""
from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .db import users
from .errors import DanbaoError, NotFound, ValidationError, msg

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
ROLE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_PASSWORD = 6
MAX_FAILURES = 5                     # consecutive failed sign-ins before the account is locked
LOCK_MINUTES = 15                    # how long it stays locked
MAX_POSITION = 63                    # characters of a position name
# A hash that never matches, checked when the user does not exist so that a wrong name and a
# wrong password take the same time.
_DUMMY_HASH = generate_password_hash("not a password")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    roles: frozenset[str]
    department: str | None = None
    active: bool = True
    positions: tuple[str, ...] = ()


def _user(row) -> User:
    return User(row.id, row.username, row.name, frozenset(row.roles or ()), row.department, bool(row.active),
                tuple(row.positions or ()))


def _positions(positions) -> list[str]:
    """Trimmed, without blanks and duplicates, in the order given."""
    out = []
    for p in positions or ():
        p = str(p).strip()
        if p and p not in out:
            out.append(p)
    if any(len(p) > MAX_POSITION for p in out):
        raise ValidationError({"positions": [msg(f"岗位名称最多 {MAX_POSITION} 个字符",
                                                 f"a position has at most {MAX_POSITION} characters")]})
    return out


def _check(username: str, name: str, roles, password: str | None) -> None:
    errors = {}
    if not USERNAME.match(username or ""):
        errors["username"] = [msg("用户名只能包含字母、数字和 _ . @ -", "user names may contain letters, digits and _ . @ -")]
    if not (name or "").strip():
        errors["name"] = [msg("必填", "required")]
    bad = [r for r in roles if not ROLE.match(r)]
    if bad:
        errors["roles"] = [msg(f"角色名称无效:{', '.join(bad)}", f"invalid role name(s): {', '.join(bad)}")]
    if password is not None:
        errors.update(_password_errors(password))
    if errors:
        raise ValidationError(errors)


def _password_errors(password: str) -> dict:
    if len(password or "") < MIN_PASSWORD:
        return {"password": [msg(f"密码至少 {MIN_PASSWORD} 个字符", f"a password needs at least {MIN_PASSWORD} characters")]}
    return {}


def create_user(engine: Engine, username: str, *, name: str, roles=(), password: str | None = None,
                department: str | None = None, positions=()) -> User:
    """Add a user. Without a password the user cannot sign in until one is set."""
    roles = sorted(set(roles))
    _check(username, name, roles, password)
    positions = _positions(positions)
    values = {"username": username, "name": name.strip(), "roles": roles, "department": department,
              "positions": positions, "active": True,
              "password_hash": generate_password_hash(password) if password else None}
    try:
        with engine.begin() as conn:
            uid = conn.execute(insert(users).values(**values).returning(users.c.id)).scalar_one()
    except IntegrityError:
        raise ValidationError({"username": [msg(f"用户名「{username}」已存在", f"user '{username}' already exists")]}) from None
    return User(uid, username, values["name"], frozenset(roles), department, True, tuple(positions))


def set_password(engine: Engine, username: str, password: str) -> None:
    errors = _password_errors(password)
    if errors:
        raise ValidationError(errors)
    with engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.username == username)
                            .values(password_hash=generate_password_hash(password),
                                    failed_logins=0, locked_until=None)).rowcount
    if done != 1:
        raise NotFound(msg(f"用户「{username}」不存在", f"no user '{username}'"))


def set_roles(engine: Engine, username: str, roles) -> None:
    roles = sorted(set(roles))
    bad = [r for r in roles if not ROLE.match(r)]
    if bad:
        raise ValidationError({"roles": [msg(f"角色名称无效:{', '.join(bad)}", f"invalid role name(s): {', '.join(bad)}")]})
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.username == username).values(roles=roles)).rowcount != 1:
            raise NotFound(msg(f"用户「{username}」不存在", f"no user '{username}'"))


def set_positions(engine: Engine, username: str, positions) -> None:
    """Replace the user's positions (岗位)."""
    positions = _positions(positions)
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.username == username).values(positions=positions)).rowcount != 1:
            raise NotFound(msg(f"用户「{username}」不存在", f"no user '{username}'"))


def set_active(engine: Engine, username: str, active: bool) -> None:
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.username == username).values(active=active)).rowcount != 1:
            raise NotFound(msg(f"用户「{username}」不存在", f"no user '{username}'"))


def get_user(engine: Engine, *, id: int | None = None, username: str | None = None) -> User | None:
    """An active or inactive user by id or name; None when there is none."""
    if (id is None) == (username is None):
        raise DanbaoError(msg("请给出用户 ID 或用户名之一", "give exactly one of id and username"))
    cond = users.c.id == id if id is not None else users.c.username == username
    with engine.connect() as conn:
        row = conn.execute(select(users).where(cond)).first()
    return _user(row) if row else None


def list_users(engine: Engine | Connection) -> list[User]:
    """Every user, by user name (through the caller's connection when given one)."""
    with (nullcontext(engine) if isinstance(engine, Connection) else engine.connect()) as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (never says which part was wrong)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == (username or ""))).first()
    if row is None or not row.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(row.password_hash, password or "") or not row.active:
        return None
    return _user(row)


@dataclass(frozen=True)
class SignIn:
    """The outcome of `sign_in`: the user when it worked; `locked_until` when the account is locked
    (then the password was not even checked)."""
    user: User | None
    locked_until: datetime | None = None


def sign_in(engine: Engine, username: str, password: str, *, now: datetime,
            max_failures: int = MAX_FAILURES, lock_minutes: int = LOCK_MINUTES) -> SignIn:
    """Check a sign-in with lock-out: `max_failures` consecutive wrong passwords lock the account for
    `lock_minutes` (counted from `now`, which comes from the injected clock). A success resets the
    count. Unknown names are answered exactly like wrong passwords."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == (username or ""))).first()
    if row is None or not row.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return SignIn(None)
    if row.locked_until is not None and row.locked_until > now:
        return SignIn(None, row.locked_until)
    if check_password_hash(row.password_hash, password or "") and row.active:
        if row.failed_logins or row.locked_until is not None:
            with engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None))
        return SignIn(_user(row))
    with engine.begin() as conn:   # one atomic increment: parallel attempts all count
        failures = conn.execute(update(users).where(users.c.id == row.id)
                                .values(failed_logins=users.c.failed_logins + 1, locked_until=None)
                                .returning(users.c.failed_logins)).scalar_one()
        if failures >= max_failures:
            until = now + timedelta(minutes=lock_minutes)
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=until))
            return SignIn(None, until)
    return SignIn(None)


def unlock(engine: Engine, username: str) -> None:
    """Lift a lock-out and forget failed sign-ins (setting a password does this too)."""
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.username == username)
                        .values(failed_logins=0, locked_until=None)).rowcount != 1:
            raise NotFound(msg(f"用户「{username}」不存在", f"no user '{username}'"))
