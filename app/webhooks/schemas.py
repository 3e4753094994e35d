from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from ..models import ChangeEntity
from ..schemas import WEB_URL_PATTERN, Strict

Url = Annotated[
    str,
    StringConstraints(min_length=8, max_length=2048, strip_whitespace=True),
    Field(json_schema_extra={"pattern": WEB_URL_PATTERN}),
]
Secret = Annotated[str, StringConstraints(min_length=20, max_length=128)]


class WebhookCreate(Strict):
    url: Url
    secret: Secret | None = Field(
        default=None, description="`whsec_` + base64 of at least 16 bytes; generated when absent."
    )
    entity: list[ChangeEntity] | None = None
    actor: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None = Field(
        default=None, max_length=100, description="Changes concerning any of these actors (id or slug)."
    )
    member_of: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    source: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] | None = Field(
        default=None, max_length=100
    )
    after: int | None = Field(
        default=None, ge=0, le=2**62, description="Deliver changes after this seq (default: from now)."
    )


class WebhookUpdate(Strict):
    url: Url | None = None
    status: Literal["active", "paused"] | None = Field(
        default=None, description="`active` resumes a paused subscription (its failures are forgotten)."
    )


class WebhookRead(BaseModel):
    id: int
    url: str
    filters: dict[str, Any]
    status: str
    paused_reason: str | None
    position: int
    failures: int
    next_attempt_at: datetime
    delivered: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str


class DeliveryRead(BaseModel):
    id: int
    message_id: str
    first_seq: int
    last_seq: int
    count: int
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    response: str | None
    duration_ms: int
    at: datetime
