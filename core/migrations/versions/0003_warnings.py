"""Warnings raised by warning rules (预警) and their recipients; at most one live (open or
acknowledged) warning per rule, record and key, by a partial unique index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Doc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
LIVE = "state IN ('open', 'acknowledged')"


def upgrade() -> None:
    op.create_table(
        "warnings",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=63), nullable=False),
        sa.Column("entity", sa.String(length=63), nullable=False),
        sa.Column("record_id", Id, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", Doc, nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_warnings_record", "warnings", ["entity", "record_id", "state"])
    op.create_index("ix_warnings_state", "warnings", ["state", "rule", "raised_at"])
    op.create_index("uq_warnings_live", "warnings", ["rule", "entity", "record_id", "key"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_table(
        "warning_recipients",
        sa.Column("warning_id", Id, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["warning_id"], ["warnings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("warning_id", "username"),
    )
    op.create_index("ix_warning_recipients_user", "warning_recipients", ["username", "warning_id"])


def downgrade() -> None:
    op.drop_index("ix_warning_recipients_user", table_name="warning_recipients")
    op.drop_table("warning_recipients")
    op.drop_index("uq_warnings_live", table_name="warnings")
    op.drop_index("ix_warnings_state", table_name="warnings")
    op.drop_index("ix_warnings_record", table_name="warnings")
    op.drop_table("warnings")
