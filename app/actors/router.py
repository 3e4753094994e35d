"""/v1/actors, /v1/actors/{actor}, its members, and /v1/resolve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..params import AsOfToday, Format
from ..responses import JSON
from ..schemas import Iso3
from . import service
from .dependencies import ActorDep
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


@router.get("", response_model=Page[ActorSummary], dependencies=[read_access])
async def list_actors(
    request: Request,
    session: SessionDep,
    page: PageDep,
    fmt: Format,
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
    as_of: AsOfToday = None,
) -> Response:
    result = await service.list_actors(
        session, page, fmt, kind=kind, country=country, q=q, member_of=member_of, as_of=as_of
    )
    return list_response(request, result)


# New articles are linked with a changed actor at once; stored ones only when `geonews relink` runs.
RELINK_NOTE = {
    "Geonews-Relink": "articles stored before this change are linked to it by `geonews relink [--since DATE]`"
}


@router.post("", status_code=201, response_model=ActorRead, dependencies=[write_access])
async def create_actor(
    session: SessionDep,
    body: ActorCreate,
    allow_duplicate: Annotated[
        bool,
        Query(
            description="Create the actor even when one of the same name (case aside), kind and country "
            "exists; otherwise that is a 409 whose `existing` member and Location header name it."
        ),
    ] = False,
) -> Response:
    out = await service.create_actor(session, body, allow_duplicate)
    return JSON(out, status_code=201, headers={"Location": f"/v1/actors/{out['slug']}", **RELINK_NOTE})


@router.get("/{actor}", response_model=ActorRead, dependencies=[read_access])
async def get_actor(session: SessionDep, actor_id: ActorDep, as_of: AsOfToday = None) -> Response:
    return JSON(await service.get_actor(session, actor_id, as_of))


@router.patch("/{actor}", response_model=ActorRead, dependencies=[write_access])
async def update_actor(session: SessionDep, actor_id: ActorDep, body: ActorUpdate) -> Response:
    return JSON(await service.update_actor(session, actor_id, body), headers=RELINK_NOTE)


@router.delete("/{actor}", status_code=204, dependencies=[write_access])
async def delete_actor(session: SessionDep, actor_id: ActorDep) -> Response:
    await service.delete_actor(session, actor_id)
    return Response(status_code=204)


@router.get("/{actor}/members", response_model=Page[MemberRead], dependencies=[read_access])
async def list_members(
    request: Request, session: SessionDep, actor_id: ActorDep, page: PageDep, as_of: AsOfToday = None
) -> Response:
    return list_response(request, await service.list_members(session, actor_id, page, as_of))


@resolve_router.post("/resolve", response_model=ResolveResponse, dependencies=[read_access])
async def resolve(session: SessionDep, body: ResolveRequest) -> Response:
    """The actors the linker finds in any text, with character offsets; nothing is stored."""
    return JSON(await service.resolve_text(session, body.text, body.min_confidence))
