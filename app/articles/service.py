"""Rules for articles: how a posted article is normalised and stored, and the detail view."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import anyio
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import Unprocessable
from ..ingestion.service import GAZETTEERS, ArticleInput, BulkResult, Outcome, Prepared, prepare, store
from . import repository
from .schemas import ArticleCreate, ArticleUpdate


def to_utc_naive(value: datetime | date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def to_input(data: ArticleCreate) -> ArticleInput:
    return ArticleInput(
        url=data.url,
        title=data.title,
        body=data.body,
        published_at=to_utc_naive(data.published_at),
        source=data.source,
        language=data.language,
        summary=data.summary,
        tags=data.tags,
    )


async def ingest(session: AsyncSession, items: list[tuple[int, ArticleCreate]]) -> BulkResult:
    """Run the ingestion pipeline over validated items: CPU work in a thread, storage in one pass."""
    result = BulkResult()
    if not items:
        return result
    gazetteer = await session.run_sync(GAZETTEERS.get)

    def work() -> list[Prepared]:
        out = []
        for index, data in items:
            try:
                out.append(prepare(index, to_input(data), gazetteer))
            except ValueError as exc:
                result.failed.append({"index": index, "status": 422, "detail": str(exc)})
        return out

    prepared = await anyio.to_thread.run_sync(work)
    if not prepared:
        return result
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent writers can deadlock on PostgreSQL in rare orders: retry the batch from a savepoint.
        for attempt in range(3):
            try:
                async with session.begin_nested():
                    result.outcomes = await session.run_sync(store, prepared)
                break
            except OperationalError:
                if attempt == 2:
                    raise
    else:
        result.outcomes = await session.run_sync(store, prepared)
    return result


async def create(session: AsyncSession, data: ArticleCreate) -> Outcome:
    """Ingest one article: created, or the stored one (same canonical URL or content), updated if changed."""
    result = await ingest(session, [(0, data)])
    if result.failed:
        raise Unprocessable(result.failed[0]["detail"])
    return result.outcomes[0]


async def update(session: AsyncSession, article_id: int, data: ArticleUpdate) -> None:
    """Apply edits; a changed URL, title or body goes through cleaning, fingerprinting and linking again."""
    article = await repository.get_orm(session, article_id)
    assert article is not None
    changes = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in ("summary", "language", "tags")
    }
    if "published_at" in changes:
        changes["published_at"] = to_utc_naive(changes["published_at"])
    if {"url", "title", "body"} & changes.keys():
        gazetteer = await session.run_sync(GAZETTEERS.get)
        item = ArticleInput(
            url=changes.get("url", article.url),
            title=changes.get("title", article.title),
            body=changes.get("body", article.body),
            published_at=changes.get("published_at", article.published_at),
            source=changes.get("source", article.source),
            language=changes.get("language", article.language),
            summary=changes.get("summary", article.summary),
            tags=changes.get("tags", article.tags),
        )
        prepared = await anyio.to_thread.run_sync(lambda: prepare(0, item, gazetteer))
        for key in (
            "url",
            "canonical_url",
            "title",
            "body",
            "content_hash",
            "simhash",
            "sh0",
            "sh1",
            "sh2",
            "sh3",
        ):
            setattr(article, key, prepared.values[key])
        if "language" not in changes and article.language is None:
            article.language = prepared.values["language"]
        await repository.replace_mentions(session, article_id, prepared.mentions)
    for key in ("source", "language", "summary", "tags", "published_at"):
        if key in changes:
            setattr(article, key, changes[key])
    await session.flush()


async def detail(session: AsyncSession, article_id: int) -> dict[str, Any] | None:
    out = await repository.get(session, article_id)
    if out is None:
        return None
    out["duplicate_of"] = out.pop("duplicate_of_id")
    out["mentions"] = await repository.mentions_of(session, article_id)
    out["events"] = await repository.events_of(session, article_id)
    out["claims"] = await repository.claims_of(session, article_id)
    return out
