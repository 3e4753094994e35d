"""Path lookups of the articles routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import IdPath
from . import repository


async def article_id_from_path(session: SessionDep, article_id: IdPath) -> int:
    if not await repository.exists_id(session, article_id):
        raise NotFound(f"No article {article_id}.")
    return article_id


ArticleDep = Annotated[int, Depends(article_id_from_path)]
