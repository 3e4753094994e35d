"""The statements that store a batch must keep their index plans on a large database (SQLite).

SQLite's planner works from `sqlite_stat1`; ANALYZE counts a mostly-NULL column such as
`duplicate_of_id` as if each value held ~2 rows, so a WHERE clause with `duplicate_of_id IS NULL` looked
selective and the near-duplicate lookup walked that index over nearly every article (measured on 1M rows:
736 ms a batch of 500 instead of 96 with the band indexes). The stats of a 1,000,000-article database are
written here by hand (as ANALYZE wrote them for a realistic table) and the plan of the statement the
repository runs is read back with EXPLAIN QUERY PLAN. (Since migration 0013 the lookup reads at most
NEAR_DUPLICATE_BUCKET articles per band value, which bounds it on any statistics.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app import migrate
from app.articles import repository
from app.config import Settings
from app.db import make_sync_engine
from app.stories import repository as stories_repo

# (table, index) -> stat as ANALYZE wrote it for 1M articles (random 16-bit bands, 2 % near-duplicates;
# bench/near_duplicates.py) and 7.5M mentions (bench/data/1M.db).
STATS = {
    ("articles", "ix_articles_sh0_id_simhash"): "1000000 16 1 1",
    ("articles", "ix_articles_sh1_id_simhash"): "1000000 16 1 1",
    ("articles", "ix_articles_sh2_id_simhash"): "1000000 16 1 1",
    ("articles", "ix_articles_sh3_id_simhash"): "1000000 16 1 1",
    ("articles", "ix_articles_duplicate_of_id"): "1000000 2",
    ("articles", "ix_articles_published_at_id_story_id"): "1000000 2 1 1",
    ("articles", "ix_articles_story_id_published_at_id"): "1000000 3 2 1",
    ("articles", "ix_articles_story_id_source"): "1000000 3 2",
    ("mentions", "ix_mentions_actor_id_article_id"): "7500000 2001 3",
    ("mentions", "ix_mentions_article_id_actor_id"): "7500000 8 3",
}


def _hand_written_stats(session: Session) -> None:
    session.execute(text("ANALYZE"))
    session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl IN ('articles', 'mentions')"))
    for (table, idx), stat in STATS.items():
        session.execute(
            text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
            {"t": table, "i": idx, "s": stat},
        )


def _plans(
    tmp_path: Path,
    run: Callable[[Session], Any],
    marker: str,
    prepare: Callable[[Session], None] = _hand_written_stats,
) -> list[list[str]]:
    """The plans of the statements `run` sends whose SQL holds `marker`, on a database whose statistics
    `prepare` made (by default STATS)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/plans.db", _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if marker in statement:
            seen.append((statement, parameters))

    try:
        with Session(engine) as session:
            prepare(session)
            session.commit()
        with Session(engine) as session:
            session.execute(text("ANALYZE sqlite_schema"))  # the planner reads the edited stats again
            run(session)
            assert seen, f"no statement with {marker!r} was sent"
            raw = session.connection().connection.driver_connection
            return [
                [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
                for statement, parameters in seen
            ]
    finally:
        engine.dispose()


def test_near_duplicate_lookup_reads_each_band_value_on_its_index(tmp_path):
    """One statement per band; each value's oldest holders are read from the (shN, id, simhash) index,
    a range stopping at the NEAR_DUPLICATE_BUCKET-th, and never from the table (migration 0015: at 1M articles the
    table lookups of ~70k holders a batch were 0.5-1.2 s of it). The repository sends the statements on
    the driver's cursor, which SQLAlchemy's events do not see: they are sent here as it builds them."""
    bands = [sorted(range(b * 1000, b * 1000 + 500)) for b in range(4)]

    def run(session: Session) -> None:
        for b, values in enumerate(bands):
            statement = text(repository._band_statement(b, False))
            session.execute(statement, {"vals": json.dumps(values), "cap": repository.NEAR_DUPLICATE_BUCKET})

    plans = _plans(tmp_path, run, "json_each")
    assert len(plans) == 4
    for b, plan in enumerate(plans):
        assert not any("duplicate_of_id" in step for step in plan), plan
        assert any(f"USING COVERING INDEX ix_articles_sh{b}_id_simhash (sh{b}=?)" in step for step in plan), (
            plan
        )
        # A range of the value's holders up to its NEAR_DUPLICATE_BUCKET-th oldest, not a seek for each.
        assert any(
            f"USING COVERING INDEX ix_articles_sh{b}_id_simhash (sh{b}=? AND id<?)" in step for step in plan
        ), plan
        assert any("CORRELATED SCALAR SUBQUERY" in step for step in plan), plan
        assert not any("PRIMARY KEY" in step for step in plan), plan


def test_story_candidates_walk_the_date_index_that_holds_story_id(tmp_path):
    """Both plans of stories.repository.candidates walk the window on the (published_at, id, story_id)
    index, so the story check needs no table row, and look mentions up in an index alone."""
    day = datetime(2024, 6, 1)

    def run(session: Session) -> None:
        for common in (False, True):
            stories_repo.candidates(session, [1, 2, 3], day - timedelta(days=3), day, 200, common)

    plans = _plans(tmp_path, run, "story_sig")
    assert len(plans) == 2
    for plan in plans:
        assert "USING INDEX ix_articles_published_at_id_story_id (published_at>? AND published_at<?)" in (
            " ".join(plan)
        ), plan
        assert any("mentions USING COVERING INDEX" in step for step in plan), plan


def test_a_batch_pool_reads_each_articles_mentions_not_each_actor(tmp_path):
    """The candidates of a whole batch (stories.repository.window_pool) walk the window on the date index
    and read each article's mentions by article_id alone: SQLite sought (article_id, actor_id) once per
    actor of the batch for every article of the window (150 actors at 1M: 115 ms a batch, 38 without).
    Two reads, sent on the driver's cursor once compiled (here through SQLAlchemy, whose events see
    them): the articles of the window, and their mentions of the batch's actors without leaving the two
    indexes."""
    day = datetime(2024, 6, 1)
    params = {"since": day - timedelta(days=12), "until": day}

    def run(session: Session) -> None:
        session.execute(stories_repo._POOL_ARTICLES, params)
        session.execute(stories_repo._POOL_MENTIONS, {**params, "actors": list(range(1, 151))})

    articles, mentions = _plans(tmp_path, run, "story_id IS NOT NULL")
    window = "ix_articles_published_at_id_story_id (published_at>? AND published_at<?)"
    assert any(f"USING INDEX {window}" in step for step in articles), articles
    assert any(f"USING COVERING INDEX {window}" in step for step in mentions), mentions
    assert any(
        "mentions USING COVERING INDEX ix_mentions_article_id_actor_id (article_id=?)" in step
        for step in mentions
    ), mentions


def test_merging_stories_looks_merged_ones_up_after_analyze(tmp_path):
    """Nearly every story has merged_into NULL. SQLite's ANALYZE counted that as one value held by every
    row (here: statistics taken before any merge), and with a full index on merged_into the merge then
    scanned the stories table (73 ms a merge at 1M stories). The partial index (migration 0014) holds
    merged stories only."""

    def stories_never_merged(session: Session) -> None:
        day = datetime(2024, 6, 1)
        session.execute(
            text(
                "INSERT INTO stories (title, first_seen, last_seen, article_count, source_count, "
                "merged_into, created_at, updated_at) VALUES ('s', :d, :d, 1, 1, :m, :d, :d)"
            ),
            [{"d": day, "m": None} for _ in range(20_000)],
        )
        session.execute(text("ANALYZE"))

    def merge(session: Session) -> None:  # the statements merge() sends on SQLite's cursor
        params = {"losers": [10, 11], "winner": 12, "now": datetime(2024, 6, 2)}
        session.execute(stories_repo._MOVE_ARTICLES, params)
        session.execute(stories_repo._MARK_MERGED, params)

    (moved,) = _plans(tmp_path, merge, "UPDATE articles", stories_never_merged)
    assert not any(step.startswith("SCAN articles") for step in moved), moved
    (plan,) = _plans(tmp_path, merge, "UPDATE stories", stories_never_merged)
    assert not any(step.startswith("SCAN stories") for step in plan), plan
    assert any("ix_stories_merged_into (merged_into=?)" in step for step in plan), plan


def test_a_story_recount_reads_its_figures_from_indexes_alone(tmp_path):
    """stories.repository.refresh recounts the stories a batch touched. Its distinct sources come from the
    (story_id, source) index, in order, and its count and dates from the (story_id, published_at, id) index:
    with one GROUP BY over the articles every article of the story was a table read for its source (a
    story of 31k articles: 64 ms a batch, 4 ms from the indexes)."""

    def run(session: Session) -> None:
        session.execute(stories_repo._STATS, {"ids": [1, 2, 3]})

    (plan,) = _plans(tmp_path, run, "AS source_count")
    assert any("COVERING INDEX ix_articles_story_id_source (story_id=?)" in step for step in plan), plan
    article_steps = [step for step in plan if "articles" in step]
    assert len(article_steps) == 4, plan
    assert all("COVERING INDEX" in step for step in article_steps), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
