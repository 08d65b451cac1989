"""Positions of users (岗位, for workflow approvers), standing proxy authorisations (审批代理)
and the index the to-do and done lists walk.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Doc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "wf_proxies",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("principal", sa.String(length=100), nullable=False),
        sa.Column("proxy", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("workflows", Doc, nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wf_proxies_principal", "wf_proxies", ["principal", "ends_at"])
    op.create_index("ix_wf_proxies_proxy", "wf_proxies", ["proxy", "ends_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("positions", Doc, server_default=sa.text("'[]'"), nullable=False))
    op.create_index("ix_wf_tasks_list", "wf_tasks", ["assignee", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_wf_tasks_list", table_name="wf_tasks")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("positions")
    op.drop_index("ix_wf_proxies_proxy", table_name="wf_proxies")
    op.drop_index("ix_wf_proxies_principal", table_name="wf_proxies")
    op.drop_table("wf_proxies")
