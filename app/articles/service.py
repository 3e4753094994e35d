"""Rules for articles: how posted articles are prepared and stored once, edits, and the detail view.

`store` is one set-based pass over a prepared batch inside the caller's transaction: it looks up every
canonical URL and content hash of the batch in one query, finds near-duplicates by simhash band, inserts
new articles with INSERT … ON CONFLICT DO NOTHING (so that concurrent writers of the same article store
it once), updates changed ones, and writes mentions in bulk. The same code serves HTTP (through
AsyncSession.run_sync) and the CLI (a plain Session).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..actors.gazetteer import current_gazetteer
from ..dialect import with_deadlock_retry
from ..errors import Unprocessable
from ..ingestion.fingerprint import NEAR_DUPLICATE_DISTANCE, hamming
from ..ingestion.pipeline import ArticleInput, Prepared, prepare
from ..models import to_utc_naive
from . import repository
from .schemas import ArticleCreate, ArticleUpdate

# Columns a changed URL, title or body recomputes.
CONTENT_COLUMNS = (
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
)


@dataclass
class Outcome:
    index: int
    status: str  # created | updated | unchanged
    id: int
    duplicate_of: int | None = None


@dataclass
class BulkResult:
    outcomes: list[Outcome] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"created": 0, "updated": 0, "unchanged": 0}
        for o in self.outcomes:
            out[o.status] += 1
        return out


def to_input(data: ArticleCreate) -> ArticleInput:
    return ArticleInput(
        url=data.url,
        title=data.title,
        body=data.body,
        published_at=to_utc_naive(data.published_at) if data.published_at is not None else None,
        source=data.source,
        language=data.language,
        summary=data.summary,
        tags=data.tags,
        extract=data.extract,
        keep_raw=data.keep_raw,
        date_source=data.date_source,
        feed_title=data.feed_title,
    )


async def ingest(session: AsyncSession, items: list[tuple[int, ArticleCreate]]) -> BulkResult:
    """Run the ingestion pipeline over validated items: CPU work in a thread, storage in one pass."""
    result = BulkResult()
    if not items:
        return result
    gazetteer = await session.run_sync(current_gazetteer)

    def work() -> list[Prepared]:
        out = []
        for index, data in items:
            try:
                out.append(prepare(index, to_input(data), gazetteer))
            except ValueError as exc:
                result.failed.append({"index": index, "status": 422, "detail": str(exc)})
        return out

    prepared = await anyio.to_thread.run_sync(work)
    if prepared:
        result.outcomes = await with_deadlock_retry(session, lambda: session.run_sync(store, prepared))
    return result


async def create_article(session: AsyncSession, data: ArticleCreate) -> Outcome:
    """Ingest one article: created, or the stored one (same canonical URL or content), updated if changed."""
    result = await ingest(session, [(0, data)])
    if result.failed:
        raise Unprocessable(result.failed[0]["detail"])
    return result.outcomes[0]


async def update_article(session: AsyncSession, article_id: int, data: ArticleUpdate) -> None:
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
        gazetteer = await session.run_sync(current_gazetteer)
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
        try:
            prepared = await anyio.to_thread.run_sync(lambda: prepare(0, item, gazetteer))
        except ValueError as exc:  # e.g. a whole HTML page with no article text in it
            raise Unprocessable(str(exc)) from exc
        for key in CONTENT_COLUMNS:
            setattr(article, key, prepared.values[key])
        if "language" not in changes and article.language is None:
            article.language = prepared.values["language"]
        await repository.replace_mentions(session, article_id, prepared.mentions)
    for key in ("source", "language", "summary", "tags", "published_at"):
        if key in changes:
            setattr(article, key, changes[key])
    await session.flush()


async def get_article(session: AsyncSession, article_id: int) -> dict[str, Any] | None:
    out = await repository.get(session, article_id)
    if out is None:
        return None
    out["duplicate_of"] = out.pop("duplicate_of_id")
    out["mentions"] = await repository.mentions_of(session, article_id)
    out["events"] = await repository.events_of(session, article_id)
    out["claims"] = await repository.claims_of(session, article_id)
    return out


async def delete_article(session: AsyncSession, article_id: int) -> None:
    await repository.delete_article(session, article_id)


# -- storing a prepared batch (sync) -------------------------------------------------------------------


def _near_duplicates(session: Session, fresh: list[Prepared]) -> dict[int, int]:
    """index -> id of the oldest stored article within NEAR_DUPLICATE_DISTANCE bits of it."""
    if not fresh:
        return {}
    bands = [{p.values[f"sh{b}"] for p in fresh} for b in range(4)]
    # Candidates by (band, value): each article is compared only with those sharing one of its bands,
    # not with every candidate of the batch.
    by_band: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for cid, csim, *values in repository.near_duplicate_candidates(session, bands):
        if csim is not None:
            for b, value in enumerate(values):
                by_band.setdefault((b, value), []).append((cid, csim))
    found: dict[int, int] = {}
    for p in fresh:
        sim = p.values["simhash"]
        close = [
            cid
            for b in range(4)
            for cid, csim in by_band.get((b, p.values[f"sh{b}"]), ())
            if hamming(csim, sim) <= NEAR_DUPLICATE_DISTANCE
        ]
        if close:
            found[p.index] = min(close)
    return found


def _batch_duplicates(fresh: list[Prepared], stored_dupes: dict[int, int]) -> dict[int, int]:
    """index -> index of an earlier original in the same batch, for near-copies inside a batch."""
    found: dict[int, int] = {}
    for i, p in enumerate(fresh):
        if p.index in stored_dupes:
            continue
        for q in fresh[:i]:
            original = q.index not in stored_dupes and q.index not in found
            if original and hamming(q.values["simhash"], p.values["simhash"]) <= NEAR_DUPLICATE_DISTANCE:
                found[p.index] = q.index
                break
    return found


def _classify(
    session: Session, batch: Sequence[Prepared]
) -> tuple[dict[int, Outcome], list[Prepared], list[Prepared]]:
    """Which articles are already stored (unchanged or to update) and which are new."""
    urls = {p.values["canonical_url"] for p in batch}
    hashes = {p.values["content_hash"] for p in batch}
    by_url: dict[str, tuple[int, str | None, bool]] = {}
    by_hash: dict[str, int] = {}
    for aid, url, digest, stub in repository.stored_by_url_or_hash(session, urls, hashes):
        if url in urls:
            by_url[url] = (aid, digest, stub)
        if digest is not None:
            by_hash[digest] = aid
    outcomes: dict[int, Outcome] = {}
    fresh: list[Prepared] = []
    updates: list[Prepared] = []
    pending_urls: set[str] = set()
    pending_hashes: set[str] = set()
    for p in batch:
        url, digest = p.values["canonical_url"], p.values["content_hash"]
        if url in by_url:
            aid, stored_hash, stub = by_url[url]
            if stored_hash == digest and not stub:
                outcomes[p.index] = Outcome(p.index, "unchanged", aid)
            elif digest in by_hash and by_hash[digest] != aid:
                # The new content already lives under another URL: keep one copy of it.
                outcomes[p.index] = Outcome(p.index, "unchanged", by_hash[digest])
            else:
                updates.append(p)
                outcomes[p.index] = Outcome(p.index, "updated", aid)
                by_url[url] = (aid, digest, False)
                by_hash[digest] = aid
        elif digest in by_hash:
            outcomes[p.index] = Outcome(p.index, "unchanged", by_hash[digest])
        elif url in pending_urls or digest in pending_hashes:
            pass  # a repeat inside this batch: resolved after the insert
        else:
            fresh.append(p)
            pending_urls.add(url)
            pending_hashes.add(digest)
    return outcomes, fresh, updates


def store(session: Session, batch: Sequence[Prepared], _depth: int = 0) -> list[Outcome]:
    """Store a batch in the current transaction; each article is created, updated or left unchanged."""
    outcomes, fresh, updates = _classify(session, batch)
    stored_dupes = _near_duplicates(session, fresh)  # index -> id of a stored original
    batch_dupes = _batch_duplicates(fresh, stored_dupes)  # index -> index of an original in the batch

    # Sorted, so concurrent writers take their locks in the same order and cannot deadlock.
    rows = sorted(fresh, key=lambda p: p.values["canonical_url"])
    created_ids = repository.insert_new(
        session, [{**p.values, "duplicate_of_id": stored_dupes.get(p.index)} for p in rows]
    )
    id_of = {p.index: created_ids.get(p.values["canonical_url"]) for p in fresh}
    repository.set_duplicate_of(
        session,
        [
            {"aid": id_of[p.index], "dup": id_of[q]}
            for p in fresh
            if (q := batch_dupes.get(p.index)) is not None and id_of[p.index] and id_of[q]
        ],
    )
    for p in fresh:
        if id_of[p.index] is not None:  # else another writer stored it first: looked up again below
            q = batch_dupes.get(p.index)
            original = stored_dupes.get(p.index) or (id_of[q] if q is not None else None)
            outcomes[p.index] = Outcome(p.index, "created", id_of[p.index], original)

    repository.update_stored(
        session,
        [
            (outcomes[p.index].id, {c: v for c, v in p.values.items() if c != "canonical_url"})
            for p in updates
        ],
    )
    written = [
        p for p in (*fresh, *updates) if p.index in outcomes and outcomes[p.index].status != "unchanged"
    ]
    repository.store_mentions(
        session,
        [outcomes[p.index].id for p in updates],
        [{"article_id": outcomes[p.index].id, **m} for p in written for m in p.mentions],
    )
    # The posted HTML, kept only when asked; an update drops the copy of the content it replaces.
    repository.store_raw(
        session,
        [outcomes[p.index].id for p in updates],
        [{"article_id": outcomes[p.index].id, "html": p.raw_html} for p in written if p.raw_html],
    )

    # Repeats inside the batch, and articles another writer stored first: look them up again.
    rest = [p for p in batch if p.index not in outcomes]
    if rest:
        if _depth >= 3:
            raise OperationalError("ingestion could not settle concurrent writes", None, Exception("retry"))
        for o in store(session, rest, _depth=_depth + 1):
            outcomes[o.index] = o
    return [outcomes[p.index] for p in batch]
