"""Rules for articles: how a posted article is normalised and stored, and the detail view."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Article
from . import repository
from .schemas import ArticleCreate, ArticleUpdate


def to_utc_naive(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def default_source(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


async def create(session: AsyncSession, data: ArticleCreate) -> tuple[int, bool]:
    """Store the article; returns (id, created). A known canonical URL returns the stored one."""
    canonical = data.url
    existing = await repository.id_by_canonical_url(session, canonical)
    if existing is not None:
        return existing, False
    article = Article(
        url=data.url,
        canonical_url=canonical,
        title=data.title,
        body=data.body,
        summary=data.summary,
        source=data.source or default_source(data.url),
        language=data.language,
        published_at=to_utc_naive(data.published_at),
        tags=data.tags,
    )
    session.add(article)
    await session.flush()
    return article.id, True


async def update(session: AsyncSession, article_id: int, data: ArticleUpdate) -> None:
    article = await repository.get_orm(session, article_id)
    assert article is not None
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field in ("url", "title", "body", "published_at", "source"):
            continue
        if field == "published_at":
            value = to_utc_naive(value)
        setattr(article, field, value)
    if "url" in changes and changes["url"]:
        article.canonical_url = changes["url"]
    await session.flush()


async def detail(session: AsyncSession, article_id: int) -> dict[str, Any]:
    out = await repository.get(session, article_id)
    assert out is not None
    out["duplicate_of"] = out.pop("duplicate_of_id")
    out["mentions"] = await repository.mentions_of(session, article_id)
    out["events"] = await repository.events_of(session, article_id)
    out["claims"] = await repository.claims_of(session, article_id)
    return out


def canonical_url(url: str) -> str:
    from ..ingestion.urls import canonicalize_url

    return canonicalize_url(url)


def content_fingerprints(title: str, body: str) -> tuple[str, int]:
    from ..ingestion.fingerprint import content_hash, simhash64

    return content_hash(title, body), simhash64(f"{title}\n{body}")
