from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from ..auth import admin_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES, NotFound
from ..pagination import Page, PageParams, list_response, page_params
from ..responses import JSON
from . import repository, service
from .schemas import KeyCreate, KeyCreated, KeyRead

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=ERROR_RESPONSES, dependencies=[admin_access])


@router.get("", response_model=Page[KeyRead])
async def list_keys(
    request: Request, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    return list_response(request, await service.list_keys(session, page))


@router.post("", status_code=201, response_model=KeyCreated)
async def create_key(session: SessionDep, body: KeyCreate) -> Response:
    row, key = await service.create_key(session, body.name, body.scope)
    out = await repository.get(session, row.id)
    assert out is not None
    return JSON({**out, "key": key}, status_code=201, headers={"Location": f"/v1/keys/{row.id}"})


@router.delete("/{key_id}", status_code=204)
async def revoke_key(session: SessionDep, key_id: Annotated[int, Path(ge=1, le=2_147_483_647)]) -> Response:
    if await repository.get(session, key_id) is None:
        raise NotFound(f"No key {key_id}.")
    await repository.revoke(session, key_id)
    return Response(status_code=204)
