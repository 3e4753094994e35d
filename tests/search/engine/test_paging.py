"""Keyset walks over ties, membership as of each article's date, and request validation."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from app.models import Article, Mention
from app.search.engine import EngineError, Filters, MemberSpan
from app.search.query import parse
from tests.search.engine.corpus import TIE_AT, TIE_GROUP
from tests.search.engine.test_oracle import engine_walk


def sql_order(world, desc: bool) -> list[int]:
    with world.sync.connect() as conn:
        cols = (
            (Article.published_at.desc(), Article.id.desc()) if desc else (Article.published_at, Article.id)
        )
        return list(conn.execute(select(Article.id).order_by(*cols)).scalars())


@pytest.mark.parametrize("page", [1, 2, 5, TIE_GROUP - 1, TIE_GROUP + 3])
@pytest.mark.parametrize("sort", ["-published_at", "published_at"])
def test_keyset_walk_yields_each_article_once_in_order(world, page, sort):
    expected = sql_order(world, sort == "-published_at")
    got = engine_walk(world.reader, None, Filters(), sort, page=page)
    assert got == expected


def test_tie_group_is_ordered_by_id(world):
    assert len(world.corpus.tie_ids) >= TIE_GROUP
    at = Filters(published_after=TIE_AT, published_before=TIE_AT.replace(microsecond=TIE_AT.microsecond + 1))
    walked = engine_walk(world.reader, None, at, "-published_at", page=3)
    assert walked == sorted(world.corpus.tie_ids, reverse=True)
    # A cursor in the middle of the group continues strictly after it.
    res = world.reader.search(None, at, sort="published_at", limit=4)
    nxt = world.reader.search(None, at, sort="published_at", limit=50, after=res.after)
    assert [h.id for h in res.hits + nxt.hits] == sorted(world.corpus.tie_ids)


def test_member_of_is_as_of_each_article_date(world):
    """India is a NATO member until 2023-06-01 and Brazil from 2022-03-01 to 2024-01-01 (corpus.py): their
    articles count only inside those spans."""
    slugs = world.corpus.actors
    spans = [
        MemberSpan(slugs["india"], None, date(2023, 6, 1)),
        MemberSpan(slugs["brazil"], date(2022, 3, 1), date(2024, 1, 1)),
    ]
    got = set(engine_walk(world.reader, None, Filters(member_of=spans), "-published_at", page=50))
    expected: set[int] = set()
    seen_outside = 0
    with world.sync.connect() as conn:
        for slug, (valid_from, valid_to) in world.corpus.spans.items():
            rows = conn.execute(
                select(Article.id, Article.published_at)
                .join(Mention, Mention.article_id == Article.id)
                .where(Mention.actor_id == slugs[slug])
                .distinct()
            ).all()
            for article_id, published in rows:
                inside = (valid_from is None or published >= datetime.combine(valid_from, time())) and (
                    valid_to is None or published < datetime.combine(valid_to, time())
                )
                if inside:
                    expected.add(article_id)
                else:
                    seen_outside += 1
    assert got == expected and expected
    assert seen_outside > 0  # the corpus has articles outside the spans, and they were left out
    assert world.reader.count(None, Filters(member_of=[])) == 0


def test_bad_requests_are_engine_errors(world):
    r = world.reader
    with pytest.raises(EngineError):
        r.search(None, sort="relevance")
    with pytest.raises(EngineError):
        r.search(parse("sanctions"), sort="relevance", after=(datetime(2024, 1, 1), 5))
    with pytest.raises(EngineError):
        r.search(parse("sanctions"), limit=10_001)
    with pytest.raises(EngineError):
        r.search(None, sort="-published_at", offset=20)
    with pytest.raises(EngineError):
        r.facets(None, None, ["colour"])
    with pytest.raises(EngineError):
        r.histogram(None, None, "year", date(2024, 1, 1), date(2024, 2, 1))
    with pytest.raises(EngineError):
        r.histogram(None, None, "day", date(2020, 1, 1), date(2024, 1, 1))  # > 1,000 buckets
    empty = Filters(published_after=datetime(2024, 1, 2), published_before=datetime(2024, 1, 1))
    assert r.count(None, empty) == 0


@pytest.mark.parametrize("sort", ["-published_at", "published_at"])
def test_a_few_articles_from_year_1_to_9999_page_by_date(tmp_path, sort):
    """The first date window is the index's span over a few documents times WINDOW_DOCS: with articles
    dated from year 1 to 9999 its bound left the column's i64 and Tantivy refused the range (a 500 the fuzz
    job found on GET /v1/articles). Every page is read, in order."""
    from app.search.engine import Reader
    from app.search.engine.documents import ArticleDoc
    from app.search.engine.indexer import Indexer

    dates = [datetime(1, 1, 1), datetime(1999, 5, 1), datetime(2024, 3, 1, 12), datetime(9999, 12, 31, 23)]
    docs = [
        ArticleDoc(i + 1, f"Dated {i}", "Troops and talks.", "example.org", "en", d)
        for i, d in enumerate(dates)
    ]
    root = tmp_path / "index"
    with Indexer.open(root) as indexer:
        indexer.upsert(docs)
        indexer.commit(1)
    reader = Reader(root)
    expected = [4, 3, 2, 1] if sort == "-published_at" else [1, 2, 3, 4]
    seen, after = [], None
    while True:
        page = reader.search(None, Filters(), sort=sort, limit=1, after=after)  # type: ignore[arg-type]
        seen += [h.id for h in page.hits]
        if not page.more:
            break
        after = page.after
    assert seen == expected
    assert [h.id for h in reader.search(parse("troops"), sort=sort, limit=10).hits] == expected
