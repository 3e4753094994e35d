from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from . import repository


async def actor_id_from_path(
    session: SessionDep,
    actor: Annotated[str, Path(description="Actor id or slug", max_length=255)],
) -> int:
    actor_id = await repository.resolve_ref(session, actor)
    if actor_id is None:
        raise NotFound(f"No actor with id or slug {actor!r}.")
    return actor_id


ActorDep = Annotated[int, Depends(actor_id_from_path)]
