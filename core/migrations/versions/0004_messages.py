"""The message center: messages, their recipients (with read_at) and announcements.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Doc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("sender", sa.String(length=100), nullable=True),
        sa.Column("subject", Doc, nullable=False),
        sa.Column("body", Doc, nullable=True),
        sa.Column("entity", sa.String(length=63), nullable=True),
        sa.Column("record_id", Id, nullable=True),
        sa.Column("ref", Id, nullable=True),
        sa.Column("audience", Doc, nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_messages_ref", "messages", ["kind", "ref"])
    op.create_index("ix_messages_sender", "messages", ["sender", "id"])
    op.create_table(
        "message_recipients",
        sa.Column("message_id", Id, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("message_id", "username"),
    )
    op.create_index("ix_message_recipients_inbox", "message_recipients", ["username", "read_at", "message_id"])
    op.create_table(
        "announcements",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=10000), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_announcements_published", "announcements", ["published_at", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_announcements_published", table_name="announcements")
    op.drop_table("announcements")
    op.drop_index("ix_message_recipients_inbox", table_name="message_recipients")
    op.drop_table("message_recipients")
    op.drop_index("ix_messages_sender", table_name="messages")
    op.drop_index("ix_messages_ref", table_name="messages")
    op.drop_table("messages")
