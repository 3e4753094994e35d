from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..auth import admin_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..responses import JSON
from . import service
from .dependencies import KeyDep
from .schemas import KeyCreate, KeyCreated, KeyRead

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=ERROR_RESPONSES, dependencies=[admin_access])


@router.get("", response_model=Page[KeyRead])
async def list_keys(request: Request, session: SessionDep, page: PageDep) -> Response:
    return list_response(request, await service.list_keys(session, page))


@router.post("", status_code=201, response_model=KeyCreated)
async def create_key(request: Request, session: SessionDep, body: KeyCreate) -> Response:
    out = await service.create_key(session, body.name, body.scope, request.app.state.settings.key_secret)
    return JSON(out, status_code=201, headers={"Location": f"/v1/keys/{out['id']}"})


@router.delete("/{key_id}", status_code=204)
async def delete_key(session: SessionDep, key_id: KeyDep) -> Response:
    await service.delete_key(session, key_id)
    return Response(status_code=204)
