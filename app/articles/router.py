from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from ..actors.schemas import ActorKind
from ..actors.service import filter_ids
from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES, Unprocessable
from ..ingestion import bulk, idempotency
from ..pagination import Page, PageParams, filters_fingerprint, next_cursor, page_params, page_response
from ..responses import JSON
from ..schemas import Iso3
from . import repository, service
from .dependencies import ArticleDep
from .schemas import ArticleCreate, ArticleRead, ArticleSummary, ArticleUpdate, BulkReport

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[ArticleSummary], dependencies=[read_access])
async def list_articles(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
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
    sort: Annotated[Literal["-published_at", "published_at"], Query()] = "-published_at",
) -> Response:
    filters = {
        "actor_ids": await filter_ids(session, actor, "actor"),
        "actors_all": await filter_ids(session, actors_all, "actors_all"),
        "actor_kinds": actor_kind,
        "country": country,
        "sources": source,
        "languages": language,
        "event_id": event,
        "published_after": service.to_utc_naive(published_after) if published_after else None,
        "published_before": service.to_utc_naive(published_before) if published_before else None,
    }
    key = repository.SORTS[sort]
    fp = filters_fingerprint(filters)
    rows = await repository.list_page(session, repository.filter_conditions(**filters), key, page, fp)
    rows, cursor = next_cursor(rows, key, page, fp, lambda r: (r["published_at"], r["id"]))
    return page_response(request, rows, cursor)


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
    outcome = await service.create(session, body)
    detail = await service.detail(session, outcome.id)
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
async def get_article(session: SessionDep, article_id: ArticleDep) -> Response:
    return JSON(await service.detail(session, article_id))


@router.patch("/{article_id}", response_model=ArticleRead, dependencies=[write_access])
async def update_article(session: SessionDep, article_id: ArticleDep, body: ArticleUpdate) -> Response:
    await service.update(session, article_id, body)
    return JSON(await service.detail(session, article_id))


@router.delete("/{article_id}", status_code=204, dependencies=[write_access])
async def delete_article(session: SessionDep, article_id: ArticleDep) -> Response:
    await repository.delete_article(session, article_id)
    return Response(status_code=204)
