"""Batches of parsed rows -> events, participants, articles and event-article links; one transaction each.

Idempotent: an event whose values and participants are what the row says is left alone (not even
``updated_at`` moves), so importing a file twice changes nothing; a later row for the same GLOBALEVENTID
updates the event and replaces its participants.

Each event is linked to the article at its ``SOURCEURL``; a mentions file links events to every article
that mentions them. An article we do not have yet becomes a stub (``is_stub=True``, empty body, a title
made from its URL) keyed by its canonical URL, so a later full ingest of that URL completes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine

from ... import dialect, outbox
from ...ingestion.urls import canonicalize_url
from ...models.base import utcnow
from . import repository
from .names import title_from_url
from .parse import EventRecord, MentionRecord
from .report import ImportReport

MAX_URL = 2048  # articles.canonical_url is VARCHAR(2048)
MAX_URLS_KEPT = 200_000  # the canonical-URL memo is cleared past this many entries


class CanonicalUrls:
    """URL -> canonical URL, or None when it is not an http(s) URL we can store; memoised, since a source
    URL usually carries many events."""

    def __init__(self) -> None:
        self._urls: dict[str, str | None] = {}

    def __call__(self, url: str) -> str | None:
        try:
            return self._urls[url]
        except KeyError:
            pass
        try:
            canonical: str | None = canonicalize_url(url)
        except ValueError:
            canonical = None
        if canonical is not None and len(canonical) > MAX_URL:
            canonical = None
        if len(self._urls) > MAX_URLS_KEPT:
            self._urls.clear()
        self._urls[url] = canonical
        return canonical


class Writer:
    def __init__(self, engine: Engine, report: ImportReport) -> None:
        self.engine = dialect.immediate_writes(engine)
        self.report = report
        self.canonical = CanonicalUrls()

    def events(self, batch: dict[str, EventRecord]) -> None:
        """Store a batch of export rows (external id -> its latest row in the batch)."""
        report = self.report
        with self.engine.begin() as conn:
            existing = repository.events_by_external_id(conn, batch)
            have_parts = (
                repository.participants_of(conn, [r.id for r in existing.values()]) if existing else {}
            )

            event_ids: dict[str, int] = {}
            to_write: list[EventRecord] = []
            replaced: list[int] = []
            for ext, row in batch.items():
                old = existing.get(ext)
                if old is None:
                    to_write.append(row)
                    continue
                event_ids[ext] = old.id
                same = all(getattr(old, c) == row.values[c] for c in repository.EVENT_COLUMNS)
                if same and have_parts.get(old.id, set()) == row.participants:
                    report.events_unchanged += 1
                else:
                    to_write.append(row)
                    replaced.append(old.id)
            if to_write:
                self._store(conn, to_write, replaced, event_ids)

            # Every row, changed or not, makes sure its source article and link exist: cheap, and it
            # repairs links to articles deleted since the last import.
            wanted: list[tuple[int, str, str, datetime]] = []
            for ext, row in batch.items():
                if not row.url:
                    continue
                canonical = self.canonical(row.url)
                if canonical is None:
                    report.sources_not_url += 1
                    continue
                wanted.append((event_ids[ext], row.url, canonical, row.published))
            article_ids = stub_articles(conn, [(u, c, None, p) for _, u, c, p in wanted], report)
            report.source_links += link(conn, {(e, article_ids[c]) for e, _, c, _ in wanted})

    def _store(
        self, conn: Connection, rows: list[EventRecord], replaced: list[int], event_ids: dict[str, int]
    ) -> None:
        """Upsert new and changed events and replace their participants; adds the new ids to event_ids."""
        repository.upsert_events(conn, [{"external_id": r.external_id, **r.values} for r in rows], utcnow())
        new_exts = [r.external_id for r in rows if r.external_id not in event_ids]
        if new_exts:
            event_ids.update(repository.event_ids(conn, new_exts))
        self.report.events_updated += len(replaced)
        self.report.events_created += len(rows) - len(replaced)
        if replaced:
            repository.delete_participants(conn, replaced)
        parts = [
            {"event_id": event_ids[r.external_id], "actor_id": actor_id, "role": role}
            for r in rows
            for actor_id, role in sorted(r.participants)
        ]
        if parts:
            repository.add_participants(conn, parts)
        outbox.write(conn, [_event_change(r, event_ids[r.external_id], replaced) for r in rows])

    def mentions(self, batch: list[MentionRecord]) -> None:
        """Link the mentioned events to the mentioning articles, stubbing the articles we lack."""
        report = self.report
        with self.engine.begin() as conn:
            ids = repository.event_ids(conn, {m.external_id for m in batch})
            wanted: list[tuple[int, str, str, str, datetime]] = []
            for m in batch:
                event_id = ids.get(m.external_id)
                if event_id is None:
                    report.mentions_unknown_event += 1
                    continue
                canonical = self.canonical(m.url)
                if canonical is None:
                    report.mentions_not_url += 1
                    continue
                wanted.append((event_id, m.url, canonical, m.source, m.when))
            article_ids = stub_articles(conn, [(u, c, s or None, w) for _, u, c, s, w in wanted], report)
            pairs = {(e, article_ids[c]) for e, _, c, _, _ in wanted}
            new = link(conn, pairs)
            report.mentions_linked += new
            report.mentions_already_linked += len(pairs) - new


def stub_articles(
    conn: Connection, items: list[tuple[str, str, str | None, datetime]], report: ImportReport
) -> dict[str, int]:
    """Make sure an article exists for every (url, canonical url, source name, published_at); returns
    canonical url -> article id. Existing articles, stubs or not, are left as they are."""
    by_canonical: dict[str, tuple[str, str | None, datetime]] = {}
    for url, canonical, source, published in items:
        by_canonical.setdefault(canonical, (url, source, published))
    if not by_canonical:
        return {}
    found = repository.article_ids(conn, by_canonical)
    missing = [c for c in by_canonical if c not in found]
    if missing:
        now = utcnow()
        repository.add_articles(conn, [_stub(c, *by_canonical[c], now) for c in missing])
        inserted = repository.article_ids(conn, missing)
        # Rows another writer stored between our look-up and insert are not ours, but only a
        # PostgreSQL import racing another ingest can see that; it only skews the count.
        report.articles_stubbed += len(inserted)
        found.update(inserted)
        outbox.write(
            conn, [_article_change(c, inserted[c], *by_canonical[c]) for c in missing if c in inserted]
        )
    return found


def _event_change(row: EventRecord, event_id: int, replaced: list[int]) -> outbox.PendingChange:
    v = row.values
    data = {"type": v["type_code"], "title": v["title"], "start_date": v["start_date"], "source": "gdelt"}
    return outbox.PendingChange(
        "event",
        "updated" if event_id in replaced else "created",
        event_id,
        outbox.jsonable(data),
        tuple(sorted({actor_id for actor_id, _ in row.participants})),
    )


def _article_change(
    canonical: str, article_id: int, url: str, source: str | None, published: datetime
) -> outbox.PendingChange:
    stub = _stub(canonical, url, source, published, published)
    data = {"title": stub["title"], "source": stub["source"], "published_at": published, "actor_ids": []}
    return outbox.PendingChange(
        "article", "created", article_id, outbox.jsonable(data), (), stub["source"], published
    )


def _stub(canonical: str, url: str, source: str | None, published: datetime, now: datetime) -> dict[str, Any]:
    host = (urlsplit(canonical).hostname or "").removeprefix("www.")
    source_name = (source or host or "unknown")[:255]
    return {
        "url": url,
        "canonical_url": canonical,
        "title": title_from_url(canonical, source_name),
        "body": "",
        "source": source_name,
        "published_at": published,
        "is_stub": True,
        "created_at": now,
        "updated_at": now,
    }


def link(conn: Connection, pairs: set[tuple[int, int]]) -> int:
    """Insert the (event_id, article_id) links that are missing; returns how many were new."""
    if not pairs:
        return 0
    have = repository.links_of(conn, {e for e, _ in pairs})
    new = sorted(pairs - have)
    if new:
        repository.add_links(conn, new)
    return len(new)
