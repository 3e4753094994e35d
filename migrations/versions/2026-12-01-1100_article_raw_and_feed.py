"""articles: where the date came from, the feed's title, the language detector's confidence; article_raw
keeps the posted HTML when a client asks (never indexed)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-01 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite adds nullable columns in place and keeps the FTS triggers.
    op.add_column("articles", sa.Column("language_confidence", sa.Float(), nullable=True))
    op.add_column("articles", sa.Column("date_source", sa.String(length=16), nullable=True))
    op.add_column("articles", sa.Column("feed_title", sa.String(length=500), nullable=True))
    op.create_table(
        "article_raw",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_raw_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_raw")),
    )


def downgrade() -> None:
    op.drop_table("article_raw")
    # Native DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy of articles would lose its FTS triggers.
    for column in ("feed_title", "date_source", "language_confidence"):
        op.drop_column("articles", column)
