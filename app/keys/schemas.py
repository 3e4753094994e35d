from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from ..models import Scope
from ..schemas import Strict


class KeyCreate(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    scope: Scope = "read"


class KeyRead(BaseModel):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str
