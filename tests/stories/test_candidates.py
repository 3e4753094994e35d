"""A batch's stored candidates read at once (`_Stored`'s window pool) are exactly the ones the per-article
query finds: the same articles, in the same order, under the same cap, with merges followed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.db import make_sync_engine
from app.dialect import immediate_writes
from app.models import Article, Mention, Story
from app.stories import repository, service
from app.stories.service import NewArticle, _Stored

from .conftest import labelled, post_bulk


@pytest.mark.parametrize("cap", [3, 200])
def test_window_pool_picks_what_the_per_article_query_finds(
    client, write_headers, settings, monkeypatch, cap
):
    recs = labelled()
    random.Random(5).shuffle(recs)
    for k in range(0, len(recs), 20):
        post_bulk(client, write_headers, recs[k : k + 20])
    monkeypatch.setattr(service, "CANDIDATES", cap)
    engine = make_sync_engine(settings)
    try:  # it writes (a merge): BEGIN IMMEDIATE on SQLite, as the ingestion transaction does
        with Session(immediate_writes(engine)) as session, session.begin():
            rows = session.execute(
                select(Article.id, Article.title, Article.published_at, Article.story_sig)
            ).all()
            actors: dict[int, set[int]] = {}
            for aid, actor in session.execute(select(Mention.article_id, Mention.actor_id)):
                actors.setdefault(aid, set()).add(actor)
            # Probes as arriving articles would be: stored ones, and ones an hour later (ids not stored).
            probes = [NewArticle(a, t, p, sig, frozenset(actors.get(a, ()))) for a, t, p, sig in rows]
            probes += [NewArticle(10**9 + p.id, p.title, p.published_at + timedelta(hours=1), p.story_sig,
                                  p.actor_ids) for p in probes]  # fmt: skip
            probes = [p for p in probes if p.actor_ids]
            pooled = _Stored(session, probes)
            monkeypatch.setattr(service, "POOL_MIN_BATCH", 10**9)
            queried = _Stored(session, probes)
            assert pooled.pool is not None and queried.pool is None
            found = 0
            for p in probes:
                assert pooled.of(p) == queried.of(p)
                found += len(queried.of(p))
                assert len(queried.of(p)) <= cap
            assert found > 2 * len(probes)  # the probes do find candidates
            # A merge during the batch: the pool follows it as the database's rows do.
            stories = sorted({s for p in probes for _, _, s, _ in queried.of(p)})
            assert len(stories) >= 2
            loser, winner = stories[0], stories[-1]
            repository.merge(session, [loser], winner)
            pooled.merged([loser], winner)
            assert any(s == winner for p in probes for _, a, s, _ in pooled.of(p))
            for p in probes:
                assert pooled.of(p) == queried.of(p)
    finally:
        engine.dispose()


def test_a_dense_window_is_asked_per_article(client, write_headers, settings, monkeypatch):
    """More stored articles in the batch's window than POOL_PER_ARTICLE per new one: no pool."""
    recs = labelled()
    post_bulk(client, write_headers, recs[:40])
    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session, session.begin():
            rows = session.execute(select(Article.id, Article.title, Article.published_at)).all()
            probes = [NewArticle(10**9 + a, t, p, None, frozenset({1})) for a, t, p in rows[:8]]
            monkeypatch.setattr(service, "POOL_PER_ARTICLE", 1)
            assert _Stored(session, probes).pool is None
            monkeypatch.setattr(service, "POOL_PER_ARTICLE", 40)
            assert _Stored(session, probes).pool is not None
            # A pool whose matrix (its articles by the batch's actors) would pass POOL_CELLS: none either.
            monkeypatch.setattr(service, "POOL_CELLS", 40 * len(probes) - 1)
            assert _Stored(session, probes).pool is None
    finally:
        engine.dispose()


def test_an_actor_found_common_is_not_counted_again(client, write_headers, settings, monkeypatch):
    """Which actors are common is counted once per database for those found common (their mentions only
    grow); the others are counted again, since they may become common. Both plans find the same rows."""
    post_bulk(client, write_headers, labelled()[:40])
    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session:
            counts = session.execute(
                select(Mention.actor_id, func.count())
                .group_by(Mention.actor_id)
                .order_by(func.count().desc())
            ).all()
            assert counts[0][1] >= 3 and counts[-1][1] < 3, counts
            monkeypatch.setattr(repository, "COMMON_MENTIONS", 3)
            monkeypatch.setattr(repository, "_common", {})
            sent: list[int] = []

            @event.listens_for(engine, "before_cursor_execute")
            def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
                if "count(" in statement.lower():
                    sent.append(1)

            every = [a for a, _ in counts]
            common = {a for a, n in counts if n >= 3}
            assert repository.common_actors(session, every) == common
            assert len(sent) == len(every)
            assert repository.common_actors(session, every) == common
            assert len(sent) == 2 * len(every) - len(common)  # the common ones were not counted again
    finally:
        engine.dispose()


def test_a_merge_moves_the_losers_articles_and_marks_them_updated(client, write_headers, settings):
    """merge() runs compiled on SQLite's cursor: it sets what Core's onupdate set, the moved articles'
    updated_at, besides their story and the loser's merged_into."""
    post_bulk(client, write_headers, labelled()[:40])
    engine = make_sync_engine(settings)
    try:
        with Session(immediate_writes(engine)) as session, session.begin():
            stories = sorted({s for (s,) in session.execute(select(Article.story_id)) if s is not None})
            loser, winner = stories[0], stories[-1]
            old = datetime(2001, 1, 1)
            session.execute(update(Article).where(Article.story_id == loser).values(updated_at=old))
            moved = [a for (a,) in session.execute(select(Article.id).where(Article.story_id == loser))]
            repository.merge(session, [loser], winner)
            rows = session.execute(
                select(Article.story_id, Article.updated_at).where(Article.id.in_(moved))
            ).all()
            assert moved and all(s == winner and u > old for s, u in rows), rows
            assert session.execute(select(Story.merged_into).where(Story.id == loser)).scalar() == winner
    finally:
        engine.dispose()
