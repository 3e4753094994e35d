from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from ..db import SessionDep
from ..errors import NotFound
from . import repository


async def article_id_from_path(
    session: SessionDep, article_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> int:
    if not await repository.exists_id(session, article_id):
        raise NotFound(f"No article {article_id}.")
    return article_id


ArticleDep = Annotated[int, Depends(article_id_from_path)]
