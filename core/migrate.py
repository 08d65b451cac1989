"""Bring the platform tables to the current release with Alembic (scripts in core/migrations).

- An empty database gets every table from core.db in one `create_all` and is stamped at the
  newest revision (Alembic's recipe for new databases: nothing to replay).
- A database made before migrations existed (tables, no `alembic_version`) is stamped at the
  baseline, then upgraded.
- Any other database is upgraded from its revision to the newest.

All of it runs in one transaction on PostgreSQL (transactional DDL), so a failed upgrade leaves
the database as it was.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from .db import schema

SCRIPTS = Path(__file__).parent / "migrations"
BASELINE = "0001"


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = conn
    return cfg


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What migrations manage: not the expression indexes installing metadata makes (`fx_…`)."""
    return not (type_ == "index" and name and name.startswith("fx_")) and name != "alembic_version"


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def revision(conn: Connection) -> str | None:
    """The database's revision (None: not under migrations yet)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        current = revision(conn)
        if current == head():
            return
        if current is None and not inspect(conn).has_table("records"):
            schema.create_all(conn)
            MigrationContext.configure(conn).stamp(ScriptDirectory.from_config(_config()), "head")
            return
        cfg = _config(conn)
        if current is None:
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")


def draft(message: str) -> Path:
    """Write a new revision drafted by autogenerate (core.db against a scratch SQLite database at
    the newest revision); returns its path. Read and correct it before committing."""
    import tempfile

    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as tmp:
        scratch = create_engine(f"sqlite:///{tmp}/draft.sqlite")
        with scratch.begin() as conn:
            cfg = _config(conn)
            command.upgrade(cfg, "head")
            number = f"{int(head()) + 1:04d}"
            script = command.revision(cfg, message, autogenerate=True, rev_id=number)
        scratch.dispose()
    return Path(script.path)
