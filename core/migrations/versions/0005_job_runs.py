"""The in-app scheduler's job runs (core/scheduler.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=63), nullable=False),
        sa.Column("slot", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("result", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("job", "slot"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
