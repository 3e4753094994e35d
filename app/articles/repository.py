"""Every query on articles and their mentions."""

from __future__ import annotations

import functools
import secrets
from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sqlalchemy import BindParameter, bindparam, delete, desc, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from ..db import RawStatement, cursor_rows, fetch, fetch_raw
from ..dialect import day_of, insert_rows, json_rows
from ..models import (
    Actor,
    Article,
    ArticlePlace,
    Claim,
    Event,
    EventArticle,
    Mention,
    Place,
    SearchSnapshot,
    utcnow,
)
from ..models.articles import ArticleRaw
from ..pagination import SortKey, page_of
from ..places import repository as places_repo
from ..relations.repository import member_on
from ..search.dialect import COMMON_MATCHES, RANK_WINDOW, FullTextMatch

SUMMARY_COLUMNS = (
    Article.id,
    Article.url,
    Article.title,
    Article.summary,
    Article.source,
    Article.language,
    Article.published_at,
    Article.story_id,
)
DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    Article.canonical_url,
    Article.body,
    Article.language_confidence,
    Article.date_source,
    Article.feed_title,
    Article.tags,
    Article.duplicate_of_id,
    Article.is_stub,
    Article.created_at,
    Article.updated_at,
)

SORTS = {
    "-published_at": SortKey(
        "-published_at", ((Article.published_at, True), (Article.id, True)), ("datetime", "int")
    ),
    "published_at": SortKey(
        "published_at", ((Article.published_at, False), (Article.id, False)), ("datetime", "int")
    ),
}


def mentioned(actor_cond: Any) -> Any:
    """EXISTS: the article mentions an actor satisfying `actor_cond` (a condition on Mention/Actor)."""
    return exists().where(Mention.article_id == Article.id, actor_cond)


def member_of_condition(org_id: int) -> Any:
    """Articles that mention the organisation itself, or an actor that was a member of it on the article's
    publication date (UTC)."""
    direct, via = aliased(Mention), aliased(Mention)
    day = day_of(Article.published_at)
    return or_(
        exists().where(direct.article_id == Article.id, direct.actor_id == org_id).correlate(Article),
        exists()
        .where(via.article_id == Article.id, *member_on(via.actor_id, org_id, day))
        .correlate(Article),
    )


def filter_conditions(
    *,
    actor_ids: Sequence[int] | None = None,
    actors_probe: bool = False,
    actors_all: Sequence[int] | None = None,
    actor_kinds: Sequence[str] | None = None,
    country: str | None = None,
    sources: Sequence[str | BindParameter[Any]] | None = None,
    languages: Sequence[str | BindParameter[Any]] | None = None,
    event_id: int | None = None,
    published_after: datetime | BindParameter[Any] | None = None,
    published_before: datetime | BindParameter[Any] | None = None,
    place_ids: Sequence[str] | None = None,
    story_id: int | None = None,
) -> list[Any]:
    conds: list[Any] = []
    if story_id is not None:
        conds.append(Article.story_id == story_id)
    if actor_ids and actors_probe:
        # A much-mentioned actor: walk articles in date order and probe (article_id, actor_id).
        conds.append(mentioned(Mention.actor_id.in_(actor_ids)))
    elif actor_ids:
        conds.append(Article.id.in_(select(Mention.article_id).where(Mention.actor_id.in_(actor_ids))))
    for actor_id in actors_all or ():
        conds.append(mentioned(Mention.actor_id == actor_id))
    if actor_kinds:
        kind_ids = select(Actor.id).where(Actor.kind.in_(actor_kinds))
        conds.append(mentioned(Mention.actor_id.in_(kind_ids)))
    if country:
        country_ids = select(Actor.id).where(Actor.country == country)
        conds.append(mentioned(Mention.actor_id.in_(country_ids)))
    if sources:
        conds.append(Article.source.in_(sources))
    if languages:
        conds.append(Article.language.in_(languages))
    if event_id is not None:
        conds.append(Article.id.in_(select(EventArticle.article_id).where(EventArticle.event_id == event_id)))
    if published_after is not None:
        conds.append(Article.published_at >= published_after)
    if published_before is not None:
        conds.append(Article.published_at < published_before)
    if place_ids is not None:  # near= / bbox=: the article names a place inside the area
        conds.append(Article.id.in_(places_repo.articles_in(place_ids)))
    return conds


def list_statement(
    conds: list[Any],
    match: FullTextMatch | None,
    *,
    relevance: bool = False,
    top: int | None = None,
    upto: int | None = None,
    probe: bool = False,
    windowed: bool = True,
) -> tuple[Any, Any]:
    """The filtered article query. With full text: a plain match condition for date sorts, or a join to
    the ranked matches (only the best `top` when there are no other filters) for relevance."""
    if match is None:
        return select(*SUMMARY_COLUMNS).where(*conds), None
    if not relevance:
        return select(*SUMMARY_COLUMNS).where(*conds, match.condition(probe)), None
    # With other filters (or for an export) every match is ranked; alone, the newest RANK_WINDOW are.
    ft = match.ranked(None, None, upto) if conds or not windowed else match.ranked(top, RANK_WINDOW, upto)
    return select(*SUMMARY_COLUMNS, ft.c.rank).join(ft, ft.c.id == Article.id).where(*conds), ft


@functools.cache
def page_statement(
    dialect: Any, sort: str, sources: int, languages: int, after: bool, before: bool, keyed: bool
) -> RawStatement:
    """The SQL page of list_statement for filters by source, language and dates alone, in `sort` order,
    compiled once per shape (how many sources and languages, which bounds, whether after a cursor) for
    app/articles/fastpath.py. Its parameters: s0…, l0…, after, before, the cursor's k0…, and n (limit)."""
    conds = filter_conditions(
        sources=[bindparam(f"s{i}") for i in range(sources)],
        languages=[bindparam(f"l{i}") for i in range(languages)],
        published_after=bindparam("after") if after else None,
        published_before=bindparam("before") if before else None,
    )
    stmt, _ = list_statement(conds, None)
    key = SORTS[sort]
    cursor = [bindparam(f"k{i}", type_=col.type) for i, (col, _) in enumerate(key.columns)] if keyed else None
    return RawStatement.of(page_of(stmt, key, cursor, bindparam("n")), dialect)


def relevance(ft: Any) -> SortKey:
    return SortKey("relevance", ((ft.c.rank, False), (Article.id, False)), ("float", "int"))


def matching_ids(conds: list[Any], match: FullTextMatch | None) -> Any:
    return select(Article.id).where(*conds, *([match.condition()] if match is not None else []))


COMMON_MENTIONS = 2000


async def at_least(session: AsyncSession, ids: Any, n: int) -> bool:
    """Whether the id query yields at least `n` rows, counting no further than that."""
    count = (await fetch(session, select(func.count()).select_from(ids.limit(n).subquery()))).scalar() or 0
    return count >= n


async def actors_are_common(session: AsyncSession, actor_ids: Sequence[int]) -> bool:
    """Whether these actors have at least COMMON_MENTIONS mentions: then walking articles in date
    order and probing finds a page sooner than collecting their mentions."""
    return await at_least(
        session, select(Mention.article_id).where(Mention.actor_id.in_(actor_ids)), COMMON_MENTIONS
    )


async def match_is_common(session: AsyncSession, match: FullTextMatch) -> bool:
    """Whether the full-text query matches at least COMMON_MATCHES articles (always so where the engine
    gives no cheap list of matches: there the probe plan is the same query)."""
    hits = match.hits()
    return True if hits is None else await at_least(session, hits, COMMON_MATCHES)


_MAX_ID = select(func.max(Article.id).label("top"))


@functools.cache
def _max_id_raw(dialect: Any) -> RawStatement:
    return RawStatement.of(_MAX_ID, dialect)


async def max_id(session: AsyncSession) -> int:
    rows = await fetch_raw(session, _max_id_raw, {})
    if rows is not None:
        return int(rows[0]["top"] or 0)
    return int((await fetch(session, _MAX_ID)).scalar() or 0)


async def rows(session: AsyncSession, stmt: Any) -> list[dict[str, Any]]:
    """Every row of a (LIMITed) Core statement, as dicts."""
    return [dict(r) for r in (await fetch(session, stmt)).mappings()]


async def ids(session: AsyncSession, stmt: Any) -> list[int]:
    return list((await fetch(session, stmt)).scalars())


_SUMMARIES = select(*SUMMARY_COLUMNS).where(Article.id.in_(bindparam("ids", expanding=True)))
BODY_FOR_SNIPPET = "body_for_snippet"
_SUMMARIES_BODY = select(*SUMMARY_COLUMNS, Article.body.label(BODY_FOR_SNIPPET)).where(
    Article.id.in_(bindparam("ids", expanding=True))
)
_TEXTS = select(Article.id, Article.title, Article.body).where(
    Article.id.in_(bindparam("ids", expanding=True))
)


_BY_IDS = {"summaries": _SUMMARIES, "body": _SUMMARIES_BODY, "texts": _TEXTS}


@functools.lru_cache(maxsize=512)
def _by_ids_raw(columns: str, n: int, dialect: Any) -> RawStatement:
    """The columns of _BY_IDS[columns] for the articles with n given ids (i0 … i{n-1}), compiled once per
    count."""
    cols = _BY_IDS[columns].selected_columns
    return RawStatement.of(
        select(*cols).where(Article.id.in_([bindparam(f"i{k}") for k in range(n)])), dialect
    )


async def _by_ids(session: AsyncSession, columns: str, wanted: Sequence[int]) -> list[dict[str, Any]]:
    """Rows (dicts) of `columns` for these ids, in no particular order."""
    ids = list(dict.fromkeys(wanted))
    rows = await fetch_raw(
        session, functools.partial(_by_ids_raw, columns, len(ids)), {f"i{k}": v for k, v in enumerate(ids)}
    )
    if rows is not None:
        return rows
    return [dict(r) for r in (await fetch(session, _BY_IDS[columns], {"ids": ids})).mappings()]


async def summaries(session: AsyncSession, wanted: Sequence[int], body: bool = False) -> list[dict[str, Any]]:
    """The list rows of these articles, in the order given (ids that no longer exist are skipped); with
    `body`, each also carries its body under BODY_FOR_SNIPPET (for highlighting, in the same statement)."""
    if not wanted:
        return []
    found = {r["id"]: r for r in await _by_ids(session, "body" if body else "summaries", wanted)}
    return [found[i] for i in wanted if i in found]


async def texts(session: AsyncSession, wanted: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, body) of these articles, for highlighting a page of hits."""
    if not wanted:
        return {}
    return {r["id"]: (r["title"], r["body"]) for r in await _by_ids(session, "texts", wanted)}


async def snippets(session: AsyncSession, match: FullTextMatch, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: s for i, s in (await session.execute(match.snippets(ids))).all()}


_GET = select(*DETAIL_COLUMNS).where(Article.id == bindparam("id"))


async def get(session: AsyncSession, article_id: int) -> dict[str, Any] | None:
    row = (await fetch(session, _GET, {"id": article_id})).mappings().first()
    return dict(row) if row else None


_EXISTS = select(Article.id).where(Article.id == bindparam("id"))


async def exists_id(session: AsyncSession, article_id: int) -> bool:
    return (await fetch(session, _EXISTS, {"id": article_id})).first() is not None


async def existing_ids(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    ids = list(set(ids))
    if not ids:
        return set()
    return set((await session.execute(select(Article.id).where(Article.id.in_(ids)))).scalars().all())


_MENTIONS = (
    select(
        Mention.start_offset,
        Mention.end_offset,
        Mention.text,
        Mention.confidence,
        Actor.id,
        Actor.slug,
        Actor.name,
        Actor.kind,
    )
    .join(Actor, Actor.id == Mention.actor_id)
    .where(Mention.article_id == bindparam("id"))
    .order_by(Mention.start_offset, Mention.id)
)


def _mention(row: Sequence[Any]) -> dict[str, Any]:
    s, e, t, c, aid, slug, name, kind = row
    return {
        "actor": {"id": aid, "slug": slug, "name": name, "kind": kind},
        "start": s,
        "end": e,
        "text": t,
        "confidence": c,
    }


async def mentions_of(session: AsyncSession, article_id: int) -> list[dict[str, Any]]:
    return [_mention(r) for r in (await fetch(session, _MENTIONS, {"id": article_id})).all()]


_EVENTS = (
    select(Event.id, Event.title, Event.type_code.label("type"), Event.start_date, Event.status)
    .join(EventArticle, EventArticle.event_id == Event.id)
    .where(EventArticle.article_id == bindparam("id"))
    .order_by(Event.start_date, Event.id)
)


_EVENT_KEYS = ("id", "title", "type", "start_date", "status")


async def events_of(session: AsyncSession, article_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in (await fetch(session, _EVENTS, {"id": article_id})).mappings().all()]


_CLAIMS = (
    select(
        Claim.id,
        Claim.text,
        Claim.stance,
        Claim.said_on,
        Claim.proposition_id,
        Actor.id.label("actor_id"),
        Actor.slug,
        Actor.name,
        Actor.kind,
    )
    .join(Actor, Actor.id == Claim.speaker_id)
    .where(Claim.article_id == bindparam("id"))
    .order_by(Claim.id)
)


def _claim(row: Sequence[Any]) -> dict[str, Any]:
    cid, text, stance, said_on, pid, aid, slug, name, kind = row
    return {
        "id": cid,
        "speaker": {"id": aid, "slug": slug, "name": name, "kind": kind},
        "text": text,
        "stance": stance,
        "said_on": said_on,
        "proposition_id": pid,
    }


async def claims_of(session: AsyncSession, article_id: int) -> list[dict[str, Any]]:
    return [_claim(r) for r in (await fetch(session, _CLAIMS, {"id": article_id})).all()]


# The detail and its children in one statement: each child list is one JSON value (app.dialect.json_rows).
_DETAIL = select(
    *DETAIL_COLUMNS,
    json_rows(_MENTIONS).label("mentions_rows"),
    json_rows(_EVENTS).label("events_rows"),
    json_rows(_CLAIMS).label("claims_rows"),
    json_rows(places_repo.OF_ARTICLE).label("places_rows"),
).where(Article.id == bindparam("id"))


async def detail(session: AsyncSession, article_id: int) -> dict[str, Any] | None:
    """The article with its mentions, events, claims and place rows, read in one statement."""
    row = (await fetch(session, _DETAIL, {"id": article_id})).mappings().first()
    return _with_children(dict(row)) if row is not None else None


@functools.cache
def _detail_for(dialect: Any) -> RawStatement:
    """_DETAIL compiled once for a DB-API connection."""
    return RawStatement.of(_DETAIL, dialect)


def detail_on(conn: Any, dialect: Any, article_id: int) -> dict[str, Any] | None:
    """`detail` on a raw pysqlite connection (Database.sqlite_read): the same statement, the same values."""
    st = _detail_for(dialect)
    # fetchall: the statement runs to its end, so no read snapshot outlives the call (Database.sqlite_read
    # keeps its connection).
    rows = conn.execute(st.sql, st.params({"id": article_id})).fetchall()
    return _with_children(st.row(rows[0])) if rows else None


def _with_children(out: dict[str, Any]) -> dict[str, Any]:
    out["mentions"] = [_mention(r) for r in orjson.loads(out.pop("mentions_rows"))]
    out["events"] = [dict(zip(_EVENT_KEYS, r, strict=True)) for r in orjson.loads(out.pop("events_rows"))]
    out["claims"] = [_claim(r) for r in orjson.loads(out.pop("claims_rows"))]
    out["place_rows"] = orjson.loads(out.pop("places_rows"))
    return out


_ACTOR_IDS = select(Mention.actor_id).where(Mention.article_id == bindparam("id")).distinct()


async def actor_ids_of(session: AsyncSession, article_id: int) -> list[int]:
    return sorted((await fetch(session, _ACTOR_IDS, {"id": article_id})).scalars())


async def get_orm(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def delete_article(session: AsyncSession, article_id: int) -> None:
    await session.execute(delete(Article).where(Article.id == article_id))


async def replace_mentions(session: AsyncSession, article_id: int, rows: list[dict[str, Any]]) -> None:
    await session.execute(delete(Mention).where(Mention.article_id == article_id))
    if rows:
        await session.execute(Mention.__table__.insert(), [{"article_id": article_id, **r} for r in rows])


# -- sync: the batch store (under AsyncSession.run_sync on HTTP, on a plain Session in the CLI) --------

_STORED = select(Article.id, Article.canonical_url, Article.content_hash, Article.is_stub)


def stored_by_url_or_hash(session: Session, urls: set[str], hashes: set[str]) -> Sequence[Any]:
    """(id, canonical_url, content_hash, is_stub) of stored articles with one of these URLs or hashes."""
    return session.execute(
        _STORED.where(or_(Article.canonical_url.in_(urls), Article.content_hash.in_(hashes)))
    ).all()


# At most this many stored articles are read for each simhash band value of a batch, the oldest first.
# Uniform bands hold N/65,536 articles a value (~15 at 1M; the bound starts to cut past ~3M, where more
# or wider bands are the next step). A corpus whose simhash bits are far from uniform (much boilerplate, a
# narrow vocabulary: the 1M benchmark corpus) holds up to ~16k a value, and reading them all for every
# band value of a batch read most of the table (9 s a batch of 500 at 1M).
NEAR_DUPLICATE_BUCKET = 64


@functools.cache
def _band_statement(band: int, postgres: bool) -> str:
    """(band value, id, simhash) of the NEAR_DUPLICATE_BUCKET oldest articles holding each of the band
    values :vals in band `band`. Each value's read stops on the (shN, id, simhash) index after :cap
    entries and never leaves it (covering): LATERAL on PostgreSQL; on SQLite, which has no LATERAL, a
    range of the index up to the value's :cap-th oldest id (a correlated scalar: one seek and :cap steps).
    SQLite sought the index once for each id of a correlated list of the value's oldest ids before: for
    the 1M corpus's skewed band values (a batch of 500 meets ~70k holders) 65-94 ms a batch, 45-80 this
    way, the same rows."""
    col = f"sh{band}"  # one of four fixed names, never client input
    if postgres:
        return (
            f"SELECT v.v, a.id, a.simhash FROM unnest(CAST(:vals AS integer[])) AS v(v) "
            f"CROSS JOIN LATERAL (SELECT id, simhash FROM articles WHERE {col} = v.v "
            f"ORDER BY id LIMIT :cap) AS a WHERE a.simhash IS NOT NULL"
        )
    return (
        f"SELECT j.value, a.id, a.simhash FROM json_each(:vals) AS j "
        f"JOIN articles AS a ON a.{col} = j.value AND a.id <= coalesce("
        f"(SELECT b.id FROM articles AS b WHERE b.{col} = j.value ORDER BY b.id LIMIT 1 OFFSET :cap - 1), "
        f"9223372036854775807) WHERE a.simhash IS NOT NULL"
    )


@functools.cache
def _band_raw(band: int, dialect: Any) -> RawStatement:
    return RawStatement.of(text(_band_statement(band, False)), dialect)


def near_duplicate_candidates(
    session: Session, bands: list[set[int]], cap: int = NEAR_DUPLICATE_BUCKET
) -> np.ndarray:
    """The `cap` oldest stored articles holding each band value in `bands` (bands[b]: the values of band
    b), as rows (band, band value, id, simhash) of an int64 array ordered by id; an article is listed once
    for each of its bands that matched. Duplicates are among them (`duplicates_among` tells which).

    On SQLite the rows are read on the driver's cursor, without SQLAlchemy's row objects: at 1M articles
    a batch of 500 reads ~70k of them."""
    postgres = session.get_bind().dialect.name == "postgresql"
    conn = session.connection()
    parts: list[np.ndarray] = []
    for band, values in enumerate(bands):
        if not values:
            continue
        sql = _band_statement(band, postgres)
        if postgres:
            rows: list[Any] = list(conn.execute(text(sql), {"vals": sorted(values), "cap": cap}))
        else:
            raw = _band_raw(band, conn.dialect)
            rows = cursor_rows(conn, raw, {"vals": orjson.dumps(sorted(values)).decode(), "cap": cap})
        if rows:
            part = np.empty((len(rows), 4), dtype=np.int64)
            part[:, 0] = band
            part[:, 1:] = np.array(rows, dtype=np.int64)
            parts.append(part)
    if not parts:
        return np.empty((0, 4), dtype=np.int64)
    held = np.concatenate(parts)
    return held[np.argsort(held[:, 2], kind="stable")]


def duplicates_among(session: Session, ids: Iterable[int]) -> set[int]:
    """The articles among `ids` that are marked as near-duplicates of another."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    table = Article.__table__
    return set(
        session.execute(
            select(table.c.id).where(table.c.id.in_(wanted), table.c.duplicate_of_id.is_not(None))
        ).scalars()
    )


def insert_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert articles, skipping any whose canonical URL or content another writer stored first;
    returns canonical_url -> id of the rows this call inserted. One created_at for the batch."""
    now = utcnow()
    created = insert_rows(
        session.connection(),
        Article.__table__,
        [{**r, "created_at": now, "updated_at": now} for r in rows],
        skip_conflicts=True,
        returning=("id", "canonical_url"),
    )
    return {url: aid for aid, url in created}


_SET_DUPLICATE = (
    update(Article.__table__)
    .where(Article.__table__.c.id == bindparam("aid"))
    .values(duplicate_of_id=bindparam("dup"))
)


def set_duplicate_of(session: Session, links: list[dict[str, int]]) -> None:
    """`links`: [{"aid": article id, "dup": id of its original}]."""
    if links:
        session.execute(_SET_DUPLICATE, links)


def update_stored(session: Session, changes: list[tuple[int, dict[str, Any]]]) -> None:
    """Overwrite the given columns of stored articles (every item has the same columns)."""
    if not changes:
        return
    table = Article.__table__
    cols = list(changes[0][1])
    session.execute(
        update(table).where(table.c.id == bindparam("aid")).values({c: bindparam(f"v_{c}") for c in cols}),
        [{"aid": aid, **{f"v_{c}": values[c] for c in cols}} for aid, values in changes],
    )


def store_mentions(session: Session, replace_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """Drop the mentions of `replace_ids`, then insert `rows` (each with its article_id)."""
    if replace_ids:
        session.execute(delete(Mention).where(Mention.article_id.in_(replace_ids)))
    if rows:
        insert_rows(session.connection(), Mention.__table__, rows)


def store_places(session: Session, replace_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """Drop the places of `replace_ids`, then insert `rows` ({article_id, place_id, start_offset,
    end_offset, text}) whose place is in the gazetteer table (a database seeded without places has none)."""
    if replace_ids:
        session.execute(delete(ArticlePlace).where(ArticlePlace.article_id.in_(replace_ids)))
    if rows:
        known = set(
            session.scalars(select(Place.id).where(Place.id.in_({r["place_id"] for r in rows}))).all()
        )
        rows = [r for r in rows if r["place_id"] in known]
        if rows:
            insert_rows(session.connection(), ArticlePlace.__table__, rows)


async def replace_places(session: AsyncSession, article_id: int, rows: list[dict[str, Any]]) -> None:
    await session.run_sync(
        lambda s: store_places(s, [article_id], [{"article_id": article_id, **r} for r in rows])
    )


def store_raw(session: Session, replace_ids: list[int], rows: list[dict[str, Any]]) -> None:
    """Drop the kept HTML of `replace_ids` and of the rows' articles, then insert `rows`
    ({article_id, html})."""
    ids = sorted({*replace_ids, *(r["article_id"] for r in rows)})
    if ids:
        session.execute(delete(ArticleRaw).where(ArticleRaw.article_id.in_(ids)))
    if rows:
        session.execute(ArticleRaw.__table__.insert(), rows)


# -- facet counts over the whole match of a list query (top values per facet) -------------------------

ARTICLE_FACETS = ("source", "language", "actor", "actor_kind")
TOP = 20


async def facets(session: AsyncSession, ids: Any, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """`ids` is a subquery of matching article ids."""
    out: dict[str, list[dict[str, Any]]] = {}
    n = func.count().label("count")
    for name in names:
        if name in ("source", "language"):
            col = getattr(Article, name)
            stmt = (
                select(col.label("value"), n)
                .where(Article.id.in_(ids))
                .group_by(col)
                .order_by(desc("count"), col)
                .limit(TOP)
            )
            out[name] = [{"value": v, "count": c} for v, c in (await session.execute(stmt)).all()]
        elif name == "actor":
            articles = func.count(func.distinct(Mention.article_id)).label("count")
            top = (
                select(Mention.actor_id, articles)
                .where(Mention.article_id.in_(ids))
                .group_by(Mention.actor_id)
                .order_by(desc("count"), Mention.actor_id)
                .limit(TOP)
                .subquery()
            )
            stmt = select(Actor.id, Actor.slug, Actor.name, Actor.kind, top.c.count).join(
                top, top.c.actor_id == Actor.id
            )
            # Row's stubs see tuple.count() here; at runtime the "count" column shadows the method.
            rows = sorted(
                (await session.execute(stmt)).all(),
                key=lambda r: (-r.count, r.id),  # type: ignore[operator]
            )
            out[name] = [
                {"value": r.slug, "id": r.id, "name": r.name, "kind": r.kind, "count": r.count} for r in rows
            ]
        elif name == "actor_kind":
            articles = func.count(func.distinct(Mention.article_id)).label("count")
            stmt = (
                select(Actor.kind.label("value"), articles)
                .join(Actor, Actor.id == Mention.actor_id)
                .where(Mention.article_id.in_(ids))
                .group_by(Actor.kind)
                .order_by(desc("count"), Actor.kind)
            )
            out[name] = [{"value": v, "count": c} for v, c in (await session.execute(stmt)).all()]
    return out


# -- frozen relevance orders (models.state.SearchSnapshot) ----------------------------------------------

SNAPSHOT_MAX_IDS = 50_000
SNAPSHOT_TTL = timedelta(hours=1)


def _pack(ids: list[int]) -> bytes:
    return array("q", ids).tobytes()


def _unpack(blob: bytes) -> list[int]:
    out = array("q")
    out.frombytes(blob)
    return out.tolist()


async def save_snapshot(db: Any, ids: list[int]) -> str:
    """Store in its own short write transaction (a GET's session only reads)."""
    token = secrets.token_hex(12)
    async with db.writer() as session:
        await session.execute(
            delete(SearchSnapshot).where(SearchSnapshot.created_at < utcnow() - SNAPSHOT_TTL)
        )
        session.add(SearchSnapshot(token=token, ids=_pack(ids)))
        await session.commit()
    return token


async def load_snapshot(session: Any, token: str) -> list[int] | None:
    blob = (await session.execute(select(SearchSnapshot.ids).where(SearchSnapshot.token == token))).scalar()
    return None if blob is None else _unpack(blob)
