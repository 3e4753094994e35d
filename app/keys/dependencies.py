from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from ..schemas import MAX_ID
from . import service


async def _existing_key(session: SessionDep, key_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> int:
    if await service.get_key(session, key_id) is None:
        raise NotFound(f"No key {key_id}.")
    return key_id


KeyDep = Annotated[int, Depends(_existing_key)]
