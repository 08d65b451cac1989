"""The studio's draft (core/drafts.py) and a note on each metadata version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Doc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("meta_versions", sa.Column("note", sa.String(length=200), nullable=True))
    op.create_table(
        "meta_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packs", Doc, nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("conversions", Doc, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("meta_drafts")
    op.drop_column("meta_versions", "note")
