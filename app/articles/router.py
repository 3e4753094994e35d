from __future__ import annotations

from contextlib import nullcontext
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from ..actors.schemas import ActorKind
from ..actors.service import filter_ids
from ..auth import read_access, write_access
from ..db import SessionDep, fetch
from ..errors import ERROR_RESPONSES, BadRequest, NotFound, Unprocessable
from ..graph.repository import articles_member_of_condition
from ..graph.router import MemberOfDep
from ..inline import heavy
from ..models import Article, to_utc_naive
from ..pagination import (
    Page,
    PageParams,
    SortKey,
    cursor_kind,
    decode_cursor,
    encode_cursor,
    filters_fingerprint,
    next_cursor,
    order_by,
    page_params,
    page_response,
)
from ..responses import JSON
from ..schemas import Iso3
from ..search import export, snapshots
from ..search.dialect import RANK_WINDOW, Match
from ..search.export import wanted_format
from ..search.facets import ARTICLE_FACETS, article_facets
from ..search.query import parse as parse_query
from . import bulk, idempotency, repository, service
from .dependencies import ArticleDep
from .schemas import ArticleCreate, ArticleRead, ArticleSummary, ArticleUpdate, BulkReport

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=ERROR_RESPONSES)


EXPORT_COLUMNS = ("id", "url", "title", "summary", "source", "language", "published_at")


@router.get(
    "",
    response_model=Page[ArticleSummary],
    dependencies=[read_access],
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def list_articles(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    member_of: MemberOfDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=500, description='Full text: words, "phrases", prefix*, OR, -exclusion.'
        ),
    ] = None,
    actor: Annotated[
        list[str] | None, Query(description="Mentions any of these actors (id or slug).")
    ] = None,
    actors_all: Annotated[list[str] | None, Query(description="Mentions all of these actors.")] = None,
    actor_kind: Annotated[
        list[ActorKind] | None, Query(description="Mentions an actor of these kinds.")
    ] = None,
    country: Annotated[Iso3 | None, Query(description="Mentions an actor of this country (alpha-3).")] = None,
    source: Annotated[list[str] | None, Query(description="Any of these sources.")] = None,
    language: Annotated[list[str] | None, Query(description="Any of these languages.")] = None,
    event: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="Articles linked to this event.")
    ] = None,
    published_after: Annotated[datetime | date | None, Query(description="Inclusive.")] = None,
    published_before: Annotated[datetime | date | None, Query(description="Exclusive.")] = None,
    sort: Annotated[
        Literal["-published_at", "published_at", "relevance"] | None,
        Query(description="Default: relevance with `q`, else -published_at."),
    ] = None,
    facets: Annotated[
        str | None, Query(max_length=100, description="Comma list: source,actor,language,actor_kind")
    ] = None,
    format: Annotated[
        str | None, Query(description="json (paged, default), ndjson or csv (every match, streamed).")
    ] = None,
) -> Response:
    fmt = wanted_format(request, format)
    facet_names = _facet_names(facets)
    filters: dict[str, Any] = {
        "actor_ids": await filter_ids(session, actor, "actor"),
        "actors_all": await filter_ids(session, actors_all, "actors_all"),
        "actor_kinds": actor_kind,
        "country": country,
        "sources": source,
        "languages": language,
        "event_id": event,
        "published_after": to_utc_naive(published_after) if published_after else None,
        "published_before": to_utc_naive(published_before) if published_before else None,
    }
    match = Match(session.get_bind().dialect.name, parse_query(q)) if q else None
    sort = sort or ("relevance" if match else "-published_at")
    if sort == "relevance" and match is None:
        raise BadRequest(
            "sort=relevance needs a full-text query `q`.",
            errors=[{"loc": ["query", "sort"], "msg": "needs q"}],
        )
    probe = match is None and bool(filters["actor_ids"])
    if probe:
        probe = await repository.actors_are_common(session, filters["actor_ids"])
    conds = repository.filter_conditions(**filters, actors_probe=probe)
    if member_of is not None:
        conds.append(articles_member_of_condition(member_of))
    top = page.limit + 1 if page.cursor is None and fmt == "json" else None
    stmt, ft = repository.list_statement(
        conds, match, relevance=sort == "relevance", top=top, windowed=fmt == "json"
    )
    key = repository.relevance(ft) if sort == "relevance" else repository.SORTS[sort]
    if fmt != "json":
        ordered = stmt.order_by(*order_by(key))
        return export.stream(request, ordered, fmt, _export_item, EXPORT_COLUMNS, "articles")
    fp = filters_fingerprint({**filters, "q": q, "sort": sort, "member_of": member_of})
    # Full-text ranking can take long on a large match: off the event loop (see app/inline.py).
    async with heavy(session) if match is not None else nullcontext():
        if sort == "relevance":
            assert match is not None
            rows, cursor = await _relevance_page(request, session, conds, match, stmt, key, page, fp)
        else:
            if match is not None and not conds and await repository.match_is_common(session, match):
                # A common word: walk the date index and probe each article (the first page is near).
                stmt, _ = repository.list_statement(conds, match, probe=True)
            rows = await repository.list_page(session, stmt, key, page, fp)
            rows, cursor = next_cursor(rows, key, page, fp, lambda r: (r["published_at"], r["id"]))
    if match is not None:
        snips = await repository.snippets(session, match, [r["id"] for r in rows])
        for r in rows:
            r["snippet"] = snips.get(r["id"])
            r.pop("rank", None)
    facet_counts = None
    if facet_names:
        async with heavy(session):
            facet_counts = await article_facets(session, repository.matching_ids(conds, match), facet_names)
    return page_response(request, rows, cursor, facet_counts)


FIRST_KEY = SortKey("relevance-first", ((None, False), (None, False)), ("int", "str"))
SNAPSHOT_KEY = SortKey("relevance", ((None, False), (None, False)), ("str", "int"))


async def _relevance_page(
    request: Request,
    session: Any,
    conds: list[Any],
    match: Match,
    stmt: Any,
    key: SortKey,
    page: PageParams,
    fp: str,
) -> tuple[list[dict[str, Any]], str | None]:
    """Relevance order that stays put while articles arrive (bm25 scores move as the corpus grows).

    Page 1 is one ranked query with the LIMIT inside the full-text index; its cursor remembers the
    newest article id and the ids it served. Page 2 freezes the rest of the ranking — matches that
    existed at page 1, minus those served — as a snapshot (search/snapshots.py); later pages read it.
    Only clients that page pay for the snapshot."""
    if page.cursor is None:
        rows = [
            dict(r)
            for r in (await fetch(session, stmt.order_by(*order_by(key)).limit(page.limit + 1))).mappings()
        ]
        if len(rows) <= page.limit:
            return rows, None
        rows = rows[: page.limit]
        seen = ",".join(str(r["id"]) for r in rows)
        return rows, encode_cursor(FIRST_KEY, [await repository.max_id(session), seen], fp)
    if cursor_kind(page.cursor) == FIRST_KEY.name:
        newest, seen_text = decode_cursor(page.cursor, FIRST_KEY, fp)
        seen = {int(x) for x in seen_text.split(",") if x.isdigit()}
        full, ft = repository.list_statement(conds, match, relevance=True, upto=newest)
        ordered = full.with_only_columns(Article.id).order_by(*order_by(repository.relevance(ft)))
        ranked = list((await fetch(session, ordered.limit(snapshots.MAX_IDS))).scalars())
        if not conds and len(ranked) >= RANK_WINDOW:
            # The ranked window is the newest matches; every older match follows, newest first, so the
            # chain still yields each match once.
            older, _ = repository.list_statement([Article.id <= newest, Article.id.not_in(ranked)], match)
            rest = older.with_only_columns(Article.id).order_by(Article.id.desc())
            ranked += list((await fetch(session, rest.limit(snapshots.MAX_IDS - len(ranked)))).scalars())
        ids = [i for i in ranked if i not in seen]
        token = await snapshots.save(request.app.state.db, ids)
        offset = 0
    else:
        token, offset = decode_cursor(page.cursor, SNAPSHOT_KEY, fp)
        loaded = await snapshots.load(session, token)
        if loaded is None:
            raise BadRequest(
                "This cursor has expired; run the search again.",
                errors=[{"loc": ["query", "cursor"], "msg": "expired"}],
            )
        ids = loaded
    wanted = ids[offset : offset + page.limit]
    plain, _ = repository.list_statement([Article.id.in_(wanted)], None)
    found = {r["id"]: dict(r) for r in (await fetch(session, plain)).mappings()}
    rows = [found[i] for i in wanted if i in found]  # an article deleted since is skipped
    more = offset + page.limit < len(ids)
    return rows, encode_cursor(SNAPSHOT_KEY, [token, offset + page.limit], fp) if more else None


def _facet_names(facets: str | None) -> list[str]:
    if not facets:
        return []
    names = [f.strip() for f in facets.split(",") if f.strip()]
    unknown = [n for n in names if n not in ARTICLE_FACETS]
    if unknown:
        raise BadRequest(
            f"Unknown facet {unknown[0]!r}; choose from {', '.join(ARTICLE_FACETS)}.",
            errors=[{"loc": ["query", "facets"], "msg": "unknown facet"}],
        )
    return list(dict.fromkeys(names))


def _export_item(row: Any) -> dict[str, Any]:
    return {c: row[c] for c in EXPORT_COLUMNS}


@router.post(
    "",
    status_code=201,
    response_model=ArticleRead,
    dependencies=[write_access],
    responses={200: {"model": ArticleRead, "description": "Already stored (same canonical URL or content)."}},
)
async def create_article(
    request: Request,
    session: SessionDep,
    body: ArticleCreate,
    idempotency_key: Annotated[
        str | None, Header(max_length=255, description="Replays the first response for a repeated key.")
    ] = None,
) -> Response:
    digest = None
    if idempotency_key:
        digest = idempotency.request_hash(request.method, request.url.path, await request.body())
        seen = await idempotency.lookup(session, idempotency_key)
        if seen is not None:
            if seen.request_hash != digest:
                raise Unprocessable("This Idempotency-Key was used with a different request.")
            return Response(
                seen.body,
                status_code=seen.status_code,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
    outcome = await service.create_article(session, body)
    detail = await service.get_article(session, outcome.id)
    status = 201 if outcome.status == "created" else 200
    if idempotency_key and digest:
        await idempotency.remember(session, idempotency_key, digest, status, detail)
    return JSON(detail, status_code=status, headers={"Location": f"/v1/articles/{outcome.id}"})


BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "One article object per line."}
            },
            "application/json": {"schema": {"type": "array", "items": ArticleCreate.model_json_schema()}},
        },
    }
}


@router.post("/bulk", response_model=BulkReport, dependencies=[write_access], openapi_extra=BULK_BODY)
async def bulk_articles(request: Request, session: SessionDep) -> Response:
    """Many articles at once: every line is accounted for; bad lines never abort good ones."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    items, failed = bulk.parse(raw, ndjson=ctype != "application/json")
    result = await service.ingest(session, items)
    report = {
        **result.counts(),
        "failed": sorted(failed + result.failed, key=lambda f: f["index"]),
        "results": [
            {"index": o.index, "status": o.status, "id": o.id, "duplicate_of": o.duplicate_of}
            for o in result.outcomes
        ],
    }
    return JSON(report)


@router.get("/{article_id}", response_model=ArticleRead, dependencies=[read_access])
async def get_article(
    session: SessionDep, article_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> Response:
    detail = await service.get_article(session, article_id)
    if detail is None:
        raise NotFound(f"No article {article_id}.")
    return JSON(detail)


@router.patch("/{article_id}", response_model=ArticleRead, dependencies=[write_access])
async def update_article(session: SessionDep, article_id: ArticleDep, body: ArticleUpdate) -> Response:
    await service.update_article(session, article_id, body)
    return JSON(await service.get_article(session, article_id))


@router.delete("/{article_id}", status_code=204, dependencies=[write_access])
async def delete_article(session: SessionDep, article_id: ArticleDep) -> Response:
    await service.delete_article(session, article_id)
    return Response(status_code=204)
