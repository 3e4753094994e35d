from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from . import repository


async def relation_from_path(
    session: SessionDep, relation_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> dict:
    row = await repository.get(session, relation_id)
    if row is None:
        raise NotFound(f"No relation {relation_id}.")
    return row


RelationDep = Annotated[dict, Depends(relation_from_path)]
