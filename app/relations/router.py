"""/v1/relations and /v1/actors/{actor}/relations."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from ..actors.dependencies import ActorDep
from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..params import AsOf, RelationTypes, actor_ref
from ..responses import JSON
from . import service
from .dependencies import RelationDep
from .schemas import RelationCreate, RelationRead, RelationUpdate

router = APIRouter(prefix="/v1/relations", tags=["relations"], responses=ERROR_RESPONSES)
actor_router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[RelationRead], dependencies=[read_access])
async def list_relations(
    request: Request,
    session: SessionDep,
    page: PageDep,
    subject: Annotated[str | None, actor_ref()] = None,
    object: Annotated[str | None, actor_ref()] = None,
    actor: Annotated[str | None, actor_ref("Either side.")] = None,
    type: RelationTypes = None,
    as_of: AsOf = None,
) -> Response:
    result = await service.list_relations(
        session, page, subject=subject, object=object, actor=actor, types=type, as_of=as_of
    )
    return list_response(request, result)


@router.post("", status_code=201, response_model=RelationRead, dependencies=[write_access])
async def create_relation(session: SessionDep, body: RelationCreate) -> Response:
    out = await service.create_relation(session, body)
    return JSON(out, status_code=201, headers={"Location": f"/v1/relations/{out['id']}"})


@router.get("/{relation_id}", response_model=RelationRead, dependencies=[read_access])
async def get_relation(session: SessionDep, relation_id: RelationDep) -> Response:
    return JSON(await service.get_relation(session, relation_id))


@router.patch("/{relation_id}", response_model=RelationRead, dependencies=[write_access])
async def update_relation(session: SessionDep, relation_id: RelationDep, body: RelationUpdate) -> Response:
    return JSON(await service.update_relation(session, relation_id, body))


@router.delete("/{relation_id}", status_code=204, dependencies=[write_access])
async def delete_relation(session: SessionDep, relation_id: RelationDep) -> Response:
    await service.delete_relation(session, relation_id)
    return Response(status_code=204)


@actor_router.get("/{actor}/relations", response_model=Page[RelationRead], dependencies=[read_access])
async def actor_relations(
    request: Request,
    session: SessionDep,
    actor_id: ActorDep,
    page: PageDep,
    type: RelationTypes = None,
    as_of: AsOf = None,
    direction: Annotated[Literal["out", "in", "both"], Query()] = "both",
) -> Response:
    result = await service.list_relations(
        session, page, actor_id=actor_id, direction=direction, types=type, as_of=as_of
    )
    return list_response(request, result)
