"""/v1/events, /v1/events/{id} and /v1/event-types."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..geo import GeoArea
from ..pagination import Page, PageDep, list_response
from ..params import DateAfter, DateBefore, GeoFormat, MemberOf, actor_refs
from ..responses import JSON
from ..schemas import Iso3
from . import service
from .dependencies import EventDep
from .schemas import EventCreate, EventRead, EventSummary, EventTypeRead, EventUpdate, Status

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERROR_RESPONSES)
types_router = APIRouter(prefix="/v1/event-types", tags=["events"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[EventSummary], dependencies=[read_access])
async def list_events(
    request: Request,
    session: SessionDep,
    page: PageDep,
    fmt: GeoFormat,
    area: GeoArea,
    member_of: MemberOf = None,
    type: Annotated[
        list[str] | None, Query(description="CAMEO code or name; a root code (`19`) matches its children.")
    ] = None,
    actor: Annotated[list[str] | None, actor_refs("Any of these participants.")] = None,
    country: Annotated[Iso3 | None, Query(description="Location country (alpha-3).")] = None,
    start_after: DateAfter = None,
    start_before: DateBefore = None,
    status: Annotated[list[Status] | None, Query()] = None,
    source: Annotated[list[str] | None, Query(description="manual, seed, gdelt, …")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Words in the title or description.")
    ] = None,
) -> Response:
    result = await service.list_events(
        session,
        page,
        fmt,
        types=type,
        actors=actor,
        member_of=member_of,
        country=country,
        start_after=start_after,
        start_before=start_before,
        statuses=status,
        sources=source,
        q=q,
        area=area,
    )
    return list_response(request, result)


@router.post("", status_code=201, response_model=EventRead, dependencies=[write_access])
async def create_event(session: SessionDep, body: EventCreate) -> Response:
    out = await service.create_event(session, body)
    return JSON(out, status_code=201, headers={"Location": f"/v1/events/{out['id']}"})


@router.get("/{event_id}", response_model=EventRead, dependencies=[read_access])
async def get_event(session: SessionDep, event_id: EventDep) -> Response:
    return JSON(await service.get_event(session, event_id))


@router.patch("/{event_id}", response_model=EventRead, dependencies=[write_access])
async def update_event(session: SessionDep, event_id: EventDep, body: EventUpdate) -> Response:
    return JSON(await service.update_event(session, event_id, body))


@router.delete("/{event_id}", status_code=204, dependencies=[write_access])
async def delete_event(session: SessionDep, event_id: EventDep) -> Response:
    await service.delete_event(session, event_id)
    return Response(status_code=204)


@types_router.get("", response_model=Page[EventTypeRead], dependencies=[read_access])
async def list_event_types(
    request: Request,
    session: SessionDep,
    page: PageDep,
    root: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="Only this root code's tree.")
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Name contains.")] = None,
) -> Response:
    return list_response(request, await service.list_event_types(session, page, root=root, q=q))
