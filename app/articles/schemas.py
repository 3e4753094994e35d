from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, Literal, cast

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from ..places.schemas import ArticlePlaceRead
from ..schemas import ActorBrief, Strict, WebUrl

Url = Annotated[str, StringConstraints(min_length=8, max_length=2048, strip_whitespace=True)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Body = Annotated[str, StringConstraints(max_length=2_000_000)]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]


# The facet names (repository.ARTICLE_FACETS) as a schema can state them: a comma list, blanks allowed.
_FACET = "(source|actor|language|actor_kind)?"
FACETS_PATTERN = rf"^ *{_FACET} *(, *{_FACET} *)*$"


@cache
def _canonical_url_limit() -> int:
    from sqlalchemy import String

    from ..models import Article

    url_type = cast(String, Article.__table__.c.canonical_url.type)  # a String(2048) column
    return cast(int, url_type.length)  # declared with a length, so never None


def _check_url(v: str) -> str:
    from urllib.parse import urlsplit

    from ..ingestion.urls import canonicalize_url

    parts = urlsplit(v)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    # The canonical form (percent-encoded, normalised) is what is stored and deduplicated on: it must fit.
    limit = _canonical_url_limit()
    if len(canonicalize_url(v)) > limit:
        raise ValueError(f"is longer than {limit} characters once normalised (percent-encoded)")
    return v


DateSource = Literal["published", "feed_updated", "extracted", "ingested"]


class ArticleCreate(Strict):
    url: WebUrl
    title: Title | None = Field(
        default=None, description="Required unless the body is a whole HTML page (its title is used)."
    )
    body: Body = Field(
        default="",
        description="Text, an HTML fragment, or a whole HTML page: from a page only the article's main "
        "text is kept (menus, banners and related links go), and its title, date and language fill the "
        "fields left empty.",
    )
    published_at: datetime | date | None = Field(
        default=None, description="Required unless the body is a whole HTML page that declares a date."
    )
    source: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    language: Lang | None = None
    summary: Annotated[str, StringConstraints(max_length=20000)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=100)
    extract: bool | None = Field(
        default=None,
        description="Extract the main text with trafilatura: true always, false never, absent when the "
        "body is a whole HTML document.",
    )
    keep_raw: bool = Field(
        default=False, description="Also keep the posted body as it was (stored apart, never indexed)."
    )
    date_source: DateSource | None = Field(
        default=None,
        description="What published_at is: the publication date (default), the feed's own updated date, "
        "a date extracted from the page, or the time of ingestion.",
    )
    feed_title: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        default=None, description="The title of the feed the article was read from."
    )

    _url = field_validator("url")(classmethod(lambda cls, v: _check_url(v)))

    @model_validator(mode="after")
    def _title_and_date(self) -> ArticleCreate:
        from ..ingestion.extract import is_whole_document

        if self.date_source is not None and self.published_at is None:
            raise ValueError("date_source says what published_at is, and published_at is missing")
        if self.title is not None and self.published_at is not None:
            return self
        page = self.extract if self.extract is not None else is_whole_document(self.body)
        if not page:
            missing = " and ".join(f for f in ("title", "published_at") if getattr(self, f) is None)
            raise ValueError(f"{missing}: required unless the body is a whole HTML page to extract from")
        return self


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
    story_id: int | None = Field(default=None, description="The story it belongs to (GET /v1/stories/{id}).")
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
    language_confidence: float | None = Field(
        default=None, description="The detector's probability; null when the language was declared."
    )
    published_at: datetime
    date_source: DateSource | None = Field(
        default=None,
        description="Where published_at came from (null for articles stored before it was kept).",
    )
    feed_title: str | None = None
    tags: list[str] | None
    duplicate_of: int | None
    story_id: int | None = Field(default=None, description="The story it belongs to (GET /v1/stories/{id}).")
    is_stub: bool = False
    created_at: datetime
    updated_at: datetime
    mentions: list[MentionRead]
    events: list[EventBrief]
    claims: list[ClaimBrief]
    places: list[ArticlePlaceRead] = Field(
        default_factory=list, description="Places named in the body (main place first), with offsets."
    )


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
