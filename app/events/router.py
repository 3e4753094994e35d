from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ..actors.service import filter_ids
from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..graph.repository import events_member_of_condition
from ..graph.router import MemberOfDep
from ..pagination import (
    Page,
    PageParams,
    filters_fingerprint,
    next_cursor,
    order_by,
    page_params,
    page_response,
)
from ..responses import JSON
from ..schemas import Iso3
from ..search import export
from ..search.export import wanted_format
from . import repository, service
from .dependencies import EventDep
from .schemas import EventCreate, EventRead, EventSummary, EventTypeRead, EventUpdate, Status

router = APIRouter(prefix="/v1/events", tags=["events"], responses=ERROR_RESPONSES)
types_router = APIRouter(prefix="/v1/event-types", tags=["events"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[EventSummary], dependencies=[read_access])
async def list_events(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    member_of: MemberOfDep,
    type: Annotated[
        list[str] | None, Query(description="CAMEO code or name; a root code (`19`) matches its children.")
    ] = None,
    actor: Annotated[list[str] | None, Query(description="Any of these participants.")] = None,
    country: Annotated[Iso3 | None, Query(description="Location country (alpha-3).")] = None,
    start_after: Annotated[date | None, Query(description="Inclusive.")] = None,
    start_before: Annotated[date | None, Query(description="Exclusive.")] = None,
    status: Annotated[list[Status] | None, Query()] = None,
    source: Annotated[list[str] | None, Query(description="manual, seed, gdelt, …")] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Words in the title or description.")
    ] = None,
    format: Annotated[
        str | None, Query(description="json (paged, default), ndjson or csv (every match).")
    ] = None,
) -> Response:
    fmt = wanted_format(request, format)
    filters: dict[str, Any] = {
        "type_codes": await service.filter_types(session, type),
        "actor_ids": await filter_ids(session, actor, "actor"),
        "country": country,
        "start_after": start_after,
        "start_before": start_before,
        "statuses": status,
        "sources": source,
        "q": q,
    }
    conds = repository.filter_conditions(**filters)
    if member_of is not None:
        conds.append(events_member_of_condition(member_of))
    if fmt != "json":
        stmt = repository.list_statement(conds).order_by(*order_by(repository.SORT))
        return export.stream(request, stmt, fmt, _export_item, EXPORT_COLUMNS, "events")
    fp = filters_fingerprint({**filters, "member_of": member_of})
    rows = await repository.list_page(session, conds, page, fp)
    rows, cursor = next_cursor(rows, repository.SORT, page, fp, lambda r: (r["start_date"], r["id"]))
    return page_response(request, rows, cursor)


EXPORT_COLUMNS = (
    "id",
    "type",
    "type_name",
    "title",
    "start_date",
    "end_date",
    "status",
    "source",
    "external_id",
    "location",
)


def _export_item(row: Any) -> dict[str, Any]:
    return repository.summary(row)


@router.post("", status_code=201, response_model=EventRead, dependencies=[write_access])
async def create_event(session: SessionDep, body: EventCreate) -> Response:
    event_id = await service.create(session, body)
    return JSON(
        await service.detail(session, event_id),
        status_code=201,
        headers={"Location": f"/v1/events/{event_id}"},
    )


@router.get("/{event_id}", response_model=EventRead, dependencies=[read_access])
async def get_event(session: SessionDep, event_id: EventDep) -> Response:
    return JSON(await service.detail(session, event_id))


@router.patch("/{event_id}", response_model=EventRead, dependencies=[write_access])
async def update_event(session: SessionDep, event_id: EventDep, body: EventUpdate) -> Response:
    await service.update(session, event_id, body)
    return JSON(await service.detail(session, event_id))


@router.delete("/{event_id}", status_code=204, dependencies=[write_access])
async def delete_event(session: SessionDep, event_id: EventDep) -> Response:
    await repository.delete_event(session, event_id)
    return Response(status_code=204)


@types_router.get("", response_model=Page[EventTypeRead], dependencies=[read_access])
async def list_event_types(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    root: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="Only this root code's tree.")
    ] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Name contains.")] = None,
) -> Response:
    fp = filters_fingerprint({"root": root, "q": q})
    rows = await repository.types_page(session, repository.types_statement(root, q), page, fp)
    rows, cursor = next_cursor(rows, repository.TYPE_SORT, page, fp, lambda r: (r["code"],))
    return page_response(request, rows, cursor)
