from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ..actors.service import filter_ids
from ..auth import read_access, write_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES, NotFound
from ..pagination import Page, PageParams, filters_fingerprint, next_cursor, page_params, page_response
from ..responses import JSON
from . import repository, service
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


async def claim_from_path(
    session: SessionDep, claim_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> dict:
    row = await repository.get(session, claim_id)
    if row is None:
        raise NotFound(f"No claim {claim_id}.")
    return row


ClaimDep = Annotated[dict, Depends(claim_from_path)]


@router.get("", response_model=Page[ClaimRead], dependencies=[read_access])
async def list_claims(
    request: Request,
    session: SessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    speaker: Annotated[list[str] | None, Query(description="Any of these speakers.")] = None,
    about: Annotated[list[str] | None, Query(description="About any of these actors.")] = None,
    stance: Annotated[list[Stance] | None, Query()] = None,
    event: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    proposition: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    article: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    filters: dict[str, Any] = {
        "speaker_ids": await filter_ids(session, speaker, "speaker"),
        "about_ids": await filter_ids(session, about, "about"),
        "stances": stance,
        "event_id": event,
        "proposition_id": proposition,
        "article_id": article,
    }
    fp = filters_fingerprint(filters)
    rows = await repository.list_page(session, repository.filter_conditions(**filters), page, fp)
    rows, cursor = next_cursor(rows, repository.SORT, page, fp, lambda r: (r["id"],))
    return page_response(request, await service.render(session, rows), cursor)


async def _one(session: SessionDep, claim_id: int) -> dict:
    row = await repository.get(session, claim_id)
    assert row is not None
    (out,) = await service.render(session, [row])
    return out


@router.post("", status_code=201, response_model=ClaimRead, dependencies=[write_access])
async def create_claim(session: SessionDep, body: ClaimCreate) -> Response:
    claim_id = await service.create(session, body)
    return JSON(
        await _one(session, claim_id), status_code=201, headers={"Location": f"/v1/claims/{claim_id}"}
    )


@router.get("/{claim_id}", response_model=ClaimRead, dependencies=[read_access])
async def get_claim(session: SessionDep, row: ClaimDep) -> Response:
    return JSON(await _one(session, row["id"]))


@router.patch("/{claim_id}", response_model=ClaimRead, dependencies=[write_access])
async def update_claim(session: SessionDep, row: ClaimDep, body: ClaimUpdate) -> Response:
    await service.update(session, row["id"], body)
    return JSON(await _one(session, row["id"]))


@router.delete("/{claim_id}", status_code=204, dependencies=[write_access])
async def delete_claim(session: SessionDep, row: ClaimDep) -> Response:
    await repository.delete_claim(session, row["id"])
    return Response(status_code=204)


@propositions_router.get("", response_model=Page[PropositionSummary], dependencies=[read_access])
async def list_propositions(
    request: Request, session: SessionDep, page: Annotated[PageParams, Depends(page_params)]
) -> Response:
    fp = filters_fingerprint({})
    rows = await repository.propositions_page(session, page, fp)
    rows, cursor = next_cursor(rows, repository.PROP_SORT, page, fp, lambda r: (r["id"],))
    return page_response(request, rows, cursor)


@propositions_router.post("", status_code=201, response_model=PropositionRead, dependencies=[write_access])
async def create_proposition(session: SessionDep, body: PropositionCreate) -> Response:
    pid = await service.create_proposition(session, body)
    return JSON(
        await service.proposition_detail(session, pid),
        status_code=201,
        headers={"Location": f"/v1/propositions/{pid}"},
    )


@propositions_router.get("/{proposition_id}", response_model=PropositionRead, dependencies=[read_access])
async def get_proposition(
    session: SessionDep, proposition_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> Response:
    if not await repository.proposition_exists(session, proposition_id):
        raise NotFound(f"No proposition {proposition_id}.")
    return JSON(await service.proposition_detail(session, proposition_id))
