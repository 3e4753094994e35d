"""Every SQL query of the engine: reading articles into index documents, and the membership spans that
`member_of` filters on. Sync SQLAlchemy Core on a Connection (rebuilds and the change-feed follower run in
threads or the CLI, never on the event loop)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, select

from ...db import RawStatement, cursor_rows
from ...dialect import in_list
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


class _Reads(NamedTuple):
    """The five reads of `_build`, for the articles whose id column `of_articles(column)` selects (the same
    condition on articles.id and on each child table's article_id)."""

    articles: Any
    mentions: Any
    actors: Any  # the mentioned actors, by id (:actors)
    events: Any
    places: Any

    @classmethod
    def of(cls, of_articles: Callable[[Any], Any]) -> _Reads:
        return cls(
            select(*_ARTICLE_COLUMNS).where(of_articles(Article.id)).order_by(Article.id),
            # Mentions alone, then their actors by id: joining in SQL let SQLite scan actors and probe
            # mentions per actor (341 ms for 2,000 articles at 1M, against 31 ms + 1 ms this way).
            select(Mention.article_id, Mention.actor_id).where(of_articles(Mention.article_id)),
            select(Actor.id, Actor.kind, Actor.country).where(in_list(Actor.id, [], key="actors")),
            select(EventArticle.event_id, EventArticle.article_id).where(
                of_articles(EventArticle.article_id)
            ),
            select(ArticlePlace.article_id, ArticlePlace.place_id).where(
                of_articles(ArticlePlace.article_id)
            ),
        )


_BY_IDS = _Reads.of(lambda column: in_list(column, [], key="ids"))
_BY_SPAN = _Reads.of(lambda column: column.between(bindparam("lo"), bindparam("hi")))


@functools.cache
def _raw(dialect: Any, span: bool) -> _Reads:
    return _Reads(*(RawStatement.of(stmt, dialect) for stmt in (_BY_SPAN if span else _BY_IDS)))


def _build(conn: Connection, values: dict[str, Any], raw: bool | None = None) -> list[ArticleDoc]:
    """The documents of the articles that `values` names: {"ids": [...]} or {"lo": first, "hi": last}.

    The ids travel as one parameter (`in_list`), not as an expanding IN rendered again on every call: the
    indexer reads back every article that is stored, 67-75 -> 25-27 µs a document for 500 ids at 1M. On
    SQLite the statements also run on the driver's cursor (compiled once, `RawStatement`), without a Row
    for each of an article's ~9 rows (itself, its mentions, events and places): 25-27 -> 21-24, id ranges
    17-18.5 -> ~15. `raw`=False: through Core on SQLite too (what a test compares the two with)."""
    span = "lo" in values
    if conn.dialect.name == "sqlite" and raw is not False:
        compiled = _raw(conn.dialect, span)

        def read(which: str, params: dict[str, Any]) -> list[Any]:
            return cursor_rows(conn, getattr(compiled, which), params)

        # The articles' dates are SQLite's text: converted by Core's own processors, as a Row's are.
        processors = compiled.articles.processors
        articles = [
            tuple(v if p is None else p(v) for p, v in zip(processors, r, strict=True))
            for r in read("articles", values)
        ]
    else:
        stmts = _BY_SPAN if span else _BY_IDS

        def read(which: str, params: dict[str, Any]) -> list[Any]:
            return list(conn.execute(getattr(stmts, which), params))

        articles = read("articles", values)
    docs: dict[int, ArticleDoc] = {}
    for r in articles:
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
    mentioned: dict[int, set[int]] = {}
    for article_id, actor_id in read("mentions", values):
        mentioned.setdefault(article_id, set()).add(actor_id)
    wanted = sorted(set().union(*mentioned.values())) if mentioned else []
    info: dict[int, tuple[str, str | None]] = {}
    for i in range(0, len(wanted), CHUNK):
        info.update(
            (a, (kind, country)) for a, kind, country in read("actors", {"actors": wanted[i : i + CHUNK]})
        )
    events: dict[int, list[int]] = {}
    for event_id, article_id in read("events", values):
        events.setdefault(article_id, []).append(event_id)
    places: dict[int, set[str]] = {}
    for article_id, place_id in read("places", values):
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
        out += _build(conn, {"ids": chunk})
    return out


def documents_between(conn: Connection, first_id: int, last_id: int) -> list[ArticleDoc]:
    """The documents of the articles with first_id <= id <= last_id (a rebuild reads in id ranges: range
    scans of the primary key and of the article_id indexes, no long IN lists)."""
    return _build(conn, {"lo": first_id, "hi": last_id})


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
