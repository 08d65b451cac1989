"""Alembic migrations of the platform tables (records, history, users, files, wf_* …).

Business data needs no migrations: records are JSON documents and metadata changes are
installed, not migrated. These scripts change the platform's own tables between releases;
`core.migrate.upgrade` runs them. New revision: see docs/architecture.md, "Migrations".
"""
