"""Path lookups of the relations routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import IdPath
from . import repository


async def relation_id_from_path(session: SessionDep, relation_id: IdPath) -> int:
    if not await repository.exists_id(session, relation_id):
        raise NotFound(f"No relation {relation_id}.")
    return relation_id


RelationDep = Annotated[int, Depends(relation_id_from_path)]
