"""The graph queries reach mentions, relations and participants through their indexes only (SQLite's
EXPLAIN QUERY PLAN), so their cost follows the rows they need, not the size of the corpus."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import event, select

from app.articles import repository as articles_repo
from app.events import repository as events_repo
from app.graph import repository
from app.models import Article, Event

BIG_TABLES = r"(mentions|other|relations|event_participants|articles|events)(_\d+)?"


@pytest.fixture
def explain(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans are checked on SQLite")

    def run(stmt, params=None) -> list[str]:
        seen: list[tuple[str, object]] = []

        def grab(conn, cursor, statement, parameters, context, executemany):
            seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", grab)
        try:
            with engine.connect() as conn:
                conn.execute(stmt, params or {}).all()
                sql, bound = seen[-1]  # (after the BEGIN the connection sends itself)
                return [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, bound)]
        finally:
            event.remove(engine, "before_cursor_execute", grab)

    return run


def full_scans(plan: list[str], *, ordered_walk: str | None = None) -> list[str]:
    """Plan lines that read a whole table (or a whole index); `ordered_walk` names the one index a paged
    list may walk in its sort order."""
    bad = []
    for line in plan:
        m = re.match(rf"SCAN {BIG_TABLES}\b(.*)", line)
        if m and not (ordered_walk and f"INDEX {ordered_walk}" in m.group(3)):
            bad.append(line)
    return bad


@pytest.mark.parametrize("window", [False, True])
@pytest.mark.parametrize("actors", [[1], [1, 2, 3]])
def test_network_hop_uses_indexes(explain, window, actors):
    stmt, params = repository.co_mention_query(
        actors,
        per_actor=100,
        scan_cap=1000,
        since=datetime(2024, 1, 1) if window else None,
        until=datetime(2025, 1, 1) if window else None,
        min_weight=1,
        top_k=10,
        keep_pairs=[(actors[0], 5)],
    )
    plan = explain(stmt, params)
    assert full_scans(plan) == [], plan
    assert any("ix_mentions_actor_id_article_id" in line for line in plan), plan
    assert any(
        "SEARCH other USING INDEX ix_mentions_article_id_start_offset" in line
        or "SEARCH other USING COVERING INDEX ix_mentions_article_id_actor_id" in line
        for line in plan
    ), plan


def test_relation_hop_uses_indexes(explain):
    plan = explain(repository.relations_touching_statement([1, 2, 3], date(2024, 1, 1), ["member_of"]))
    assert full_scans(plan) == [], plan


@pytest.mark.parametrize("with_id", [None, 2])
def test_timelines_use_indexes(explain, with_id):
    start, end = datetime(2024, 1, 1), datetime(2025, 1, 1)
    for interval in ("day", "week", "month"):
        plan = explain(repository.mention_timeline_statement(1, interval, start, end, with_id))
        assert full_scans(plan) == [], plan
        plan = explain(
            repository.event_timeline_statement(1, interval, start.date(), end.date(), "04", with_id)
        )
        assert full_scans(plan) == [], plan


def test_member_of_pages_walk_the_date_index(explain):
    page = (
        select(Article.id)
        .where(articles_repo.member_of_condition(1))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(21)
    )
    plan = explain(page)
    assert full_scans(plan, ordered_walk="ix_articles_published_at_id_story_id") == [], plan
    events = (
        select(Event.id)
        .where(events_repo.member_of_condition(1))
        .order_by(Event.start_date.desc(), Event.id.desc())
        .limit(21)
    )
    plan = explain(events)
    assert full_scans(plan, ordered_walk="ix_events_start_date_id") == [], plan
