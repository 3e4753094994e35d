from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from . import repository


async def event_id_from_path(
    session: SessionDep, event_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> int:
    if not await repository.exists_id(session, event_id):
        raise NotFound(f"No event {event_id}.")
    return event_id


EventDep = Annotated[int, Depends(event_id_from_path)]
