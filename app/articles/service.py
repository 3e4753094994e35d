"""Rules for articles: how posted articles are prepared and stored once, edits, and the detail view.

`store` is one set-based pass over a prepared batch inside the caller's transaction: it looks up every
canonical URL and content hash of the batch in one query, finds near-duplicates by simhash band, inserts
new articles with INSERT … ON CONFLICT DO NOTHING (so that concurrent writers of the same article store
it once), updates changed ones, and writes mentions in bulk. The same code serves HTTP (through
AsyncSession.run_sync) and the CLI (a plain Session).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import anyio
import numpy as np
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .. import outbox
from ..actors import repository as actors_repo
from ..actors.gazetteer import current_gazetteer
from ..actors.service import filter_id, filter_ids
from ..changes import repository as changes_repo
from ..dialect import immediate_writes, with_deadlock_retry, write_cache
from ..errors import BadRequest, Unprocessable, still_there
from ..geo import Area
from ..ingestion.fingerprint import NEAR_DUPLICATE_DISTANCE, earlier_near, to_unsigned64
from ..ingestion.pipeline import ArticleInput, Prepared, prepare
from ..inline import heavy
from ..models import Article, to_utc_naive, utcnow
from ..pagination import (
    Export,
    PageParams,
    PageResult,
    SortKey,
    cursor_kind,
    decode_cursor,
    encode_cursor,
    filters_fingerprint,
    keyset_page,
    next_cursor,
    order_by,
)
from ..places import repository as places_repo
from ..places import service as places_service
from ..places.gazetteer import current_place_linker
from ..responses import dumps
from ..search.dialect import RANK_WINDOW, FullTextMatch
from ..search.engine import MAX_TOP, EngineError, MemberSpan
from ..search.engine import Filters as EngineFilters
from ..search.engine import snippets as engine_snippets
from ..search.index import SearchIndex, answers
from ..search.query import parse as parse_query
from ..stories import service as stories
from . import bulk, idempotency, repository
from .bulk import to_input
from .preparer import Preparer
from .schemas import ArticleCreate, ArticleUpdate

# Columns a changed URL, title or body recomputes.
CONTENT_COLUMNS = (
    "url",
    "canonical_url",
    "title",
    "body",
    "content_hash",
    "simhash",
    "sh0",
    "sh1",
    "sh2",
    "sh3",
    "story_sig",
)


@dataclass
class Outcome:
    index: int
    status: str  # created | updated | unchanged
    id: int
    duplicate_of: int | None = None


@dataclass
class BulkResult:
    outcomes: list[Outcome] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "updated": 0, "unchanged": 0}
        for o in self.outcomes:
            out[o.status] += 1
        return out


async def ingest(
    session: AsyncSession, items: list[tuple[int, ArticleCreate]], preparer: Preparer | None = None
) -> BulkResult:
    """Run the ingestion pipeline over validated items (CPU work in a thread, or in the preparer's
    processes), then store them in one pass."""
    if not items:
        return BulkResult()
    prepared, failed = await (preparer or INLINE).prepare(
        session, [(index, to_input(data)) for index, data in items]
    )
    return await _stored(session, prepared, failed)


async def _stored(
    session: AsyncSession, prepared: list[Prepared], failed: list[dict[str, Any]]
) -> BulkResult:
    """Store prepared articles in the request's session."""
    result = BulkResult(failed=failed)
    if prepared:
        result.outcomes = await with_deadlock_retry(session, lambda: session.run_sync(store, prepared))
        record_stored(session, prepared, result.outcomes)
    return result


def _store_apart(engine: Engine, prepared: list[Prepared]) -> list[Outcome]:
    """A bulk body stored as `geonews ingest` stores a batch: a pysqlite connection, BEGIN IMMEDIATE, the
    change log written at its commit. Through the request's async session every statement was a hop to
    aiosqlite's thread and back: into a copy of the 1M corpus (a live feed) that was ~1.5 ms of the
    worker's CPU an article against ~1 ms this way. The thread is not abandoned when the client goes: the
    batch is stored (or not) whole, and the worker's write turn is held until then."""
    with Session(immediate_writes(engine)) as session, session.begin():
        outcomes = store(session, prepared)
        record_stored(session, prepared, outcomes)
    return outcomes


INLINE = Preparer(0)


def change_data(
    values: dict[str, Any], actor_ids: list[int], duplicate_of: int | None = None
) -> dict[str, Any]:
    """What a change of an article tells a consumer, enough to decide whether to fetch it."""
    return {
        "title": values["title"],
        "source": values["source"],
        "published_at": values["published_at"],
        "actor_ids": actor_ids,
        "duplicate_of": duplicate_of,
    }


def record_stored(session: Any, prepared: Sequence[Prepared], outcomes: Sequence[Outcome]) -> None:
    """One change per stored article (created, updated, or merged: a near-duplicate linked to its
    original); unchanged ones are not changes."""
    by_index = {p.index: p for p in prepared}
    changes = []
    for o in outcomes:
        if o.status == "unchanged":
            continue
        values = by_index[o.index].values
        actor_ids = list(dict.fromkeys(m["actor_id"] for m in by_index[o.index].mentions))
        op = "updated" if o.status == "updated" else ("merged" if o.duplicate_of else "created")
        changes.append(
            outbox.PendingChange(
                "article",
                op,
                o.id,
                outbox.jsonable(change_data(values, actor_ids, o.duplicate_of)),
                tuple(actor_ids),
                values["source"],
                values["published_at"],
            )
        )
    outbox.record_many(session, changes)


async def create_article(session: AsyncSession, data: ArticleCreate) -> Outcome:
    """Ingest one article: created, or the stored one (same canonical URL or content), updated if changed."""
    result = await ingest(session, [(0, data)])
    if result.failed:
        raise Unprocessable(result.failed[0]["detail"])
    return result.outcomes[0]


async def update_article(session: AsyncSession, article_id: int, data: ArticleUpdate) -> None:
    """Apply edits; a changed URL, title or body goes through cleaning, fingerprinting and linking again."""
    article = still_there(await repository.get_orm(session, article_id), f"Article {article_id}")
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in ("summary", "language", "tags")
    }
    if "published_at" in changes:
        changes["published_at"] = to_utc_naive(changes["published_at"])
    if {"url", "title", "body"} & changes.keys():
        gazetteer = await session.run_sync(current_gazetteer)
        places = await session.run_sync(current_place_linker)
        item = ArticleInput(
            url=changes.get("url", article.url),
            title=changes.get("title", article.title),
            body=changes.get("body", article.body),
            published_at=changes.get("published_at", article.published_at),
            source=changes.get("source", article.source),
            language=changes.get("language", article.language),
            summary=changes.get("summary", article.summary),
            tags=changes.get("tags", article.tags),
        )
        try:
            prepared = await anyio.to_thread.run_sync(lambda: prepare(0, item, gazetteer, places))
        except ValueError as exc:  # e.g. a whole HTML page with no article text in it
            raise Unprocessable(str(exc)) from exc
        for key in CONTENT_COLUMNS:
            setattr(article, key, prepared.values[key])
        if "language" not in changes and article.language is None:
            article.language = prepared.values["language"]
        await repository.replace_mentions(session, article_id, prepared.mentions)
        await repository.replace_places(session, article_id, prepared.places)
    for key in ("source", "language", "summary", "tags", "published_at"):
        if key in changes:
            setattr(article, key, changes[key])
    await session.flush()
    actor_ids = await repository.actor_ids_of(session, article_id)
    values = {"title": article.title, "source": article.source, "published_at": article.published_at}
    outbox.record(
        session,
        "article",
        "updated",
        article_id,
        change_data(values, actor_ids, article.duplicate_of_id),
        actor_ids=actor_ids,
        source=article.source,
        published_at=article.published_at,
    )


async def get_article(session: AsyncSession, article_id: int) -> dict[str, Any] | None:
    out = await repository.detail(session, article_id)  # one statement, children included
    return _finish_detail(out) if out is not None else None


def get_article_sqlite(db: Any, article_id: int) -> dict[str, Any] | None:
    """get_article on SQLite without a session: the same statement on a pooled connection, inline."""
    with db.sqlite_read() as conn:
        out = repository.detail_on(conn, db.sync_engine.dialect, article_id)
    return _finish_detail(out) if out is not None else None


def _finish_detail(out: dict[str, Any]) -> dict[str, Any]:
    out["duplicate_of"] = out.pop("duplicate_of_id")
    out["places"] = places_service.places_of_rows(out.pop("place_rows"))
    return out


async def delete_article(session: AsyncSession, article_id: int) -> None:
    row = still_there(await repository.get(session, article_id), f"Article {article_id}")
    actor_ids = await repository.actor_ids_of(session, article_id)
    await repository.delete_article(session, article_id)
    await stories.article_removed(session, row["story_id"], actor_ids)
    outbox.record(
        session,
        "article",
        "deleted",
        article_id,
        change_data(row, actor_ids),
        actor_ids=actor_ids,
        source=row["source"],
        published_at=row["published_at"],
    )


# -- lists: one planner for filters, full text, member_of, facets and exports --------------------------

EXPORT_COLUMNS = ("id", "url", "title", "summary", "source", "language", "published_at", "story_id")
FIRST_KEY = SortKey("relevance-first", ((None, False), (None, False)), ("int", "str"))
SNAPSHOT_KEY = SortKey("relevance", ((None, False), (None, False)), ("str", "int"))


@dataclass
class ArticleFilters:
    """The filters of GET /v1/articles as the client sent them (actors by id or slug)."""

    q: str | None = None
    actors: list[str] | None = None
    actors_all: list[str] | None = None
    actor_kinds: Sequence[str] | None = None
    country: str | None = None
    sources: list[str] | None = None
    languages: list[str] | None = None
    event_id: int | None = None
    published_after: datetime | date | None = None
    published_before: datetime | date | None = None
    member_of: str | None = None
    area: Area | None = None  # near= / bbox=: articles naming a place inside
    story: int | None = None


def _filter_values(
    f: ArticleFilters, actor_ids: list[int] | None, actors_all: list[int] | None, story_id: int | None
) -> dict[str, Any]:
    """The filters as the statements take them (actors and story resolved to ids by the caller)."""
    return {
        "actor_ids": actor_ids,
        "actors_all": actors_all,
        "actor_kinds": f.actor_kinds,
        "country": f.country,
        "sources": f.sources,
        "languages": f.languages,
        "event_id": f.event_id,
        "published_after": to_utc_naive(f.published_after) if f.published_after else None,
        "published_before": to_utc_naive(f.published_before) if f.published_before else None,
        "story_id": story_id,
    }


def _fingerprint(filters: dict[str, Any], q: str | None, sort: str, member_of: int | None) -> dict[str, Any]:
    """What a cursor is signed for: the filters, the query and the order."""
    return {**filters, "q": q, "sort": sort, "member_of": member_of}


def is_plain_page(f: ArticleFilters) -> bool:
    """Whether these are filters by source, language and dates alone: pages the planner (list_articles)
    always leaves to SQL's composite indexes, which `sqlite_page` serves in date order."""
    return f == ArticleFilters(
        sources=f.sources,
        languages=f.languages,
        published_after=f.published_after,
        published_before=f.published_before,
    )


def sqlite_page(db: Any, f: ArticleFilters, sort: str, page: PageParams) -> PageResult:
    """What list_articles answers for a plain page (`is_plain_page`, sort by date) on SQLite: the same
    statement, rows and cursor, on a pooled connection without a session (app/articles/fastpath.py:
    FastAPI's dependencies and a Session were most of such a request's CPU). A bad cursor raises
    BadRequest, as in list_articles."""
    assert is_plain_page(f) and sort in repository.SORTS
    filters = _filter_values(f, None, None, None)
    fp = filters_fingerprint(_fingerprint(filters, None, sort, None))
    key = repository.SORTS[sort]
    after = decode_cursor(page.cursor, key, fp) if page.cursor else None
    sources, languages = f.sources or [], f.languages or []
    values: dict[str, Any] = {"after": filters["published_after"], "before": filters["published_before"]}
    values.update({f"s{i}": v for i, v in enumerate(sources)})
    values.update({f"l{i}": v for i, v in enumerate(languages)})
    values.update({f"k{i}": v for i, v in enumerate(after or ())})
    values["n"] = page.limit + 1
    statement = repository.page_statement(
        db.sync_engine.dialect,
        sort,
        len(sources),
        len(languages),
        values["after"] is not None,
        values["before"] is not None,
        after is not None,
    )
    with db.sqlite_read(deadline=True) as conn:
        rows = statement.rows(conn, values)
    rows, cursor = next_cursor(rows, key, page, fp)
    return PageResult(rows, cursor, answered_by="sql")


async def list_articles(
    session: AsyncSession,
    db: Any,
    page: PageParams,
    fmt: str,
    f: ArticleFilters,
    sort: str | None = None,
    facets: str | None = None,
    index: SearchIndex | None = None,
    consistency: str = "eventual",
) -> PageResult | Export:
    """Plan and run an article list — the one place that decides who answers it.

    The search index answers what SQL cannot answer fast at scale: full text (ranked over every match),
    facets, `member_of`, hybrid ranking, filters on the actors mentioned. Pages filtered by source,
    language or dates alone stay on SQL's composite indexes, which answer them in microseconds; exports
    stream from SQL. When the index is missing, being built, or (with
    `consistency=strong`) behind the last committed change, SQL answers everything: much-mentioned actors
    and common words are then walked in date order, and relevance ranks the newest matches."""
    facet_names = _facet_names(facets)
    filters = _filter_values(
        f,
        actor_ids=await filter_ids(session, f.actors, "actor"),
        actors_all=await filter_ids(session, f.actors_all, "actors_all"),
        # A merged story's articles are found under the story it was merged into (0: no such story).
        story_id=(await stories.surviving_id(session, f.story) or 0) if f.story is not None else None,
    )
    if f.area is not None:  # the places inside the area (a small table, exact distances in Python)
        filters["place_ids"] = await places_service.ids_within(session, f.area)
    member_of = await filter_id(session, f.member_of, "member_of")
    match = FullTextMatch(session.get_bind().dialect.name, parse_query(f.q)) if f.q else None
    sort = sort or ("relevance" if match else "-published_at")
    if sort in ("relevance", "hybrid") and match is None:
        raise BadRequest(
            f"sort={sort} needs a full-text query `q`.",
            errors=[{"loc": ["query", "sort"], "msg": "needs q"}],
        )
    # Stories are SQL's (a story's articles are a range of one SQL index; merges move them between
    # stories): with a story, q, facets and member_of go to SQL too. Filters on who is mentioned and on
    # where (`bbox=`/`near=`: the places inside the area, as gazetteer ids) go to the index as well: SQL
    # joins mentions or places for them (an actor's newest page at 1M: ~7 ms of SQLite, 0.7 ms on the
    # index); pages by source, language or dates alone stay on SQL, which reads them from its own
    # indexes about as fast.
    # (A plain page, is_plain_page, never wants the index: on SQLite app/articles/fastpath.py answers it
    # with sqlite_page before the route is reached.)
    mentions = any(filters[k] for k in ("actor_ids", "actors_all", "actor_kinds", "country"))
    wants_index = f.story is None and (
        f.q or facet_names or member_of is not None or sort == "hybrid" or mentions or f.area is not None
    )
    if fmt == "json" and wants_index and await answers(session, index, consistency):
        assert index is not None
        return await _from_index(session, db, index, page, filters, member_of, f.q, sort, facet_names)
    if sort == "hybrid":
        sort = "relevance"  # SQL has no recency decay; its relevance is the nearest order
    probe = match is None and bool(filters["actor_ids"])
    if probe:
        probe = await repository.actors_are_common(session, filters["actor_ids"])
    conds = repository.filter_conditions(**filters, actors_probe=probe)
    if member_of is not None:
        conds.append(repository.member_of_condition(member_of))
    top = page.limit + 1 if page.cursor is None and fmt == "json" else None
    stmt, ft = repository.list_statement(
        conds, match, relevance=sort == "relevance", top=top, windowed=fmt == "json"
    )
    key = repository.relevance(ft) if sort == "relevance" else repository.SORTS[sort]
    if fmt == "geojson":
        stmt = places_repo.with_main_place(stmt, Article.id)
        return Export(stmt, key, fmt, EXPORT_COLUMNS, _geojson_item, "articles", point_of)
    if fmt != "json":
        return Export(stmt, key, fmt, EXPORT_COLUMNS, _export_item, "articles")
    fingerprint = _fingerprint(filters, f.q, sort, member_of)
    # Full-text ranking can take long on a large match: off the event loop (see app/inline.py).
    async with heavy(session) if match is not None else nullcontext():
        if sort == "relevance":
            assert match is not None
            first, ranking = _sql_ranking(session, conds, match, stmt, key)
            result = await _relevance_page(session, db, page, fingerprint, first, ranking)
        else:
            if match is not None and not conds and await repository.match_is_common(session, match):
                # A common word: walk the date index and probe each article (the first page is near).
                stmt, _ = repository.list_statement(conds, match, probe=True)
            result = await keyset_page(session, stmt, key, page, fingerprint)
    if match is not None:
        snips = await repository.snippets(session, match, [r["id"] for r in result.items])
        for r in result.items:
            r["snippet"] = snips.get(r["id"])
            r.pop("rank", None)
    if facet_names:
        async with heavy(session):
            result.facets = await repository.facets(
                session, repository.matching_ids(conds, match), facet_names
            )
    result.answered_by = "sql"
    return result


Rows = list[dict[str, Any]]


async def _relevance_page(
    session: AsyncSession,
    db: Any,
    page: PageParams,
    filters: dict[str, Any],
    first: Callable[[int], Awaitable[Rows]],
    ranking: Callable[[int], Awaitable[list[int]]],
) -> PageResult:
    """Relevance order that stays put while articles arrive (scores move as the corpus grows).

    Page 1 is one ranked query (`first(n)`: the best n rows); its cursor remembers the newest article id
    and the ids it served. Page 2 freezes the rest of the ranking (`ranking(newest)`: ranked ids of the
    matches that existed at page 1) minus those served, as a snapshot; later pages read it. Only clients
    that page pay for the snapshot. The same cursors work whichever engine ranks."""
    fp = filters_fingerprint(filters)
    if page.cursor is None:
        rows = await first(page.limit + 1)
        if len(rows) <= page.limit:
            return PageResult(rows)
        rows = rows[: page.limit]
        seen = ",".join(str(r["id"]) for r in rows)
        return PageResult(rows, encode_cursor(FIRST_KEY, [await repository.max_id(session), seen], fp))
    if cursor_kind(page.cursor) == FIRST_KEY.name:
        newest, seen_text = decode_cursor(page.cursor, FIRST_KEY, fp)
        seen_ids = {int(x) for x in seen_text.split(",") if x.isdigit()}
        ids = [i for i in await ranking(newest) if i not in seen_ids]
        token = await repository.save_snapshot(db, ids)
        offset = 0
    else:
        token, offset = decode_cursor(page.cursor, SNAPSHOT_KEY, fp)
        loaded = await repository.load_snapshot(session, token)
        if loaded is None:
            raise BadRequest(
                "This cursor has expired; run the search again.",
                errors=[{"loc": ["query", "cursor"], "msg": "expired"}],
            )
        ids = loaded
    wanted = ids[offset : offset + page.limit]
    rows = await repository.summaries(session, wanted)  # an article deleted since is skipped
    more = offset + page.limit < len(ids)
    return PageResult(rows, encode_cursor(SNAPSHOT_KEY, [token, offset + page.limit], fp) if more else None)


def _sql_ranking(
    session: AsyncSession, conds: list[Any], match: FullTextMatch, stmt: Any, key: SortKey
) -> tuple[Callable[[int], Awaitable[Rows]], Callable[[int], Awaitable[list[int]]]]:
    """Page 1 and the frozen ranking from SQL full text (FTS5 bm25 / ts_rank_cd)."""

    async def first(n: int) -> Rows:
        return await repository.rows(session, stmt.order_by(*order_by(key)).limit(n))

    async def ranking(newest: int) -> list[int]:
        full, ft = repository.list_statement(conds, match, relevance=True, upto=newest)
        ordered = full.with_only_columns(Article.id).order_by(*order_by(repository.relevance(ft)))
        ranked = await repository.ids(session, ordered.limit(repository.SNAPSHOT_MAX_IDS))
        if not conds and len(ranked) >= RANK_WINDOW:
            # The ranked window is the newest matches; every older match follows, newest first, so the
            # chain still yields each match once.
            older, _ = repository.list_statement([Article.id <= newest, Article.id.not_in(ranked)], match)
            rest = older.with_only_columns(Article.id).order_by(Article.id.desc())
            ranked += await repository.ids(session, rest.limit(repository.SNAPSHOT_MAX_IDS - len(ranked)))
        return ranked

    return first, ranking


HYBRID_KEY = SortKey("hybrid", ((None, False), (None, False), (None, False)), ("int", "str", "int"))


def _engine_filters(filters: dict[str, Any], spans: list[MemberSpan] | None) -> EngineFilters:
    return EngineFilters(
        actor_ids=filters["actor_ids"] or (),
        actors_all=filters["actors_all"] or (),
        actor_kinds=filters["actor_kinds"] or (),
        countries=[filters["country"]] if filters["country"] else (),
        sources=filters["sources"] or (),
        languages=filters["languages"] or (),
        event_id=filters["event_id"],
        published_after=filters["published_after"],
        published_before=filters["published_before"],
        member_of=spans,
        place_ids=filters.get("place_ids"),
    )


async def _from_index(
    session: AsyncSession,
    db: Any,
    index: SearchIndex,
    page: PageParams,
    filters: dict[str, Any],
    member_of: int | None,
    q: str | None,
    sort: str,
    facet_names: list[str],
) -> PageResult:
    """The page from the search index: ids (and facets) from Tantivy, rows hydrated from SQL by id."""
    assert index.reader is not None
    reader = index.reader
    query = parse_query(q) if q else None
    spans = None
    if member_of is not None:
        spans = [
            MemberSpan(member_of),
            *(MemberSpan(*m) for m in await changes_repo.memberships(session, member_of)),
        ]
    flt = _engine_filters(filters, spans)
    fingerprint = {**filters, "q": q, "sort": sort, "member_of": member_of}
    fp = filters_fingerprint(fingerprint)
    with_body = query is not None  # the page's bodies come with its rows, for the snippets

    async def search(**kw: Any) -> Any:
        try:
            return await anyio.to_thread.run_sync(lambda: reader.search(query, kw.pop("flt", flt), **kw))
        except EngineError as exc:
            raise BadRequest(str(exc), errors=[{"loc": ["query"], "msg": str(exc)}]) from exc

    async def ranked() -> PageResult:
        if sort in ("-published_at", "published_at"):
            key = repository.SORTS[sort]
            after = tuple(decode_cursor(page.cursor, key, fp)) if page.cursor else None
            res = await search(sort=sort, limit=page.limit, after=after)
            rows = await repository.summaries(session, [h.id for h in res.hits], body=with_body)
            last = res.hits[-1] if res.hits else None
            result = PageResult(
                rows, encode_cursor(key, [last.published_at, last.id], fp) if res.more and last else None
            )
        elif sort == "hybrid":
            if page.cursor:
                offset, now_text, newest = decode_cursor(page.cursor, HYBRID_KEY, fp)
                now = datetime.fromisoformat(now_text)
            else:
                offset, now, newest = 0, utcnow(), await repository.max_id(session)
            frozen = replace(flt, max_id=newest)
            res = await search(flt=frozen, sort="hybrid", limit=page.limit, offset=offset, now=now)
            rows = await repository.summaries(session, [h.id for h in res.hits], body=with_body)
            more = res.more and offset + page.limit < MAX_TOP
            nxt = (
                encode_cursor(HYBRID_KEY, [offset + page.limit, now.isoformat(), newest], fp)
                if more
                else None
            )
            result = PageResult(rows, nxt)
        else:

            async def first(n: int) -> Rows:
                res = await search(sort="relevance", limit=n)
                return await repository.summaries(session, [h.id for h in res.hits], body=with_body)

            async def ranking(newest: int) -> list[int]:
                res = await search(flt=replace(flt, max_id=newest), sort="relevance", limit=MAX_TOP)
                return [h.id for h in res.hits]

            result = await _relevance_page(session, db, page, fingerprint, first, ranking)
        if query is not None and result.items:
            body = repository.BODY_FOR_SNIPPET
            texts = {r["id"]: (r["title"], r.pop(body)) for r in result.items if body in r}
            later = [r["id"] for r in result.items if r["id"] not in texts]  # pages read from a snapshot
            if later:
                texts.update(await repository.texts(session, later))
            # On the event loop: pure Python work (~1 ms a page) that a thread would only add a hop to.
            snips = engine_snippets(query, texts)
            for r in result.items:
                r["snippet"] = snips.get(r["id"])
        return result

    if not facet_names:
        result = await ranked()
    else:
        # Facets count every match while the page is found: the two run at once, each in a thread of its
        # own (Tantivy works without the GIL), so the request waits for the longer of them, not the sum
        # (`energy prices` at 1M: its best hit ~7 ms, its facets ~34).
        counting = asyncio.ensure_future(
            anyio.to_thread.run_sync(lambda: reader.facets(query, flt, facet_names))
        )
        try:
            result = await ranked()
            counts = await counting
        finally:
            if counting.done():
                _forget(counting)  # its outcome read, also when the page failed first
            else:  # the page failed, or the request was cancelled: nobody waits for it
                counting.cancel()
                counting.add_done_callback(_forget)
        result.facets = await _label_facets(session, counts)
    result.answered_by = "index"
    return result


def _forget(task: asyncio.Future[Any]) -> None:
    """A task nobody awaits any more: its outcome is read so that asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()


async def _label_facets(session: AsyncSession, counts: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Actor facets come from the index as ids: label them as the SQL facets do."""
    if "actor" in counts:
        briefs = await actors_repo.briefs(session, [c["value"] for c in counts["actor"]])
        counts["actor"] = [
            {"value": b["slug"], "id": b["id"], "name": b["name"], "kind": b["kind"], "count": c["count"]}
            for c in counts["actor"]
            if (b := briefs.get(c["value"])) is not None
        ]
    return counts


def _facet_names(facets: str | None) -> list[str]:
    if not facets:
        return []
    names = [f.strip() for f in facets.split(",") if f.strip()]
    unknown = [n for n in names if n not in repository.ARTICLE_FACETS]
    if unknown:
        raise BadRequest(
            f"Unknown facet {unknown[0]!r}; choose from {', '.join(repository.ARTICLE_FACETS)}.",
            errors=[{"loc": ["query", "facets"], "msg": "unknown facet"}],
        )
    return list(dict.fromkeys(names))


def _export_item(row: Any) -> dict[str, Any]:
    return {c: row[c] for c in EXPORT_COLUMNS}


def _geojson_item(row: Any) -> dict[str, Any]:
    """An article as a GeoJSON feature's properties: its main place gives the point."""
    item = _export_item(row)
    if row["place_id"] is not None:
        item["place"] = {
            "id": row["place_id"],
            "name": row["place_name"],
            "lat": row["place_lat"],
            "lon": row["place_lon"],
        }
    else:
        item["place"] = None
    return item


def point_of(item: dict[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) of an article's main place."""
    place = item.get("place")
    return (place["lon"], place["lat"]) if place else None


# -- writes: one article with an Idempotency-Key, or a bulk body -------------------------------------


@dataclass
class Created:
    """The response to POST /v1/articles as sent: 201 when new, 200 when already stored (the stored
    article), or a replay of the first response to the same Idempotency-Key."""

    body: bytes
    status: int
    headers: dict[str, str]
    replayed: bool = False


async def create_article_once(
    session: AsyncSession,
    db: Any,
    data: ArticleCreate,
    key: str | None,
    owner: int,
    request_hash: str | None,
) -> Created:
    """POST /v1/articles. With an Idempotency-Key (scoped to `owner`, the API key's id) the first request
    runs and commits its response with the article; retries wait for it and replay it (app/articles/
    idempotency.py)."""
    if not key or not request_hash:
        return await _create_one(session, data)
    settings = db.settings
    got = await idempotency.claim(
        db,
        owner,
        key,
        request_hash,
        wait=settings.idempotency_wait,
        stale_after=settings.idempotency_stale_after,
    )
    if isinstance(got, idempotency.Stored):
        return Created(got.body, got.status, got.headers, replayed=True)
    try:
        created = await _create_one(session, data)
        await idempotency.finish(
            session, got, idempotency.Stored(created.status, created.headers, created.body)
        )
        # Committed here rather than after the endpoint: a failed commit must give the claim back too.
        await session.commit()
    except BaseException:
        await session.rollback()
        await idempotency.release(db, got)
        raise
    return created


async def _create_one(session: AsyncSession, data: ArticleCreate) -> Created:
    outcome = await create_article(session, data)
    detail = await get_article(session, outcome.id)
    status = 201 if outcome.status == "created" else 200
    return Created(dumps(detail), status, {"Location": f"/v1/articles/{outcome.id}"})


async def ingest_bulk(db: Any, raw: bytes, ndjson: bool, preparer: Preparer | None = None) -> dict[str, Any]:
    """Many articles at once: every line is accounted for; bad lines never abort good ones.

    On SQLite the body is prepared on a read session, outside the worker's write turn, and only its
    storing takes the turn (`_store_apart`, in a thread): while one body is stored, the next one (the
    same client's next request in flight, or another client's) is decoded and prepared meanwhile. Held
    for the whole request, the turn had made one worker's bulk bodies wait for each other's preparing
    too (docs/benchmarks.md, twenty-seventh session). On PostgreSQL (no write turn) the request's writer session
    prepares and stores."""
    # Splitting the body (and loading a JSON array: ~0.5 s for 2,000 articles, 4 MB) in a thread, so that
    # the event loop keeps serving other requests meanwhile; each item is decoded and validated where it
    # is prepared (the preparing processes, when they run).
    db.ensure_available()  # before the body is split: a database that is down is a 503 at once
    objects = await anyio.to_thread.run_sync(lambda: bulk.split(raw, ndjson=ndjson))
    if db.sync_engine is not None:
        async with db.reader() as session:  # reads the linkers' versions; never SQLite's write lock
            prepared, failed = await (preparer or INLINE).prepare_raw(session, objects)
        result = BulkResult(failed=failed)
        if prepared:
            async with db.write_turn():
                result.outcomes = await anyio.to_thread.run_sync(_store_apart, db.sync_engine, prepared)
    else:
        async with db.session(write=True) as session:
            prepared, failed = await (preparer or INLINE).prepare_raw(session, objects)
            result = await _stored(session, prepared, failed)
    return {
        **result.counts(),
        "failed": sorted(result.failed, key=lambda f: f["index"]),
        "results": [
            {"index": o.index, "status": o.status, "id": o.id, "duplicate_of": o.duplicate_of}
            for o in result.outcomes
        ],
    }


# -- storing a prepared batch (sync) -------------------------------------------------------------------


def _near_duplicates(session: Session, fresh: list[Prepared]) -> dict[int, int]:
    """index -> id of the oldest stored article within NEAR_DUPLICATE_DISTANCE bits of it, among the
    NEAR_DUPLICATE_BUCKET oldest holding each of its band values (all of them unless a value is that
    common: see repository.NEAR_DUPLICATE_BUCKET) that are not near-duplicates themselves.

    Each stored holder is compared with the batch's articles sharing its band value, in numpy: at 1M
    articles a batch of 500 meets ~70k holders."""
    if not fresh:
        return {}
    bands = [{p.values[f"sh{b}"] for p in fresh} for b in range(4)]
    held = repository.near_duplicate_candidates(session, bands)  # (band, value, id, simhash), by id
    if not len(held):
        return {}
    # The batch's (band, value) keys, sorted: each holder's key finds the run of articles sharing it.
    keys = np.array([b << 16 | p.values[f"sh{b}"] for p in fresh for b in range(4)], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    article = order // 4  # position in `fresh` of each sorted key
    sims = np.array([to_unsigned64(p.values["simhash"]) for p in fresh], dtype=np.uint64)
    held_keys = held[:, 0] << 16 | held[:, 1]
    lo = np.searchsorted(keys, held_keys, "left")
    runs = np.searchsorted(keys, held_keys, "right") - lo
    # Every (holder, article) pair sharing a key: the holder's row repeated over its run.
    row = np.repeat(np.arange(len(held)), runs)
    within = np.arange(len(row)) - np.repeat(np.cumsum(runs) - runs, runs)
    pos = article[np.repeat(lo, runs) + within]
    close = np.bitwise_count(held[row, 3].view(np.uint64) ^ sims[pos]) <= NEAR_DUPLICATE_DISTANCE
    # (article, holder) pairs within reach, in the holders' id order (`held` is ordered by id).
    pairs = list(zip(pos[close].tolist(), held[row[close], 2].tolist(), strict=True))
    if not pairs:
        return {}
    copies = repository.duplicates_among(session, (cid for _, cid in pairs))
    found: dict[int, int] = {}
    for i, cid in pairs:  # the first original an article meets is its oldest
        if cid not in copies:
            found.setdefault(fresh[i].index, cid)
    return found


def _batch_duplicates(fresh: list[Prepared], stored_dupes: dict[int, int]) -> dict[int, int]:
    """index -> index of an earlier original in the same batch, for near-copies inside a batch."""
    found: dict[int, int] = {}
    near = earlier_near([p.values["simhash"] for p in fresh])
    for i in sorted(near):
        p = fresh[i]
        if p.index in stored_dupes:
            continue
        for j in near[i]:
            q = fresh[j]
            if q.index not in stored_dupes and q.index not in found:
                found[p.index] = q.index
                break
    return found


def _classify(
    session: Session, batch: Sequence[Prepared]
) -> tuple[dict[int, Outcome], list[Prepared], list[Prepared]]:
    """Which articles are already stored (unchanged or to update) and which are new."""
    urls = {p.values["canonical_url"] for p in batch}
    hashes = {p.values["content_hash"] for p in batch}
    by_url: dict[str, tuple[int, str | None, bool]] = {}
    by_hash: dict[str, int] = {}
    for aid, url, digest, stub in repository.stored_by_url_or_hash(session, urls, hashes):
        if url in urls:
            by_url[url] = (aid, digest, stub)
        if digest is not None:
            by_hash[digest] = aid
    outcomes: dict[int, Outcome] = {}
    fresh: list[Prepared] = []
    updates: list[Prepared] = []
    pending_urls: set[str] = set()
    pending_hashes: set[str] = set()
    for p in batch:
        url, digest = p.values["canonical_url"], p.values["content_hash"]
        if url in by_url:
            aid, stored_hash, stub = by_url[url]
            if stored_hash == digest and not stub:
                outcomes[p.index] = Outcome(p.index, "unchanged", aid)
            elif digest in by_hash and by_hash[digest] != aid:
                # The new content already lives under another URL: keep one copy of it.
                outcomes[p.index] = Outcome(p.index, "unchanged", by_hash[digest])
            else:
                updates.append(p)
                outcomes[p.index] = Outcome(p.index, "updated", aid)
                by_url[url] = (aid, digest, False)
                by_hash[digest] = aid
        elif digest in by_hash:
            outcomes[p.index] = Outcome(p.index, "unchanged", by_hash[digest])
        elif url in pending_urls or digest in pending_hashes:
            pass  # a repeat inside this batch: resolved after the insert
        else:
            fresh.append(p)
            pending_urls.add(url)
            pending_hashes.add(digest)
    return outcomes, fresh, updates


# A batch of at least this many articles is stored with SQLite's larger page cache (dialect.write_cache).
WRITE_CACHE_MIN_BATCH = 16


def store(session: Session, batch: Sequence[Prepared]) -> list[Outcome]:
    """Store a batch in the current transaction; each article is created, updated or left unchanged."""
    with write_cache(session) if len(batch) >= WRITE_CACHE_MIN_BATCH else nullcontext():
        return _store(session, batch)


def _store(session: Session, batch: Sequence[Prepared], _depth: int = 0) -> list[Outcome]:
    outcomes, fresh, updates = _classify(session, batch)
    stored_dupes = _near_duplicates(session, fresh)  # index -> id of a stored original
    batch_dupes = _batch_duplicates(fresh, stored_dupes)  # index -> index of an original in the batch

    # Sorted, so concurrent writers take their locks in the same order and cannot deadlock.
    rows = sorted(fresh, key=lambda p: p.values["canonical_url"])
    created_ids = repository.insert_new(
        session, [{**p.values, "duplicate_of_id": stored_dupes.get(p.index)} for p in rows]
    )
    id_of = {p.index: created_ids.get(p.values["canonical_url"]) for p in fresh}
    repository.set_duplicate_of(
        session,
        [
            {"aid": aid, "dup": dup}
            for p in fresh
            if (q := batch_dupes.get(p.index)) is not None and (aid := id_of[p.index]) and (dup := id_of[q])
        ],
    )
    for p in fresh:
        created_id = id_of[p.index]
        if created_id is not None:  # else another writer stored it first: looked up again below
            q = batch_dupes.get(p.index)
            original = stored_dupes.get(p.index) or (id_of[q] if q is not None else None)
            outcomes[p.index] = Outcome(p.index, "created", created_id, original)

    repository.update_stored(
        session,
        [
            (outcomes[p.index].id, {c: v for c, v in p.values.items() if c != "canonical_url"})
            for p in updates
        ],
    )
    written = [
        p for p in (*fresh, *updates) if p.index in outcomes and outcomes[p.index].status != "unchanged"
    ]
    repository.store_mentions(
        session,
        [outcomes[p.index].id for p in updates],
        [{"article_id": outcomes[p.index].id, **m} for p in written for m in p.mentions],
    )
    repository.store_places(
        session,
        [outcomes[p.index].id for p in updates],
        [{"article_id": outcomes[p.index].id, **pl} for p in written for pl in p.places],
    )
    # The posted HTML, kept only when asked; an update drops the copy of the content it replaces.
    repository.store_raw(
        session,
        [outcomes[p.index].id for p in updates],
        [{"article_id": outcomes[p.index].id, "html": p.raw_html} for p in written if p.raw_html],
    )

    # Every new article joins a story (or starts one) in this same transaction.
    stories.assign(
        session,
        [
            stories.NewArticle(
                o.id,
                p.values["title"],
                p.values["published_at"],
                p.values["story_sig"],
                frozenset(m["actor_id"] for m in p.mentions),
                o.duplicate_of,
            )
            for p in fresh
            if (o := outcomes.get(p.index)) is not None and o.status == "created"
        ],
    )

    # Repeats inside the batch, and articles another writer stored first: look them up again.
    rest = [p for p in batch if p.index not in outcomes]
    if rest:
        if _depth >= 3:
            raise OperationalError("ingestion could not settle concurrent writes", None, Exception("retry"))
        for o in _store(session, rest, _depth=_depth + 1):
            outcomes[o.index] = o
    return [outcomes[p.index] for p in batch]
