"""the simhash band indexes cover the simhash

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00+00:00

The near-duplicate lookup reads, for each band value of an arriving batch, the oldest stored articles
holding it and compares their simhashes with the batch's (app/articles/repository.py:
near_duplicate_candidates). With (shN, id) each of those rows was a lookup in the articles table, whose
rows hold the texts: ingesting into the 1M benchmark corpus, ~70k lookups a batch of 500, 0.5-1.2 s.
(shN, id, simhash) answers the lookup from the index alone (40-80 ms); whether a holder is itself a
near-duplicate is asked afterwards, for the few within reach only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for b in range(4):
        op.create_index(f"ix_articles_sh{b}_id_simhash", "articles", [f"sh{b}", "id", "simhash"], unique=False)
        op.drop_index(f"ix_articles_sh{b}_id", table_name="articles")


def downgrade() -> None:
    for b in range(4):
        op.create_index(f"ix_articles_sh{b}_id", "articles", [f"sh{b}", "id"], unique=False)
        op.drop_index(f"ix_articles_sh{b}_id_simhash", table_name="articles")
