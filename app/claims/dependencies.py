"""Path lookups of the claims and propositions routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import IdPath
from . import repository


async def claim_id_from_path(session: SessionDep, claim_id: IdPath) -> int:
    if not await repository.exists_id(session, claim_id):
        raise NotFound(f"No claim {claim_id}.")
    return claim_id


async def proposition_id_from_path(session: SessionDep, proposition_id: IdPath) -> int:
    if not await repository.proposition_exists(session, proposition_id):
        raise NotFound(f"No proposition {proposition_id}.")
    return proposition_id


ClaimDep = Annotated[int, Depends(claim_id_from_path)]
PropositionDep = Annotated[int, Depends(proposition_id_from_path)]
