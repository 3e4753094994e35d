"""Every query on stories: the candidates an arriving article is compared with, the writes that assign
and merge, the story lists and the top actors of a page of stories."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..articles.repository import SUMMARY_COLUMNS
from ..db import RawStatement, cursor_rows, fetch
from ..dialect import day_of, in_list, in_subquery, insert_rows
from ..models import Article, Mention, Relation, Story, utcnow
from ..pagination import SortKey
from ..relations.repository import member_on

# -- sync: assignment inside the ingestion transaction (app/articles/service.py:store) -----------------


COMMON_MENTIONS = 2000
_articles, _mentions = Article.__table__.c, Mention.__table__.c
_MENTIONS_OF = select(func.count()).select_from(
    select(_mentions.article_id)
    .where(_mentions.actor_id == bindparam("actor"))
    .limit(COMMON_MENTIONS)
    .subquery()
)


# Per database, the actors found to have COMMON_MENTIONS mentions or more: an actor's mentions only grow
# but for deletions, and which plan a candidates query takes changes its cost, not its rows.
_common: dict[str, set[int]] = {}


def common_actors(session: Session, actor_ids: Iterable[int]) -> set[int]:
    """Those of these actors with COMMON_MENTIONS mentions or more (each counted no further). Counted
    once per process and database for an actor found common: at 1M articles nearly every actor of a
    batch is, and counting 150 of them to 2,000 was 23-48 ms a batch."""
    conn = session.connection()
    known = _common.setdefault(conn.engine.url.render_as_string(hide_password=True), set())
    out = set()
    for a in actor_ids:
        if a in known or (conn.execute(_MENTIONS_OF, {"actor": a}).scalar() or 0) >= COMMON_MENTIONS:
            known.add(a)
            out.add(a)
    return out


def _candidates(probe: bool) -> Any:
    actors: BindParameter[Any] = bindparam("actors", expanding=True)
    about: ColumnElement[bool]
    if probe:
        # EXISTS (SELECT article_id ...), not SELECT *: SQLite answers it from the (article_id, actor_id)
        # index alone instead of reading each matching mention's row.
        about = (
            select(_mentions.article_id)
            .where(_mentions.article_id == _articles.id, _mentions.actor_id.in_(actors))
            .exists()
        )
    else:
        about = in_subquery(_articles.id, select(_mentions.article_id).where(_mentions.actor_id.in_(actors)))
    return (
        select(_articles.id, _articles.story_id, _articles.story_sig, _articles.published_at)
        .where(
            _articles.published_at >= bindparam("since"),
            _articles.published_at <= bindparam("until"),
            _articles.story_id.is_not(None),
            about,
        )
        .order_by(_articles.published_at.desc(), _articles.id.desc())
        .limit(bindparam("n"))
    )


_FROM_MENTIONS, _PROBING_WINDOW = _candidates(False), _candidates(True)


def candidates(
    session: Session, actor_ids: Sequence[int], since: datetime, until: datetime, limit: int, common: bool
) -> Sequence[Any]:
    """(id, story_id, story_sig, published_at) of assigned articles published in [since, until] that
    mention one of `actor_ids`, newest first, at most `limit`. Both plans walk the window on the date
    index, newest first, and stop after `limit` matches: the work is bounded by the window, never by how
    often an actor was mentioned over the years. Rarely mentioned actors: their mentions' article ids are
    read once (the (actor_id, article_id) index) and each row of the window is looked up in them
    (dialect.in_subquery). Much mentioned ones (`common`): each row probes (article_id, actor_id)."""
    stmt = _PROBING_WINDOW if common else _FROM_MENTIONS
    params = {"actors": list(actor_ids), "since": since, "until": until, "n": limit}
    return session.connection().execute(stmt, params).all()


_IN_WINDOW = select(func.count()).select_from(
    select(_articles.id)
    .where(_articles.published_at >= bindparam("since"), _articles.published_at <= bindparam("until"))
    .limit(bindparam("n"))
    .subquery()
)


def articles_in_window(session: Session, since: datetime, until: datetime, at_most: int) -> int:
    """How many articles were published in [since, until], counted no further than at_most (the date
    index's range, stopped early)."""
    params = {"since": since, "until": until, "n": at_most}
    return int(session.connection().execute(_IN_WINDOW, params).scalar() or 0)


_IN_POOL_WINDOW = (
    _articles.published_at >= bindparam("since"),
    _articles.published_at <= bindparam("until"),
    _articles.story_id.is_not(None),
)
_POOL_ARTICLES = (
    select(_articles.published_at, _articles.id, _articles.story_id, _articles.story_sig)
    .where(*_IN_POOL_WINDOW)
    .order_by(_articles.published_at, _articles.id)
)
_POOL_MENTIONS = (
    select(_articles.id, _mentions.actor_id)
    .join(Mention.__table__, _mentions.article_id == _articles.id)
    .where(
        *_IN_POOL_WINDOW,
        # `+ 0`: the actors are a test on each mention, not a seek. SQLite otherwise sought the (article_id,
        # actor_id) index once per actor of the batch for every article of the window (150 actors, 6,300
        # articles of a 12-day window at 1M: 115 ms; reading each article's ~8 mentions instead: 38 ms).
        in_list(_mentions.actor_id + literal_column("0"), [], key="actors"),
    )
)


class WindowPool(NamedTuple):
    """The assigned articles published in a window, oldest first (published_at, id), and which of the
    asked actors each mentions, as (article id, actor id) pairs."""

    published_at: list[datetime]
    ids: list[int]
    stories: list[int]
    sigs: list[bytes | None]
    mentions: list[tuple[int, int]]


def window_pool(session: Session, actor_ids: Sequence[int], since: datetime, until: datetime) -> WindowPool:
    """Every assigned article published in [since, until], and its mentions of `actor_ids`: the
    candidates of a whole batch in two reads (app/stories/service.py:_Stored), both on covering indexes
    but the first, which reads each article's sketch once (not once for each of its mentions).

    One join that carried each article's sketch on each of its mentions' rows, read through SQLAlchemy's
    rows, was ~50 ms a batch of a live feed into the 1M corpus (3,555 articles, 26,632 mentions); these
    two reads on SQLite's cursor ~20 (`_rows`)."""
    params = {"actors": list(actor_ids), "since": since, "until": until}
    arts = _rows(session, _POOL_ARTICLES, params)
    pairs = _rows(session, _POOL_MENTIONS, params)
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":  # the driver's text, as SQLAlchemy's result processor reads it
        to_datetime = _raw(_POOL_ARTICLES, dialect).processors[0]
        times = [to_datetime(r[0]) for r in arts]
    else:
        times = [r[0] for r in arts]
    return WindowPool(times, [r[1] for r in arts], [r[2] for r in arts], [r[3] for r in arts], pairs)


@functools.cache
def _raw(statement: Any, dialect: Any) -> RawStatement:
    return RawStatement.of(statement, dialect)


def _rows(session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """`statement`'s rows as tuples: on SQLite compiled once and sent on the driver's cursor (without
    SQLAlchemy's per-execution work: the batch's store runs some of these thousands of times, and its
    window pool reads thousands of rows), elsewhere through Core."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return cursor_rows(conn, _raw(statement, conn.dialect), params)
    result = conn.execute(statement, params)
    return list(result) if result.returns_rows else []


def unassigned(session: Session, limit: int) -> Sequence[Any]:
    """The oldest articles without a story (stored before stories, or by a path that does not assign)."""
    stmt = (
        select(_articles.id, _articles.title, _articles.body, _articles.published_at, _articles.story_sig)
        .where(_articles.story_id.is_(None))
        .order_by(_articles.published_at, _articles.id)
        .limit(limit)
    )
    return session.connection().execute(stmt).all()


def actors_of(session: Session, article_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    stmt = select(_mentions.article_id, _mentions.actor_id).where(_mentions.article_id.in_(article_ids))
    out: dict[int, set[int]] = {}
    rows = cast("Iterable[tuple[int, int]]", session.connection().execute(stmt))  # (article_id, actor_id)
    for aid, actor in rows:
        out.setdefault(aid, set()).add(actor)
    return {aid: frozenset(v) for aid, v in out.items()}


def set_signatures(session: Session, sigs: list[dict[str, Any]]) -> None:
    """[{"aid", "sig"}]"""
    if sigs:
        session.connection().execute(
            update(Article.__table__)
            .where(_articles.id == bindparam("aid"))
            .values(story_sig=bindparam("sig")),
            sigs,
        )


_STORIES_OF = select(_articles.id, _articles.story_id).where(in_list(_articles.id, [], key="ids"))


def stories_of(session: Session, article_ids: Iterable[int]) -> dict[int, int | None]:
    """Each stored article's story (None: not assigned yet), in one read: a batch's near-duplicates of
    stored articles join their originals' stories. One ORM select an article was ~0.1 ms, and a live feed
    into the 1M corpus has hundreds such articles in a batch."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(cast("Iterable[tuple[int, int | None]]", _rows(session, _STORIES_OF, {"ids": ids})))


def create(session: Session, title: str, published_at: datetime) -> int:
    """A new story's id. Through insert_rows: the ORM's bulk-insert path cost 0.4 ms a story, and Core's
    compiled insert ~0.04 ms a story more than this in its parameter handling."""
    ((story_id,),) = insert_rows(
        session.connection(), Story.__table__, [_new_story(title, published_at)], returning=("id",)
    )
    return int(story_id)


def _new_story(title: str, published_at: datetime) -> dict[str, Any]:
    now = utcnow()
    return {
        "title": title,
        "first_seen": published_at,
        "last_seen": published_at,
        "article_count": 0,
        "source_count": 0,
        "created_at": now,
        "updated_at": now,
    }


class NewStories:
    """The stories one transaction creates (story assignment of a batch).

    PostgreSQL: each is inserted when created, its id drawn from the sequence. SQLite: the first is
    inserted to learn its id; from then on this transaction holds the database's write lock and the
    stories table's largest id is the last one given, so the next are numbered after it and wait in
    memory until `flush` inserts them in one statement (a batch of 500 backfilled articles creates ~100
    stories: one statement a story was ~45 % of the batch's statements in story assignment). The caller
    flushes before a statement that reads or writes a story that may be waiting, and at the end."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.numbered = session.get_bind().dialect.name == "sqlite"
        self.waiting: dict[int, dict[str, Any]] = {}
        self.next: int | None = None

    def new(self, title: str, published_at: datetime) -> int:
        if not self.numbered or self.next is None:
            sid = create(self.session, title, published_at)
            self.next = sid + 1
            return sid
        sid, self.next = self.next, self.next + 1
        self.waiting[sid] = {"id": sid, **_new_story(title, published_at)}
        return sid

    def flush(self, ids: Iterable[int] | None = None) -> None:
        """Insert the waiting stories: all of them, or only if one of `ids` is waiting."""
        if self.waiting and (ids is None or any(i in self.waiting for i in ids)):
            insert_rows(self.session.connection(), Story.__table__, list(self.waiting.values()))
            self.waiting.clear()


_SET_STORY = (
    update(Article.__table__)
    .where(Article.__table__.c.id == bindparam("aid"))
    .values(story_id=bindparam("sid"))
)


def set_stories(session: Session, assignments: Sequence[tuple[int, int]]) -> None:
    """[(article id, story id)]: one executemany."""
    if assignments:
        session.connection().execute(_SET_STORY, [{"aid": a, "sid": s} for a, s in assignments])


_stories = Story.__table__.c
_ARTICLE_COUNTS = select(_stories.id, _stories.article_count).where(in_list(_stories.id, [], key="ids"))


def article_counts(session: Session, story_ids: Iterable[int]) -> dict[int, int]:
    """Each story's article_count as the last refresh left it: its stored articles, since every change
    of an article's story (assignment, merge, deletion) recounts the stories it touched. Read by primary
    key: counting a story's articles reads its whole range of the story index (0.77 ms a call for the
    1M corpus's snowballed stories, thousands of articles each)."""
    rows = _rows(session, _ARTICLE_COUNTS, {"ids": list(story_ids)})
    return {sid: n or 0 for sid, n in cast("Iterable[tuple[int, int | None]]", rows)}


# A live feed into the 1M corpus merges a story for two of every five articles it stores (its synthetic
# stories snowball): each merge's statements and counts go through `_rows` (on SQLite the driver's
# cursor). Through SQLAlchemy, expanding their IN lists and preparing each execution was about half of a
# merge's ~0.3 ms and of article_counts' ~0.16 ms.
_MOVE_ARTICLES = (  # updated_at given, not left to Core's onupdate: the statement runs compiled
    update(Article.__table__)
    .where(in_list(_articles.story_id, [], key="losers"))
    .values(story_id=bindparam("winner"), updated_at=bindparam("now"))
)
_MARK_MERGED = (
    update(Story.__table__)
    .where(in_list(_stories.id, [], key="losers") | in_list(_stories.merged_into, [], key="losers"))
    .values(merged_into=bindparam("winner"), updated_at=bindparam("now"))
)


def merge(session: Session, losers: Sequence[int], winner: int) -> None:
    """Move the losers' articles to the winner; the losers (and stories merged into them before) point at
    the winner, so a redirect is always one hop. (Statements built once: building them was ~0.3 ms of a
    merge's ~0.36.)"""
    params = {"losers": list(losers), "winner": winner, "now": utcnow()}
    _rows(session, _MOVE_ARTICLES, params)
    _rows(session, _MARK_MERGED, params)


def _of_story(column: Any, sqlite_index: str | None = None) -> Any:
    """A scalar subquery over the articles of the outer query's story (on SQLite, from `sqlite_index`)."""
    stmt = select(column).where(_articles.story_id == _stories.id)
    if sqlite_index:
        stmt = stmt.with_hint(Article.__table__, f"INDEXED BY {sqlite_index}", dialect_name="sqlite")
    return stmt.scalar_subquery()


# Each figure of a story from an index alone: its distinct sources from (story_id, source), in order, its
# count and dates from (story_id, published_at, id). One GROUP BY over the articles read every article's
# table row for its source, and counted them distinct in a temporary b-tree: a story of 31k articles cost
# 64 ms a batch that touched it, 4 ms this way (migration 0016). SQLite is told the index: with both
# indexes equally selective on story_id, its planner took the other and read the rows again.
_STATS = select(
    _stories.id.label("story_id"),
    _of_story(func.count()).label("article_count"),
    _of_story(func.count(func.distinct(_articles.source)), "ix_articles_story_id_source").label(
        "source_count"
    ),
    _of_story(func.min(_articles.published_at)).label("first_seen"),
    _of_story(func.max(_articles.published_at)).label("last_seen"),
).where(in_list(_stories.id, [], key="ids"))


def refresh(session: Session, story_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Recount the stories from their articles; returns their rows as the feed and the API show them."""
    if not story_ids:
        return []
    found = {r.story_id: r for r in session.execute(_STATS, {"ids": list(story_ids)}) if r.article_count}
    now = utcnow()
    rows = [
        {
            "sid": sid,
            "article_count": r.article_count,
            "source_count": r.source_count,
            "first_seen": r.first_seen,
            "last_seen": r.last_seen,
        }
        for sid in story_ids
        if (r := found.get(sid)) is not None
    ]
    empty = [sid for sid in story_ids if sid not in found]
    table = Story.__table__
    if rows:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("sid"))
            .values(
                article_count=bindparam("article_count"),
                source_count=bindparam("source_count"),
                first_seen=bindparam("first_seen"),
                last_seen=bindparam("last_seen"),
                updated_at=now,
            ),
            rows,
        )
    if empty:
        session.execute(
            update(Story).where(Story.id.in_(empty)).values(article_count=0, source_count=0, updated_at=now)
        )
    out = session.execute(select(*DETAIL_COLUMNS).where(Story.id.in_(story_ids))).mappings().all()
    return [dict(r) for r in out]


# -- reads --------------------------------------------------------------------------------------------

LIST_COLUMNS = (
    Story.id,
    Story.title,
    Story.first_seen,
    Story.last_seen,
    Story.article_count,
    Story.source_count,
)
DETAIL_COLUMNS = (*LIST_COLUMNS, Story.merged_into)

SORTS = {
    "size": SortKey("size", ((Story.article_count, True), (Story.id, True)), ("int", "int")),
    "recency": SortKey("recency", ((Story.last_seen, True), (Story.id, True)), ("datetime", "int")),
}
ARTICLE_ORDER = SortKey(
    "published_at", ((Article.published_at, False), (Article.id, False)), ("datetime", "int")
)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_conditions(
    *,
    actor_ids: Sequence[int] | None = None,
    member_of: int | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
    q: str | None = None,
    min_articles: int | None = None,
) -> list[Any]:
    conds: list[Any] = [Story.merged_into.is_(None), Story.article_count > 0]
    if actor_ids:
        about = select(Article.story_id).join(Mention, Mention.article_id == Article.id)
        conds.append(Story.id.in_(about.where(Mention.actor_id.in_(actor_ids))))
    if member_of is not None:
        conds.append(or_(*member_of_conditions(member_of)))
    if published_after is not None:  # stories that overlap the window
        conds.append(Story.last_seen >= published_after)
    if published_before is not None:
        conds.append(Story.first_seen < published_before)
    for word in (q or "").split():
        conds.append(func.lower(Story.title).like(f"%{_escape_like(word.lower())}%", escape="\\"))
    if min_articles:
        conds.append(Story.article_count >= min_articles)
    return conds


def member_of_conditions(org_id: int) -> list[Any]:
    """Stories with an article that mentions the organisation, or an actor that was its member on the
    article's day. Walked from the mentions of the organisation and of its members (ever), not from every
    article as the article filter's EXISTS would."""
    members = select(Relation.subject_id).where(Relation.object_id == org_id, Relation.type == "member_of")
    about = select(Article.story_id).join(Mention, Mention.article_id == Article.id)
    via = about.where(
        Mention.actor_id.in_(members),
        exists().where(*member_on(Mention.actor_id, org_id, day_of(Article.published_at))),
    )
    return [Story.id.in_(about.where(Mention.actor_id == org_id)), Story.id.in_(via)]


def list_statement(conds: list[Any]) -> Any:
    return select(*LIST_COLUMNS).where(*conds)


async def get(session: AsyncSession, story_id: int) -> dict[str, Any] | None:
    row = (await fetch(session, select(*DETAIL_COLUMNS).where(Story.id == story_id))).mappings().first()
    return dict(row) if row else None


async def merged_into(session: AsyncSession, story_id: int) -> tuple[bool, int | None]:
    """(exists, the story it was merged into)."""
    row = (await fetch(session, select(Story.merged_into).where(Story.id == story_id))).first()
    return (row is not None, row[0] if row else None)


def articles_statement(story_id: int) -> Any:
    return select(*SUMMARY_COLUMNS).where(Article.story_id == story_id)


async def top_actors(
    session: AsyncSession, story_ids: Sequence[int], n: int
) -> dict[int, list[tuple[int, int]]]:
    """story id -> [(actor id, articles mentioning it)], the `n` most mentioned first."""
    if not story_ids:
        return {}
    count = func.count(func.distinct(Mention.article_id)).label("count")
    stmt = (
        select(Article.story_id, Mention.actor_id, count)
        .join(Mention, Mention.article_id == Article.id)
        .where(Article.story_id.in_(story_ids))
        .group_by(Article.story_id, Mention.actor_id)
    )
    out: dict[int, list[tuple[int, int]]] = {}
    for sid, actor, c in (await fetch(session, stmt)).all():
        out.setdefault(sid, []).append((actor, c))
    return {sid: sorted(v, key=lambda x: (-x[1], x[0]))[:n] for sid, v in out.items()}
