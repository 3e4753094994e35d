"""The ingestion pipeline: clean, canonicalise, fingerprint and link each article, then store it once.

`prepare` is pure CPU (no database); `store` is one set-based pass over a batch inside the caller's
transaction: it looks up every canonical URL and content hash of the batch in two queries, finds
near-duplicates by simhash band, inserts new articles with INSERT … ON CONFLICT DO NOTHING (so that
concurrent writers of the same article store it once), updates changed ones, and writes mentions in
bulk. The same code serves HTTP (through AsyncSession.run_sync) and the CLI (a plain Session).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..models import Actor, ActorAlias, AppState, Article, Mention
from .cleaning import clean_text
from .fingerprint import NEAR_DUPLICATE_DISTANCE, fingerprints, hamming
from .language import detect_language
from .linker import Gazetteer, GazetteerEntry
from .urls import canonicalize_url

_AMBIGUOUS_NAMES = frozenset(
    json.loads(Path(__file__).with_name("ambiguous_names.json").read_text(encoding="utf-8"))["names"]
)


# A title and the start of the body tell the language as well as the whole text does, and py3langid's
# cost grows with every byte it reads (it was 40 % of the pipeline at 600 bytes).
LANGUAGE_SAMPLE = 280


@dataclass
class ArticleInput:
    """A posted article after schema validation (dates already naive UTC)."""

    url: str
    title: str
    body: str
    published_at: datetime
    source: str | None = None
    language: str | None = None
    summary: str | None = None
    tags: list[str] | None = None


@dataclass
class Prepared:
    index: int
    values: dict[str, Any]
    mentions: list[dict[str, Any]]


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


def _tidy(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text or None


def prepare(index: int, item: ArticleInput, gazetteer: Gazetteer) -> Prepared:
    """Clean, canonicalise, fingerprint, detect the language and link actors: no I/O."""
    title = (
        _tidy(clean_text(item.title) if "<" in item.title or "&" in item.title else item.title) or item.title
    )
    body = clean_text(item.body, title=title)
    canonical = canonicalize_url(item.url)
    language = item.language or detect_language(f"{title}. {body[:LANGUAGE_SAMPLE]}")
    values = {
        "url": item.url,
        "canonical_url": canonical,
        "title": title,
        "body": body,
        "summary": _tidy(clean_text(item.summary)) if item.summary else None,
        "source": item.source or (urlsplit(canonical).hostname or "").removeprefix("www."),
        "language": language,
        "published_at": item.published_at,
        "tags": item.tags,
        **fingerprints(title, body),
        "is_stub": False,
    }
    mentions = [
        {
            "actor_id": m.actor_id,
            "start_offset": m.start,
            "end_offset": m.end,
            "text": m.text[:512],
            "confidence": m.confidence,
        }
        for m in gazetteer.find(body)
    ]
    return Prepared(index, values, mentions)


# -- the gazetteer, rebuilt in each process when actors or aliases change ------------------------------


def load_entries(session: Session) -> list[GazetteerEntry]:
    actors = session.execute(select(Actor.id, Actor.kind, Actor.name)).all()
    kinds = {a.id: a.kind for a in actors}
    entries = [
        GazetteerEntry(a.id, a.kind, a.name, "name", ambiguous=a.name in _AMBIGUOUS_NAMES) for a in actors
    ]
    rows = session.execute(
        select(
            ActorAlias.actor_id,
            ActorAlias.alias,
            ActorAlias.kind,
            ActorAlias.ambiguous,
            ActorAlias.case_sensitive,
        )
    ).all()
    entries += [
        GazetteerEntry(
            r.actor_id,
            kinds[r.actor_id],
            r.alias,
            r.kind,
            ambiguous=r.ambiguous,
            case_sensitive=r.case_sensitive,
        )
        for r in rows
        if r.actor_id in kinds
    ]
    return entries


def gazetteer_version(session: Session) -> int:
    return session.scalar(select(AppState.value).where(AppState.key == "gazetteer")) or 0


class GazetteerCache:
    """One linker per process, rebuilt when the `gazetteer` counter (bumped by triggers) moves.

    No lock: under AsyncSession.run_sync the database reads below switch to the event loop, and a
    thread lock held across them would block every other request on the same thread. Two requests
    may rebuild at once after a change; the last one to finish wins, both results are equal.
    """

    def __init__(self) -> None:
        self._current: tuple[int, Gazetteer] | None = None

    def get(self, session: Session) -> Gazetteer:
        version = gazetteer_version(session)
        current = self._current
        if current is not None and current[0] == version:
            return current[1]
        gazetteer = Gazetteer(load_entries(session))
        self._current = (version, gazetteer)
        return gazetteer


GAZETTEERS = GazetteerCache()


# -- storing a batch ----------------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Article.__table__)


def _near_duplicates(session: Session, fresh: list[Prepared]) -> dict[int, int]:
    """index -> id of the oldest stored article within NEAR_DUPLICATE_DISTANCE bits of it."""
    if not fresh:
        return {}
    conds = [getattr(Article, f"sh{b}").in_({p.values[f"sh{b}"] for p in fresh}) for b in range(4)]
    rows = session.execute(
        select(Article.id, Article.simhash, Article.sh0, Article.sh1, Article.sh2, Article.sh3)
        .where(or_(*conds), Article.duplicate_of_id.is_(None))
        .order_by(Article.id)
    ).all()
    # Candidates by (band, value): each article is compared only with those sharing one of its bands,
    # not with every candidate of the batch.
    by_band: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for cid, csim, *bands in rows:
        if csim is not None:
            for b, value in enumerate(bands):
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


def store(session: Session, batch: Sequence[Prepared], _depth: int = 0) -> list[Outcome]:
    """Store a batch in the current transaction; each article is created, updated or left unchanged."""
    urls = {p.values["canonical_url"] for p in batch}
    hashes = {p.values["content_hash"] for p in batch}
    by_url: dict[str, tuple[int, str | None, bool]] = {}
    by_hash: dict[str, int] = {}
    for aid, url, digest, stub in session.execute(
        select(Article.id, Article.canonical_url, Article.content_hash, Article.is_stub).where(
            or_(Article.canonical_url.in_(urls), Article.content_hash.in_(hashes))
        )
    ):
        if url in urls:
            by_url[url] = (aid, digest, stub)
        if digest is not None:
            by_hash[digest] = aid

    outcomes: dict[int, Outcome] = {}
    fresh: list[Prepared] = []
    updates: list[Prepared] = []
    pending_urls: dict[str, Prepared] = {}
    pending_hashes: dict[str, Prepared] = {}
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
            pending_urls[url] = p
            pending_hashes[digest] = p

    stored_dupes = _near_duplicates(session, fresh)  # index -> id of a stored original
    batch_dupes: dict[int, int] = {}  # index -> index of an earlier original in this batch
    for i, p in enumerate(fresh):
        if p.index in stored_dupes:
            continue
        for q in fresh[:i]:
            original = q.index not in stored_dupes and q.index not in batch_dupes
            if original and hamming(q.values["simhash"], p.values["simhash"]) <= NEAR_DUPLICATE_DISTANCE:
                batch_dupes[p.index] = q.index
                break

    created_ids: dict[str, int] = {}
    if fresh:
        # Sorted, so concurrent writers take their locks in the same order and cannot deadlock.
        rows = sorted(fresh, key=lambda p: p.values["canonical_url"])
        stmt = _insert(session).on_conflict_do_nothing().returning(Article.id, Article.canonical_url)
        for start in range(0, len(rows), 500):
            params = [
                {**p.values, "duplicate_of_id": stored_dupes.get(p.index)} for p in rows[start : start + 500]
            ]
            for aid, url in session.execute(stmt, params):
                created_ids[url] = aid
    id_of = {p.index: created_ids.get(p.values["canonical_url"]) for p in fresh}
    links = [
        {"aid": id_of[p.index], "dup": id_of[q]}
        for p in fresh
        if (q := batch_dupes.get(p.index)) is not None and id_of[p.index] and id_of[q]
    ]
    if links:
        table = Article.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("aid")).values(duplicate_of_id=bindparam("dup")),
            links,
        )
    for p in fresh:
        if id_of[p.index] is not None:  # else another writer stored it first: looked up again below
            q = batch_dupes.get(p.index)
            original = stored_dupes.get(p.index) or (id_of[q] if q is not None else None)
            outcomes[p.index] = Outcome(p.index, "created", id_of[p.index], original)

    if updates:
        table = Article.__table__
        cols = [c for c in updates[0].values if c != "canonical_url"]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("aid"))
            .values({c: bindparam(f"v_{c}") for c in cols}),
            [{"aid": outcomes[p.index].id, **{f"v_{c}": p.values[c] for c in cols}} for p in updates],
        )
        session.execute(
            delete(Mention).where(Mention.article_id.in_([outcomes[p.index].id for p in updates]))
        )

    mention_rows = [
        {"article_id": outcomes[p.index].id, **m}
        for p in [*fresh, *updates]
        if p.index in outcomes and outcomes[p.index].status in ("created", "updated")
        for m in p.mentions
    ]
    if mention_rows:
        session.execute(Mention.__table__.insert(), mention_rows)

    # Repeats inside the batch, and articles another writer stored first: look them up again.
    rest = [p for p in batch if p.index not in outcomes]
    if rest:
        if _depth >= 3:
            raise OperationalError("ingestion could not settle concurrent writes", None, Exception("retry"))
        for o in store(session, rest, _depth=_depth + 1):
            outcomes[o.index] = o
    return [outcomes[p.index] for p in batch]
