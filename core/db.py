"""Database: the generic record tables, engine creation, and per-field expression indexes.

Records are JSON documents in one table (no DDL when metadata changes); fields that are filtered,
sorted or unique get expression indexes, created when metadata is installed. Child-table rows are
mirrored into `record_rows` so they can be filtered and summed in SQL.
"""
from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, UniqueConstraint, create_engine, event, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

ENV_URL = "DANBAO_DATABASE_URL"
Doc = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrement needs INTEGER

schema = MetaData()

records = Table(
    "records", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity", String(63), nullable=False),
    Column("data", Doc, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("meta_version", Integer),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(100)),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100)),
    Index("ix_records_entity_id", "entity", "deleted", "id"),
)

record_rows = Table(
    "record_rows", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_id", Id, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(63), nullable=False),
    Column("field", String(63), nullable=False),
    Column("position", Integer, nullable=False),
    Column("data", Doc, nullable=False),
    Index("ix_record_rows_record", "record_id", "field"),
    Index("ix_record_rows_entity_field", "entity", "field"),
)

history = Table(
    "history", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity", String(63), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("action", String(20), nullable=False),        # create | update | delete | purge
    Column("actor", String(100)),
    Column("at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changes", Doc, nullable=False),               # {field: [before, after]} / snapshot
    Index("ix_history_record", "entity", "record_id", "id"),
)

sequences = Table(
    "sequences", schema,
    Column("name", String(200), primary_key=True),       # entity:field:period
    Column("value", BigInteger, nullable=False),
)

meta_versions = Table(
    "meta_versions", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("digest", String(64), nullable=False),
    Column("packs", Doc, nullable=False),                 # [{name, version, label, files: {path: text}}]
    Column("installed_at", DateTime, nullable=False),
    Column("installed_by", String(100)),
    Column("indexes", Doc, nullable=False),               # names of the expression indexes it made
    Column("note", String(200)),                          # how it came: published draft, restored, imported
)

meta_drafts = Table(
    "meta_drafts", schema,                                # the studio's draft (core/drafts.py): one at a time
    Column("id", Integer, primary_key=True),
    Column("packs", Doc, nullable=False),                 # the complete set of packs, as in meta_versions
    Column("based_on", Integer),                          # the version the draft started from
    Column("note", String(200)),
    Column("conversions", Doc),                           # {"entity.field": {old value: new value}}
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(100)),
)

users = Table(
    "users", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(300)),
    Column("roles", Doc, nullable=False),
    Column("department", String(63)),
    Column("positions", Doc, nullable=False, default=list, server_default=text("'[]'")),  # 岗位 (workflow resolvers)
    Column("manager_id", Id),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),   # consecutive failed sign-ins
    Column("locked_until", DateTime),                               # sign-in refused until then
    UniqueConstraint("username", name="uq_users_username"),
)

files = Table(
    "files", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("entity", String(63), nullable=False),       # the entity and field it was uploaded for
    Column("field", String(127), nullable=False),
    Column("record_id", Id),                            # set once a saved record refers to it
    Column("uploaded_by", String(100)),
    Column("uploaded_at", DateTime, nullable=False),
    Index("ix_files_record", "entity", "record_id"),
)


def _loads(s):
    return json.loads(s, parse_float=Decimal) if isinstance(s, (str, bytes)) else s


def _dumps(obj):
    return json.dumps(obj, ensure_ascii=False, default=_default, separators=(",", ":"))


def _default(o):
    if isinstance(o, Decimal):
        return str(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"cannot store {type(o).__name__} as JSON")


def default_url(instance: str | Path = "instance") -> str:
    url = os.environ.get(ENV_URL)
    if url:
        return url
    Path(instance).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance).resolve() / 'danbao.sqlite'}"


def make_engine(url: str | None = None, **kw) -> Engine:
    url = url or default_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        kw.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    engine = create_engine(url, json_serializer=_dumps, json_deserializer=_loads, **kw)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Writes take the lock up front (BEGIN IMMEDIATE): concurrent writers queue instead of
            # failing with 'database is locked' half-way through a transaction.
            write = conn.get_execution_options().get("danbao_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    return engine


def create_schema(engine: Engine) -> None:
    """Create the platform tables, or upgrade them to this release (core.migrate)."""
    from .migrate import upgrade   # core.migrate imports this module
    upgrade(engine)


RECORD_TABLES = ("records", "record_rows", "wf_instances", "wf_tasks")
WARNING_TABLES = ("warnings", "warning_recipients", "messages", "message_recipients")


def analyze(engine: Engine, tables: tuple[str, ...] = RECORD_TABLES) -> None:
    """Refresh the planner's statistics, so filtered lists pick the field indexes and to-do lists
    the task indexes. Run after installing metadata and after bulk imports (PostgreSQL's
    autovacuum also does it over time); the warning scan runs it on WARNING_TABLES as it fills them."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            for table in tables:
                conn.exec_driver_sql(f"ANALYZE {table}")
        conn.commit()


def drop_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        for name in expression_indexes(conn):
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    schema.drop_all(engine)


def expression_indexes(conn) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'fx\\_%' ESCAPE '\\'"))
    else:
        rows = conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'fx\\_%'"))
    return [r[0] for r in rows]


# -- workflow engine (core/workflow) ----------------------------------------------------------

wf_definitions = Table(
    "wf_definitions", schema,                          # each workflow definition an instance ran on
    Column("digest", String(64), primary_key=True),    # content hash of `source`
    Column("workflow", String(63), nullable=False),
    Column("meta_version", Integer),                   # the metadata version it came from (first seen)
    Column("source", Doc, nullable=False),             # the workflow document, as compiled
)

wf_instances = Table(
    "wf_instances", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("workflow", String(63), nullable=False),
    Column("definition", String(64), nullable=False),   # wf_definitions.digest: runs on this version
    Column("meta_version", Integer),
    Column("entity", String(63), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("state", String(20), nullable=False),        # running | approved | rejected | withdrawn
    Column("step", String(63)),                         # the current step (the end step when over)
    Column("round", Integer, nullable=False, default=1),  # increases on every step entry
    Column("initiator", String(100), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("version", Integer, nullable=False, default=1),  # optimistic lock, +1 on every action
    Index("ix_wf_instances_record", "entity", "record_id", "id"),
    Index("ix_wf_instances_initiator", "initiator", "state", "id"),
)

wf_tasks = Table(
    "wf_tasks", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("instance_id", Id, ForeignKey("wf_instances.id", ondelete="CASCADE"), nullable=False),
    Column("step", String(63), nullable=False),
    Column("round", Integer, nullable=False),           # the instance's round when created
    Column("assignee", String(100), nullable=False),
    Column("kind", String(10), nullable=False),         # task | approve | vote | cc
    Column("state", String(12), nullable=False),        # open | waiting | done | cancelled (cc: open = unread)
    Column("seq", Integer, nullable=False, default=0),  # order for sequential approval
    Column("waits_for", Id),                            # waiting task: opens when this task is done
    Column("origin", String(12), nullable=False, default="resolved"),  # resolved | added | delegated | transferred | escalated
    Column("created_at", DateTime, nullable=False),
    Column("due_at", DateTime),
    Column("reminded_at", DateTime),
    Column("acted_at", DateTime),
    Column("action", String(20)),                       # what the assignee did
    Column("opinion", String(2000)),
    Column("on_behalf_of", String(100)),
    Column("delegated_from", String(100)),
    Column("added_by", String(100)),
    Index("ix_wf_tasks_todo", "assignee", "state", "kind", "id"),       # counts, CCs
    # to-do and done lists, newest first: walked in id order and stopped at the page, where the
    # index above must sort every match of `kind IN (…)` (a committee member has ~70k done at 100k)
    Index("ix_wf_tasks_list", "assignee", "state", "id"),
    Index("ix_wf_tasks_instance", "instance_id", "step", "round"),
    Index("ix_wf_tasks_due", "state", "due_at"),
)

wf_proxies = Table(
    "wf_proxies", schema,                               # standing proxy authorisations (审批代理)
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("principal", String(100), nullable=False),   # the absent user …
    Column("proxy", String(100), nullable=False),       # … who authorises this user to act for them
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("workflows", Doc),                           # only these workflow names; null: every workflow
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
    Column("revoked_by", String(100)),
    Index("ix_wf_proxies_proxy", "proxy", "ends_at"),
    Index("ix_wf_proxies_principal", "principal", "ends_at"),
)

wf_actions = Table(
    "wf_actions", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("instance_id", Id, ForeignKey("wf_instances.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", Id),
    Column("step", String(63)),
    Column("actor", String(100), nullable=False),
    Column("on_behalf_of", String(100)),
    Column("action", String(20), nullable=False),
    Column("from_step", String(63)),
    Column("to_step", String(63)),
    Column("opinion", String(2000)),
    Column("attachments", Doc),                         # file ids
    Column("data", Doc),                                # details: a vote's tally and resolution, users added…
    Column("at", DateTime, nullable=False),
    Index("ix_wf_actions_instance", "instance_id", "id"),
    Index("ix_wf_actions_actor", "actor", "id"),
)


# -- warnings (core/warnings, docs/rules.md) --------------------------------------------------

WARNING_LIVE = "state IN ('open', 'acknowledged')"    # at most one live warning per rule+record+key

warnings = Table(
    "warnings", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule", String(63), nullable=False),
    Column("entity", String(63), nullable=False),
    Column("record_id", Id, nullable=False),
    Column("key", String(200), nullable=False, default=""),   # the rule's `key` value ("" for one per record)
    Column("level", String(10), nullable=False),              # red | orange | yellow | blue
    Column("message", Doc, nullable=False),                   # {zh: …, en: …} as filled when last seen
    Column("error", String(2000)),                            # set: the rule failed on the record (for admins)
    Column("state", String(12), nullable=False),              # open | acknowledged | handled | resolved
    Column("raised_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),         # the condition last held
    Column("escalated_at", DateTime),
    Column("acknowledged_by", String(100)),
    Column("acknowledged_at", DateTime),
    Column("handled_by", String(100)),
    Column("handled_at", DateTime),
    Column("note", String(2000)),                             # the handler's note
    Column("resolved_at", DateTime),                          # the condition no longer held
    Index("uq_warnings_live", "rule", "entity", "record_id", "key", unique=True,
          sqlite_where=text(WARNING_LIVE), postgresql_where=text(WARNING_LIVE)),
    Index("ix_warnings_record", "entity", "record_id", "state"),
    Index("ix_warnings_state", "state", "rule", "raised_at"),
)

warning_recipients = Table(
    "warning_recipients", schema,                            # who sees a warning (我的预警)
    Column("warning_id", Id, ForeignKey("warnings.id", ondelete="CASCADE"), primary_key=True),
    Column("username", String(100), primary_key=True),
    Column("escalated", Boolean, nullable=False, default=False),   # added by escalation
    Index("ix_warning_recipients_user", "username", "warning_id"),
)


# -- messages (core/messages.py, docs/ui.md "Messages") ----------------------------------------

messages = Table(
    "messages", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),        # message | task | warning | reminder
    Column("sender", String(100)),                     # null: the system
    Column("subject", Doc, nullable=False),            # a string, or {zh: …, en: …} for system messages
    Column("body", Doc),
    Column("entity", String(63)),                      # the record it is about (optional)
    Column("record_id", Id),
    Column("ref", Id),                                 # the task or warning it announces
    Column("audience", Doc),                           # as addressed: {users, departments, roles}
    Column("sent_at", DateTime, nullable=False),
    Index("ix_messages_ref", "kind", "ref"),
    Index("ix_messages_sender", "sender", "id"),
)

message_recipients = Table(
    "message_recipients", schema,
    Column("message_id", Id, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("username", String(100), primary_key=True),
    Column("read_at", DateTime),
    Index("ix_message_recipients_inbox", "username", "read_at", "message_id"),
)

announcements = Table(
    "announcements", schema,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("body", String(10000), nullable=False),
    Column("author", String(100), nullable=False),
    Column("published_at", DateTime, nullable=False),  # shown from then …
    Column("expires_at", DateTime),                    # … until then (null: no end)
    Column("created_at", DateTime, nullable=False),
    Index("ix_announcements_published", "published_at", "expires_at"),
)

# the in-app scheduler's runs (core/scheduler.py): one row per job and slot (a day, or an interval's
# start), inserted by the process that runs it — so several app processes run each job once
job_runs = Table(
    "job_runs", schema,
    Column("job", String(63), primary_key=True),
    Column("slot", String(32), primary_key=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("ok", Boolean),
    Column("result", String(2000)),
)
