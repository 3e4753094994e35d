"""the simhash band indexes hold the article id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 04:30:00+00:00

The near-duplicate lookup reads, for each band value of an arriving batch, the oldest stored articles
holding it, at most NEAR_DUPLICATE_BUCKET of them (app/articles/repository.py:near_duplicate_candidates).
(shN, id) gives them in id order on both engines, so the read stops after that many; SQLite's (shN) index
held the rowid already, PostgreSQL's did not. Before, a batch read every article sharing any band value
with it: on a corpus whose simhash bits are far from uniform (the 1M benchmark corpus: 941k rows for a
batch of 500) that is most of the table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for b in range(4):
        op.create_index(f"ix_articles_sh{b}_id", "articles", [f"sh{b}", "id"], unique=False)
        op.drop_index(f"ix_articles_sh{b}", table_name="articles")


def downgrade() -> None:
    for b in range(4):
        op.create_index(f"ix_articles_sh{b}", "articles", [f"sh{b}"], unique=False)
        op.drop_index(f"ix_articles_sh{b}_id", table_name="articles")
