from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from ..schemas import ActorBrief, Strict, WebUrl

Url = Annotated[str, StringConstraints(min_length=8, max_length=2048, strip_whitespace=True)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Body = Annotated[str, StringConstraints(max_length=2_000_000)]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def _check_url(v: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(v)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    return v


class ArticleCreate(Strict):
    url: WebUrl
    title: Title
    body: Body = ""
    published_at: datetime | date
    source: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    language: Lang | None = None
    summary: Annotated[str, StringConstraints(max_length=20000)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)

    _url = field_validator("url")(classmethod(lambda cls, v: _check_url(v)))


class ArticleUpdate(Strict):
    url: WebUrl | None = None
    title: Title | None = None
    body: Body | None = None
    published_at: datetime | date | None = None
    source: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    language: Lang | None = None
    summary: Annotated[str, StringConstraints(max_length=20000)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else _check_url(v)


class ArticleSummary(BaseModel):
    id: int
    url: str
    title: str
    summary: str | None
    source: str
    language: str | None
    published_at: datetime
    snippet: str | None = None


class MentionRead(BaseModel):
    actor: ActorBrief
    start: int
    end: int
    text: str
    confidence: float


class EventBrief(BaseModel):
    id: int
    title: str
    type: str | None
    start_date: date
    status: str


class ClaimBrief(BaseModel):
    id: int
    speaker: ActorBrief
    text: str
    stance: str
    said_on: date | None
    proposition_id: int | None


class ArticleRead(BaseModel):
    id: int
    url: str
    canonical_url: str
    title: str
    body: str
    summary: str | None
    source: str
    language: str | None
    published_at: datetime
    tags: list[str] | None
    duplicate_of: int | None
    is_stub: bool = False
    created_at: datetime
    updated_at: datetime
    mentions: list[MentionRead]
    events: list[EventBrief]
    claims: list[ClaimBrief]


class BulkFailure(BaseModel):
    index: int
    status: int
    detail: str


class BulkItem(BaseModel):
    index: int
    status: str
    id: int
    duplicate_of: int | None


class BulkReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: list[BulkFailure]
    results: list[BulkItem]
