"""Every SQL query of the engine: reading articles into index documents, and the membership spans that
`member_of` filters on. Sync SQLAlchemy Core on a Connection (rebuilds and the change-feed follower run in
threads or the CLI, never on the event loop)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from ...models import Actor, Article, ArticlePlace, EventArticle, Mention, Relation
from .documents import ArticleDoc

# Ids per IN (...) list: well under SQLite's 32,766 bound variables, and plans stay index lookups.
CHUNK = 5_000


class MemberSpan(NamedTuple):
    """`actor_id` counts as a member from `valid_from` (inclusive) to `valid_to` (exclusive); None is
    open-ended. An article matches when it mentions the actor and its publication day is in the span."""

    actor_id: int
    valid_from: date | None = None
    valid_to: date | None = None


_ARTICLE_COLUMNS = (
    Article.id,
    Article.title,
    Article.body,
    Article.source,
    Article.language,
    Article.published_at,
    Article.duplicate_of_id,
    Article.created_at,
)


def _build(conn: Connection, of_articles: Callable[[Any], Any]) -> list[ArticleDoc]:
    """The documents of the articles whose id column `of_articles(column)` selects (the same condition on
    articles.id and on each child table's article_id)."""
    docs: dict[int, ArticleDoc] = {}
    for r in conn.execute(select(*_ARTICLE_COLUMNS).where(of_articles(Article.id)).order_by(Article.id)):
        docs[r[0]] = ArticleDoc(
            id=r[0],
            title=r[1] or "",
            body=r[2] or "",
            source=r[3],
            language=r[4],
            published_at=r[5],
            duplicate_of=r[6],
            created_at=r[7],
        )
    if not docs:
        return []
    # Mentions alone, then their actors by id: joining in SQL let SQLite scan actors and probe mentions
    # per actor (341 ms for 2,000 articles at 1M, against 31 ms + 1 ms this way).
    mentioned: dict[int, set[int]] = {}
    for article_id, actor_id in conn.execute(
        select(Mention.article_id, Mention.actor_id).where(of_articles(Mention.article_id))
    ):
        mentioned.setdefault(article_id, set()).add(actor_id)
    wanted = sorted(set().union(*mentioned.values())) if mentioned else []
    info: dict[int, tuple[str, str | None]] = {}
    for i in range(0, len(wanted), CHUNK):
        rows = conn.execute(
            select(Actor.id, Actor.kind, Actor.country).where(Actor.id.in_(wanted[i : i + CHUNK]))
        )
        info.update((actor_id, (kind, country)) for actor_id, kind, country in rows)
    events: dict[int, list[int]] = {}
    for event_id, article_id in conn.execute(
        select(EventArticle.event_id, EventArticle.article_id).where(of_articles(EventArticle.article_id))
    ):
        events.setdefault(article_id, []).append(event_id)
    places: dict[int, set[str]] = {}
    for article_id, place_id in conn.execute(
        select(ArticlePlace.article_id, ArticlePlace.place_id).where(of_articles(ArticlePlace.article_id))
    ):
        places.setdefault(article_id, set()).add(place_id)
    for article_id, doc in docs.items():
        found = mentioned.get(article_id)
        if found:
            doc.actor_ids = sorted(found)
            doc.actor_kinds = sorted({info[a][0] for a in found if a in info})
            doc.countries = sorted({c for a in found if a in info and (c := info[a][1])})
        if article_id in events:
            doc.event_ids = sorted(events[article_id])
        if article_id in places:
            doc.place_ids = sorted(places[article_id])
    return list(docs.values())


def documents_for(conn: Connection, ids: Iterable[int]) -> list[ArticleDoc]:
    """The index documents of these articles, in id order; ids with no article are left out (the caller
    deletes them from the index). Set-based queries per CHUNK ids, one per table."""
    wanted = sorted(set(ids))
    out: list[ArticleDoc] = []
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        out += _build(conn, lambda column: column.in_(chunk))  # noqa: B023 (called before the next chunk)
    return out


def documents_between(conn: Connection, first_id: int, last_id: int) -> list[ArticleDoc]:
    """The documents of the articles with first_id <= id <= last_id (a rebuild reads in id ranges: range
    scans of the primary key and of the article_id indexes, no long IN lists)."""
    return _build(conn, lambda column: column.between(first_id, last_id))


def next_ids(conn: Connection, after_id: int, n: int) -> list[int]:
    """The next n article ids after `after_id`, ascending."""
    stmt = select(Article.id).where(Article.id > after_id).order_by(Article.id).limit(n)
    return list(conn.execute(stmt).scalars())


def count_after(conn: Connection, after_id: int) -> int:
    return int(conn.execute(select(func.count()).where(Article.id > after_id)).scalar() or 0)


def member_spans(conn: Connection, org_id: int) -> list[MemberSpan]:
    """What GET /v1/articles?member_of=ORG means: the organisation itself (always), and each actor over
    each span in which a `member_of` relation to it holds."""
    rows = conn.execute(
        select(Relation.subject_id, Relation.valid_from, Relation.valid_to)
        .where(Relation.object_id == org_id, Relation.type == "member_of")
        .order_by(Relation.subject_id, Relation.valid_from)
    )
    return [MemberSpan(org_id), *(MemberSpan(a, f, t) for a, f, t in rows)]


def article_ids_mentioning(conn: Connection, actor_ids: Sequence[int]) -> list[int]:
    """Articles whose documents carry these actors' kind and country: to re-index after an actor's
    `kind` or `country` changes."""
    if not actor_ids:
        return []
    stmt = select(Mention.article_id).where(Mention.actor_id.in_(list(actor_ids))).distinct()
    return sorted(conn.execute(stmt).scalars())
