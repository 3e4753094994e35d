"""/v1/places and /v1/places/{place}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..auth import read_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..pagination import Page, PageDep, list_response
from ..responses import JSON
from ..schemas import Iso3
from . import service
from .dependencies import PlaceDep
from .schemas import PlaceRead, PlaceSummary

router = APIRouter(prefix="/v1/places", tags=["places"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[PlaceSummary], dependencies=[read_access])
async def list_places(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Name or alias: prefix, or close to it (typos)."),
    ] = None,
    country: Annotated[Iso3 | None, Query(description="ISO 3166-1 alpha-3 of the place's country.")] = None,
) -> Response:
    """Capitals and large cities, most populous first."""
    return list_response(request, await service.list_places(session, page, q=q, country=country))


@router.get("/{place}", response_model=PlaceRead, dependencies=[read_access])
async def get_place(session: SessionDep, place_id: PlaceDep) -> Response:
    return JSON(await service.get_place(session, place_id))
