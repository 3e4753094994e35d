from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ..models import ChangeEntity, ChangeOp


class ChangeRead(BaseModel):
    seq: int
    at: datetime
    entity: ChangeEntity
    entity_id: int
    op: ChangeOp
    data: dict[str, Any] | None


class ChangePage(BaseModel):
    items: list[ChangeRead]
    next_after: int
    head: int
