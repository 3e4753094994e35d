"""/v1/claims and /v1/propositions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..params import actor_refs, id_query
from ..responses import JSON
from . import service
from .dependencies import ClaimDep, PropositionDep
from .schemas import (
    ClaimCreate,
    ClaimRead,
    ClaimUpdate,
    PropositionCreate,
    PropositionRead,
    PropositionSummary,
    Stance,
)

router = APIRouter(prefix="/v1/claims", tags=["claims"], responses=ERROR_RESPONSES)
propositions_router = APIRouter(prefix="/v1/propositions", tags=["claims"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[ClaimRead], dependencies=[read_access])
async def list_claims(
    request: Request,
    session: SessionDep,
    page: PageDep,
    speaker: Annotated[list[str] | None, actor_refs("Any of these speakers.")] = None,
    about: Annotated[list[str] | None, actor_refs("About any of these actors.")] = None,
    stance: Annotated[list[Stance] | None, Query()] = None,
    event: Annotated[int | None, id_query()] = None,
    proposition: Annotated[int | None, id_query()] = None,
    article: Annotated[int | None, id_query()] = None,
) -> Response:
    result = await service.list_claims(
        session,
        page,
        speakers=speaker,
        about=about,
        stances=stance,
        event_id=event,
        proposition_id=proposition,
        article_id=article,
    )
    return list_response(request, result)


@router.post("", status_code=201, response_model=ClaimRead, dependencies=[write_access])
async def create_claim(session: SessionDep, body: ClaimCreate) -> Response:
    out = await service.create_claim(session, body)
    return JSON(out, status_code=201, headers={"Location": f"/v1/claims/{out['id']}"})


@router.get("/{claim_id}", response_model=ClaimRead, dependencies=[read_access])
async def get_claim(session: SessionDep, claim_id: ClaimDep) -> Response:
    return JSON(await service.get_claim(session, claim_id))


@router.patch("/{claim_id}", response_model=ClaimRead, dependencies=[write_access])
async def update_claim(session: SessionDep, claim_id: ClaimDep, body: ClaimUpdate) -> Response:
    return JSON(await service.update_claim(session, claim_id, body))


@router.delete("/{claim_id}", status_code=204, dependencies=[write_access])
async def delete_claim(session: SessionDep, claim_id: ClaimDep) -> Response:
    await service.delete_claim(session, claim_id)
    return Response(status_code=204)


@propositions_router.get("", response_model=Page[PropositionSummary], dependencies=[read_access])
async def list_propositions(request: Request, session: SessionDep, page: PageDep) -> Response:
    return list_response(request, await service.list_propositions(session, page))


@propositions_router.post("", status_code=201, response_model=PropositionRead, dependencies=[write_access])
async def create_proposition(session: SessionDep, body: PropositionCreate) -> Response:
    out = await service.create_proposition(session, body)
    return JSON(out, status_code=201, headers={"Location": f"/v1/propositions/{out['id']}"})


@propositions_router.get("/{proposition_id}", response_model=PropositionRead, dependencies=[read_access])
async def get_proposition(session: SessionDep, proposition_id: PropositionDep) -> Response:
    return JSON(await service.get_proposition(session, proposition_id))
