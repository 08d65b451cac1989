"""Migrations of the platform tables: a new database, an old one made before migrations, and the
guard that every change to core.db comes with a migration."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from core import metastore, migrate
from core.db import drop_schema, schema, users
from metadata.source import read_pack_dir
from tests.conftest import PACKS


def _empty(engine):
    drop_schema(engine)
    assert inspect(engine).get_table_names() == []


def _diff(engine, include=migrate.include_object):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        return compare_metadata(ctx, schema)


def test_replaying_every_migration_gives_the_tables_core_db_declares(engine):
    """Fails when a column, table or index is added to core.db without a migration."""
    _empty(engine)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
    with engine.begin() as conn:     # every downgrade script runs, and the way back up is the same
        command.downgrade(migrate._config(conn), "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "head")
    assert _diff(engine) == []


def test_a_new_database_is_created_whole_and_stamped(engine):
    _empty(engine)
    migrate.upgrade(engine)
    assert _diff(engine) == []
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
    migrate.upgrade(engine)          # again: nothing to do
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()


def test_a_database_from_before_migrations_is_stamped_and_upgraded_keeping_its_data(engine):
    _empty(engine)
    with engine.begin() as conn:     # the released baseline, as `create_all` made it then
        command.upgrade(migrate._config(conn), migrate.BASELINE)
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("INSERT INTO users (username, name, roles, active, failed_logins) "
                          "VALUES ('li', '李', '[\"pm\"]', true, 0)"))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.head()
        assert conn.execute(select(users.c.name).where(users.c.username == "li")).scalar_one() == "李"
    assert _diff(engine) == []


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_expression_indexes_of_installed_metadata_are_not_the_migrations_business(engine):
    metastore.install(engine, [read_pack_dir(PACKS / "mini")])
    if engine.dialect.name == "postgresql":   # SQLite's reflection does not see expression indexes
        assert any("fx_" in str(d) for d in _diff(engine, lambda *a: a[2] != "table" or a[1] != "alembic_version"))
    assert _diff(engine) == []
