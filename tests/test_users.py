"""Users: hashed passwords, roles, sign-in checks."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import users
from core.errors import NotFound, ValidationError
from core.users import (
    authenticate,
    create_user,
    get_user,
    list_users,
    set_active,
    set_password,
    set_roles,
)


def test_create_and_authenticate(engine):
    u = create_user(engine, "li", name="李经理", roles=["pm", "risk", "pm"], password="s3cret!")
    assert u.roles == {"pm", "risk"}
    with engine.connect() as c:
        hashed = c.execute(select(users.c.password_hash).where(users.c.username == "li")).scalar_one()
    assert "s3cret!" not in hashed and len(hashed) > 40
    assert authenticate(engine, "li", "s3cret!").name == "李经理"
    assert authenticate(engine, "li", "wrong") is None
    assert authenticate(engine, "nobody", "s3cret!") is None
    assert get_user(engine, id=u.id).username == "li"
    assert get_user(engine, username="nobody") is None


def test_validation(engine):
    create_user(engine, "li", name="李", password="secret1")
    with pytest.raises(ValidationError) as e:
        create_user(engine, "li", name="又一个", password="secret1")
    assert "username" in e.value.errors
    with pytest.raises(ValidationError) as e:
        create_user(engine, "bad name", name="", roles=["Bad Role"], password="123")
    assert set(e.value.errors) == {"username", "name", "roles", "password"}


def test_passwords_roles_and_deactivation(engine):
    create_user(engine, "wang", name="王")                    # no password: cannot sign in
    assert authenticate(engine, "wang", "") is None
    set_password(engine, "wang", "letmein1")
    assert authenticate(engine, "wang", "letmein1")
    with pytest.raises(ValidationError):
        set_password(engine, "wang", "short")
    with pytest.raises(NotFound):
        set_password(engine, "nobody", "letmein1")
    set_roles(engine, "wang", ["gm"])
    assert get_user(engine, username="wang").roles == {"gm"}
    set_active(engine, "wang", False)
    assert authenticate(engine, "wang", "letmein1") is None
    assert [u.username for u in list_users(engine)] == ["wang"]
