"""A batch's near-duplicates of stored articles take their originals' stories, read for the whole batch at
once (`repository.stories_of`): a story merged earlier in the same batch is followed to the story it was
merged into, as reading the original's row at the time did."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import make_sync_engine
from app.dialect import immediate_writes
from app.models import Article
from app.stories import repository, service
from app.stories.service import MERGE, NewArticle

from .conftest import post_bulk


def _rec(n: int, title: str, body: str, at: str) -> dict[str, str]:
    return {"url": f"https://wire{n}.example.com/a", "title": title, "body": body, "published_at": at,
            "source": f"wire{n}.example.com"}  # fmt: skip


def test_a_copy_follows_its_originals_story_merged_earlier_in_the_batch(
    client, write_headers, settings, monkeypatch
):
    first, second, bridge, copy = post_bulk(
        client,
        write_headers,
        [
            _rec(1, "Grain corridor", "Ukraine reopened the grain corridor from Odesa port this week.",
                 "2026-05-01T08:00:00Z"),
            _rec(2, "Tariff talks", "Japan and Australia discussed tariffs on steel in Canberra on Monday.",
                 "2026-05-01T09:00:00Z"),
            _rec(3, "A bridge", "NATO ministers met in Brussels to discuss ammunition for Ukraine.",
                 "2026-05-02T08:00:00Z"),
            _rec(4, "A copy", "South Korea hosted a summit on semiconductors and supply chains.",
                 "2026-05-02T09:00:00Z"),
        ],
    )  # fmt: skip
    engine = make_sync_engine(settings)
    try:
        with Session(immediate_writes(engine)) as session, session.begin():
            story = dict(session.execute(select(Article.id, Article.story_id)).all())
            winner, loser = sorted((story[first], story[second]))
            assert winner != loser
            original = first if story[first] == loser else second
            # The last two are a batch arriving: stored without a story until it is assigned.
            session.execute(update(Article).where(Article.id.in_([bridge, copy])).values(story_id=None))

            def bridging(art, stored, near, unpacked=None):  # the bridge scores both stories for a merge
                return {winner: MERGE + 0.1, loser: MERGE + 0.1} if art.id == bridge else {}

            monkeypatch.setattr(service, "match", bridging)
            asked: list[set[int]] = []
            real = repository.stories_of
            monkeypatch.setattr(
                repository, "stories_of", lambda s, ids: asked.append(set(ids)) or real(s, ids)
            )
            service.assign(
                session,
                [
                    NewArticle(bridge, "A bridge", _at(session, bridge), None, frozenset({1})),
                    NewArticle(copy, "A copy", _at(session, copy), None, frozenset({2}), original),
                ],
            )
            after = dict(session.execute(select(Article.id, Article.story_id)).all())
        assert asked == [{original}]  # one read for the batch
        # The loser's articles moved to the winner, and the copy joined the winner, not the merged story.
        assert after[first] == after[second] == after[bridge] == after[copy] == winner
    finally:
        engine.dispose()


def _at(session: Session, article_id: int):  # type: ignore[no-untyped-def]
    return session.execute(select(Article.published_at).where(Article.id == article_id)).scalar_one()
