"""Path lookups of the actor routes: an unknown id or slug is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import ActorPath
from . import repository


async def actor_id_from_path(session: SessionDep, actor: ActorPath) -> int:
    actor_id = await repository.resolve_ref(session, actor)
    if actor_id is None:
        raise NotFound(f"No actor with id or slug {actor!r}.")
    return actor_id


ActorDep = Annotated[int, Depends(actor_id_from_path)]
