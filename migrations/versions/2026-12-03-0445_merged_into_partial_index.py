"""the index of stories.merged_into holds merged stories only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 04:45:00+00:00

Merging stories updates those merged into the losers (app/stories/repository.py:merge). Nearly every
story has merged_into NULL; SQLite's ANALYZE counts that as one value held by every row, and with such
statistics the planner scanned the whole stories table for every merge (73 ms a merge at 1M stories).
A partial index holds only the merged stories: its statistics are those of the real values, and
`merged_into IN (...)` implies the index's condition, so both engines look it up.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("merged_into IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_stories_merged_into", table_name="stories")
    op.create_index(
        "ix_stories_merged_into",
        "stories",
        ["merged_into"],
        unique=False,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_stories_merged_into", table_name="stories")
    op.create_index("ix_stories_merged_into", "stories", ["merged_into"], unique=False)
