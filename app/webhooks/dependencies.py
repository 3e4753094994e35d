"""Path lookups of the webhook routes: an unknown id is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ..db import SessionDep
from ..errors import NotFound
from ..params import IdPath
from . import repository


async def webhook_id_from_path(session: SessionDep, webhook_id: IdPath) -> int:
    if await repository.get(session, webhook_id) is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return webhook_id


WebhookDep = Annotated[int, Depends(webhook_id_from_path)]
