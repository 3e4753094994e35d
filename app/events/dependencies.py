"""Path lookups of the events routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import IdPath
from . import repository


async def event_id_from_path(session: SessionDep, event_id: IdPath) -> int:
    if not await repository.exists_id(session, event_id):
        raise NotFound(f"No event {event_id}.")
    return event_id


EventDep = Annotated[int, Depends(event_id_from_path)]
