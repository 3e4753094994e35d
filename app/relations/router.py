from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from ..actors.dependencies import ActorDep
from ..actors.service import filter_id
from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageParams, filters_fingerprint, next_cursor, page_params, page_response
from ..responses import JSON
from ..schemas import TypeName
from . import repository, service
from .dependencies import RelationDep
from .schemas import RelationCreate, RelationRead, RelationUpdate

router = APIRouter(prefix="/v1/relations", tags=["relations"], responses=ERROR_RESPONSES)
actor_router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=ERROR_RESPONSES)

Types = Annotated[list[TypeName] | None, Query(description="Any of these relation types.")]
AsOf = Annotated[date | None, Query(description="Only relations that hold on this date.")]


async def _ref(session: SessionDep, value: str | None, name: str) -> int | None:
    return await filter_id(session, value, name)


async def _page(request: Request, session: SessionDep, page: PageParams, filters: dict) -> Response:
    stmt = repository.list_statement(**filters)
    fp = filters_fingerprint(filters)
    rows = await repository.page(session, stmt, page, fp)
    rows, cursor = next_cursor(rows, repository.SORT_BY_ID, page, fp, lambda r: (r["id"],))
    return page_response(request, await service.render(session, rows), cursor)


@router.get("", response_model=Page[RelationRead], dependencies=[read_access])
async def list_relations(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    subject: Annotated[str | None, Query(max_length=255)] = None,
    object: Annotated[str | None, Query(max_length=255)] = None,
    actor: Annotated[str | None, Query(max_length=255, description="Either side.")] = None,
    type: Types = None,
    as_of: AsOf = None,
) -> Response:
    filters: dict[str, Any] = {
        "subject_id": await _ref(session, subject, "subject"),
        "object_id": await _ref(session, object, "object"),
        "actor_id": await _ref(session, actor, "actor"),
        "types": type,
        "as_of": as_of,
    }
    return await _page(request, session, page, filters)


@router.post("", status_code=201, response_model=RelationRead, dependencies=[write_access])
async def create_relation(session: SessionDep, body: RelationCreate) -> Response:
    rid = await service.create(session, body)
    row = await repository.get(session, rid)
    assert row is not None
    (out,) = await service.render(session, [row])
    return JSON(out, status_code=201, headers={"Location": f"/v1/relations/{rid}"})


@router.get("/{relation_id}", response_model=RelationRead, dependencies=[read_access])
async def get_relation(session: SessionDep, row: RelationDep) -> Response:
    (out,) = await service.render(session, [row])
    return JSON(out)


@router.patch("/{relation_id}", response_model=RelationRead, dependencies=[write_access])
async def update_relation(session: SessionDep, row: RelationDep, body: RelationUpdate) -> Response:
    await service.update(session, row["id"], body)
    fresh = await repository.get(session, row["id"])
    assert fresh is not None
    (out,) = await service.render(session, [fresh])
    return JSON(out)


@router.delete("/{relation_id}", status_code=204, dependencies=[write_access])
async def delete_relation(session: SessionDep, row: RelationDep) -> Response:
    await repository.delete_relation(session, row["id"])
    return Response(status_code=204)


@actor_router.get("/{actor}/relations", response_model=Page[RelationRead], dependencies=[read_access])
async def actor_relations(
    request: Request,
    session: SessionDep,
    actor_id: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    type: Types = None,
    as_of: AsOf = None,
    direction: Annotated[Literal["out", "in", "both"], Query()] = "both",
) -> Response:
    filters = {"actor_id": actor_id, "direction": direction, "types": type, "as_of": as_of}
    return await _page(request, session, page, filters)
