"""The statements that store a batch must keep their index plans on a large database.

SQLite's planner works from `sqlite_stat1`; ANALYZE counts a mostly-NULL column such as
`duplicate_of_id` as if each value held ~2 rows, so a WHERE clause with `duplicate_of_id IS NULL` looked
selective and the near-duplicate lookup walked that index over nearly every article (measured on 1M rows:
736 ms a batch of 500 instead of 96 with the band indexes). The stats of a 1,000,000-article database are
written here by hand (as ANALYZE wrote them for a realistic table) and the plan of the statement the
repository runs is read back with EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app import migrate
from app.articles import repository
from app.config import Settings
from app.db import make_sync_engine

# index -> stat as ANALYZE (analysis_limit 1000) wrote it for 1M articles with random 16-bit bands and 2 %
# near-duplicates.
STATS = {
    "ix_articles_sh0": "1000000 16",
    "ix_articles_sh1": "1000000 16",
    "ix_articles_sh2": "1000000 16",
    "ix_articles_sh3": "1000000 16",
    "ix_articles_duplicate_of_id": "1000000 2",
}


def _plan_of_candidates(tmp_path: Path) -> list[str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/plans.db", _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM articles" in statement and "sh0" in statement:
            seen.append((statement, parameters))

    try:
        with Session(engine) as session:
            session.execute(text("ANALYZE"))
            session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'articles'"))
            for idx, stat in STATS.items():
                session.execute(
                    text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('articles', :i, :s)"),
                    {"i": idx, "s": stat},
                )
            session.commit()
        with Session(engine) as session:
            session.execute(text("ANALYZE sqlite_schema"))  # the planner reads the edited stats again
            bands = [set(range(b * 1000, b * 1000 + 500)) for b in range(4)]
            assert repository.near_duplicate_candidates(session, bands) == []
            assert len(seen) == 1
            statement, parameters = seen[0]
            raw = session.connection().connection.driver_connection
            return [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
    finally:
        engine.dispose()


def test_near_duplicate_lookup_uses_the_band_indexes(tmp_path):
    plan = _plan_of_candidates(tmp_path)
    assert not any("duplicate_of_id" in step for step in plan), plan
    for b in range(4):
        assert any(f"ix_articles_sh{b}" in step for step in plan), plan
