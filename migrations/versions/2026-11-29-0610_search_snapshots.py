"""search snapshots: frozen relevance orders for stable cursors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_snapshots",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("ids", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_search_snapshots")),
    )
    op.create_index(op.f("ix_search_snapshots_created_at"), "search_snapshots", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_search_snapshots_created_at"), table_name="search_snapshots")
    op.drop_table("search_snapshots")
