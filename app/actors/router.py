from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import (
    Page,
    PageParams,
    filters_fingerprint,
    next_cursor,
    order_by,
    page_params,
    page_response,
)
from ..relations import repository as relations_repo
from ..responses import JSON
from ..schemas import Iso3
from ..search import export
from ..search.export import wanted_format
from ..text import fold
from . import repository, service
from .dependencies import ActorDep
from .fuzzy import fuzzy_ids
from .schemas import (
    ActorCreate,
    ActorKind,
    ActorRead,
    ActorSummary,
    ActorUpdate,
    MemberRead,
    ResolveRequest,
    ResolveResponse,
)

router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=ERROR_RESPONSES)
resolve_router = APIRouter(prefix="/v1", tags=["utilities"], responses=ERROR_RESPONSES)

AsOf = Annotated[
    date | None, Query(description="Evaluate time-bounded relations on this date (default today).")
]


@router.get("", response_model=Page[ActorSummary], dependencies=[read_access])
async def list_actors(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[list[ActorKind] | None, Query(description="Any of these kinds.")] = None,
    country: Annotated[Iso3 | None, Query(description="ISO 3166-1 alpha-3 of the actor's country.")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Name, alias or code: prefix, typo- and transliteration-tolerant.",
        ),
    ] = None,
    member_of: Annotated[str | None, Query(max_length=255, description="Members of this alliance.")] = None,
    as_of: AsOf = None,
    format: Annotated[
        str | None, Query(description="json (paged, default), ndjson or csv (every match).")
    ] = None,
) -> Response:
    fmt = wanted_format(request, format)
    member_ids = None
    org_id = await service.filter_id(session, member_of, "member_of")
    if org_id is not None:
        member_ids = relations_repo.member_ids_subquery(org_id, as_of or date.today())
    q_folded = fold(q) if q else None
    fuzzy = await session.run_sync(fuzzy_ids, q) if q else None
    stmt = repository.list_statement(
        kind=kind, country=country, q_folded=q_folded, member_ids=member_ids, fuzzy_ids=fuzzy
    )
    fp = filters_fingerprint(
        {"kind": kind, "country": country, "q": q_folded, "m": member_of, "as_of": as_of}
    )
    if fmt != "json":
        key = repository.match_sort(q_folded) if q_folded else repository.SORT_BY_NAME
        columns = ("id", "kind", "name", "slug", "country", "description")
        return export.stream(
            request,
            stmt.order_by(*order_by(key)),
            fmt,
            lambda r: {c: r[c] for c in columns},
            columns,
            "actors",
        )
    if q_folded:
        key = repository.match_sort(q_folded)
        stmt = stmt.add_columns(key.columns[0][0].label("match_rank"))
        rows = await repository.list_page(session, stmt, key, page, fp)
        rows, cursor = next_cursor(rows, key, page, fp, lambda r: (r["match_rank"], r["name"], r["id"]))
        for r in rows:
            del r["match_rank"]
    else:
        key = repository.SORT_BY_NAME
        rows = await repository.list_page(session, stmt, key, page, fp)
        rows, cursor = next_cursor(rows, key, page, fp, lambda r: (r["name"], r["id"]))
    return page_response(request, rows, cursor)


@router.post("", status_code=201, response_model=ActorRead, dependencies=[write_access])
async def create_actor(request: Request, session: SessionDep, body: ActorCreate) -> Response:
    actor_id = await service.create(session, body)
    detail = await service.detail(session, actor_id)
    return JSON(detail, status_code=201, headers={"Location": f"/v1/actors/{detail['slug']}"})


@router.get("/{actor}", response_model=ActorRead, dependencies=[read_access])
async def get_actor(session: SessionDep, actor_id: ActorDep, as_of: AsOf = None) -> Response:
    return JSON(await service.detail(session, actor_id, as_of))


@router.patch("/{actor}", response_model=ActorRead, dependencies=[write_access])
async def update_actor(session: SessionDep, actor_id: ActorDep, body: ActorUpdate) -> Response:
    await service.update(session, actor_id, body)
    return JSON(await service.detail(session, actor_id))


@router.delete("/{actor}", status_code=204, dependencies=[write_access])
async def delete_actor(session: SessionDep, actor_id: ActorDep) -> Response:
    await repository.delete_actor(session, actor_id)
    return Response(status_code=204)


@router.get("/{actor}/members", response_model=Page[MemberRead], dependencies=[read_access])
async def list_members(
    request: Request,
    session: SessionDep,
    actor_id: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    as_of: AsOf = None,
) -> Response:
    day = as_of or date.today()
    fp = filters_fingerprint({"org": actor_id, "as_of": day})
    rows = await relations_repo.members_page(session, actor_id, day, page, fp)
    rows, cursor = next_cursor(rows, relations_repo.MEMBER_SORT, page, fp, lambda r: (r["name"], r["id"]))
    items = [
        {
            "actor": {k: r[k] for k in ("id", "kind", "name", "slug", "country", "description")},
            "relation_id": r["relation_id"],
            "valid_from": r["valid_from"],
            "valid_to": r["valid_to"],
        }
        for r in rows
    ]
    return page_response(request, items, cursor)


@resolve_router.post("/resolve", response_model=ResolveResponse, dependencies=[read_access])
async def resolve(session: SessionDep, body: ResolveRequest) -> Response:
    """The actors the linker finds in any text, with character offsets; nothing is stored."""
    return JSON(await service.resolve_text(session, body.text, body.min_confidence))
