"""the date index of articles covers story_id

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 23:00:00+00:00

Story assignment walks the articles published within three days of an arriving one, newest first, and
keeps those already in a story that mention one of its actors (app/stories/repository.py:candidates).
With story_id in the date index the walk reads the index alone and the table row only for the matches:
at 1M articles 3.5-4.6 ms -> 1.7-2.3 ms an article. Every use of the old (published_at, id) index (date
orders, keyset pages, windows) is served by the new one's first two columns.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_articles_published_at_id_story_id", "articles", ["published_at", "id", "story_id"], unique=False
    )
    op.drop_index("ix_articles_published_at_id", table_name="articles")


def downgrade() -> None:
    op.create_index("ix_articles_published_at_id", "articles", ["published_at", "id"], unique=False)
    op.drop_index("ix_articles_published_at_id_story_id", table_name="articles")
