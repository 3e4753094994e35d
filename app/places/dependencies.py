"""Path lookups of the place routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from . import repository

PlacePath = Annotated[
    str, Path(min_length=1, max_length=96, description="Place id (slug), e.g. `brussels-be`.")
]


async def place_id_from_path(session: SessionDep, place: PlacePath) -> str:
    if not await repository.exists_id(session, place):
        raise NotFound(f"No place with id {place!r}.")
    return place


PlaceDep = Annotated[str, Depends(place_id_from_path)]
