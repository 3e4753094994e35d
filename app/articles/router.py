"""/v1/articles, /v1/articles/bulk and /v1/articles/{id}."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from ..auth import read_access, write_access
from ..db import DatabaseDep, SessionDep
from ..errors import ERROR_RESPONSES, NotFound
from ..geo import GeoArea
from ..models import ActorKind
from ..pagination import Page, PageDep, list_response
from ..params import After, Before, Consistency, GeoFormat, IdPath, MemberOf, actor_refs, id_query
from ..responses import JSON
from ..schemas import Iso3
from ..search.index import SearchDep, consistency_of
from . import idempotency, service
from .dependencies import ArticleDep
from .schemas import FACETS_PATTERN, ArticleCreate, ArticleRead, ArticleSummary, ArticleUpdate, BulkReport

router = APIRouter(prefix="/v1/articles", tags=["articles"], responses=ERROR_RESPONSES)


@router.get(
    "",
    response_model=Page[ArticleSummary],
    dependencies=[read_access],
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def list_articles(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    search: SearchDep,
    page: PageDep,
    fmt: GeoFormat,
    area: GeoArea,
    member_of: MemberOf = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1, max_length=500, description='Full text: words, "phrases", prefix*, OR, -exclusion.'
        ),
    ] = None,
    actor: Annotated[list[str] | None, actor_refs("Mentions any of these actors (id or slug).")] = None,
    actors_all: Annotated[list[str] | None, actor_refs("Mentions all of these actors.")] = None,
    actor_kind: Annotated[
        list[ActorKind] | None, Query(description="Mentions an actor of these kinds.")
    ] = None,
    country: Annotated[Iso3 | None, Query(description="Mentions an actor of this country (alpha-3).")] = None,
    source: Annotated[list[str] | None, Query(description="Any of these sources.")] = None,
    language: Annotated[list[str] | None, Query(description="Any of these languages.")] = None,
    event: Annotated[int | None, id_query("Articles linked to this event.")] = None,
    story: Annotated[
        int | None, id_query("Articles of this story (a merged story's id finds the story it joined).")
    ] = None,
    published_after: After = None,
    published_before: Before = None,
    sort: Annotated[
        Literal["-published_at", "published_at", "relevance", "hybrid"] | None,
        Query(
            description="Default: relevance with `q`, else -published_at. `hybrid`: relevance with a recency "
            "decay (bm25 × (0.25 + 0.75 × 2^(−age in days / 30)))."
        ),
    ] = None,
    facets: Annotated[
        str | None,
        Query(
            max_length=100, pattern=FACETS_PATTERN, description="Comma list: source,actor,language,actor_kind"
        ),
    ] = None,
    consistency: Consistency = None,
) -> Response:
    filters = service.ArticleFilters(
        q=q,
        actors=actor,
        actors_all=actors_all,
        actor_kinds=actor_kind,
        country=country,
        sources=source,
        languages=language,
        event_id=event,
        published_after=published_after,
        published_before=published_before,
        member_of=member_of,
        area=area,
        story=story,
    )
    result = await service.list_articles(
        session, db, page, fmt, filters, sort, facets, search, consistency_of(request, consistency)
    )
    return list_response(request, result)


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
    db: DatabaseDep,
    body: ArticleCreate,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=255,
            description="Retries with the same key (from the same API key) get the first response again.",
        ),
    ] = None,
) -> Response:
    digest = (
        idempotency.request_hash(request.method, request.url.path, await request.body())
        if idempotency_key
        else None
    )
    principal = getattr(request.state, "principal", None)
    owner = principal.id if principal is not None else 0
    out = await service.create_article_once(session, db, body, idempotency_key, owner, digest)
    headers = {**out.headers, **({"Idempotent-Replayed": "true"} if out.replayed else {})}
    return Response(out.body, status_code=out.status, media_type="application/json", headers=headers)


# Only the JSON array is declared: the NDJSON body (same articles, one per line) is accepted just the same,
# but a second content type makes openapi-python-client emit a body check that raises TypeError on every
# call (`isinstance(body, list[...])`), so it is described in words instead (docs/clients.md).
BULK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,  # an empty bulk body is a 400
                    "items": {"$ref": "#/components/schemas/ArticleCreate"},
                }
            },
        },
    }
}


@router.post("/bulk", response_model=BulkReport, dependencies=[write_access], openapi_extra=BULK_BODY)
async def bulk_articles(request: Request, db: DatabaseDep) -> Response:
    """Many articles at once, as a JSON array or as NDJSON (`Content-Type: application/x-ndjson`, one
    article object per line): every item is accounted for; bad items never abort good ones."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    preparer = request.app.state.preparer
    # The session is the service's: on SQLite only the storing takes the worker's write turn.
    report = await service.ingest_bulk(db, body, ndjson=ctype != "application/json", preparer=preparer)
    return JSON(report)


@router.get("/{article_id}", response_model=ArticleRead, dependencies=[read_access])
async def get_article(session: SessionDep, article_id: IdPath) -> Response:
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
