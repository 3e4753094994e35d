"""stories: articles grouped by story as they arrive; articles.story_id and the story signature

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-01 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("source_count", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_index(op.f("ix_stories_merged_into"), "stories", ["merged_into"])
    op.create_index("ix_stories_last_seen_id", "stories", ["last_seen", "id"])
    op.create_index("ix_stories_article_count_id", "stories", ["article_count", "id"])
    # Plain ADD COLUMN (no batch copy): SQLite adds nullable columns in place and keeps the FTS triggers.
    op.add_column("articles", sa.Column("story_id", sa.Integer(), nullable=True))
    op.add_column("articles", sa.Column("story_sig", sa.LargeBinary(), nullable=True))
    op.create_index(
        "ix_articles_story_id_published_at_id", "articles", ["story_id", "published_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_articles_story_id_published_at_id", table_name="articles")
    # Native DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy of articles would lose its FTS triggers.
    for column in ("story_sig", "story_id"):
        op.drop_column("articles", column)
    op.drop_table("stories")
