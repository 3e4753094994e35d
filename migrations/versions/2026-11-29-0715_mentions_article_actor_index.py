"""mentions (article_id, actor_id): probe an article's actors from the index alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 07:15:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_mentions_article_id_actor_id", "mentions", ["article_id", "actor_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_mentions_article_id_actor_id", table_name="mentions")
