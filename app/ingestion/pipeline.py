"""The ingestion pipeline for one article: extract, clean, canonicalise, fingerprint, detect the language
and link actors and places. Pure CPU, no database and no HTTP: the articles domain stores what `prepare` returns, the
CLI runs it in worker processes.

A body that is a whole HTML document (or any body when the client asks for `extract`) goes through
trafilatura (`extract.py`): its main text becomes the body, and its title, date and declared language
fill the fields the client left empty. What the client (or the feed) declares always wins over what the
page says, and what the page declares wins over what is guessed:

- title: the client's, else the page's;
- published_at: the client's (date_source "published", or what the client says it is), else the page's
  date ("extracted"), else the article fails with a reason;
- language: the client's or feed's, else the page's declared language (``<html lang>``), else detected
  from the text (``language_confidence`` is then the detector's probability), else "und";
- source: the client's, else the site's host (feeds pass no source: their title goes to feed_title).

Fragments and feed summaries keep going through the fragment cleaner.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .cleaning import clean_text
from .extract import extract, is_whole_document
from .fingerprint import fingerprints
from .language import detect
from .linker import Gazetteer, fold
from .places import PlaceLinker
from .storysig import sketch
from .urls import canonicalize_url

# A title and the start of the body tell the language as well as the whole text does, and the detector's
# cost grows with every byte it reads.
LANGUAGE_SAMPLE = 280

DATE_SOURCES = ("published", "feed_updated", "extracted", "ingested")


@dataclass
class ArticleInput:
    """A posted article after schema validation (dates already naive UTC)."""

    url: str
    title: str | None
    body: str
    published_at: datetime | None
    source: str | None = None
    language: str | None = None
    summary: str | None = None
    tags: list[str] | None = None
    extract: bool | None = None  # None: when the body is a whole HTML document
    keep_raw: bool = False
    date_source: str | None = None  # what published_at is, when the client says so
    feed_title: str | None = None


@dataclass
class Prepared:
    index: int
    values: dict[str, Any]
    mentions: list[dict[str, Any]]
    raw_html: str | None = None  # stored apart (article_raw) when the client asked to keep it
    places: list[dict[str, Any]] = field(default_factory=list)  # {place_id, start_offset, end_offset, text}


def _tidy(text: str | None) -> str | None:
    if text is None:
        return None
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text or None


def _clean_title(title: str) -> str:
    return _tidy(clean_text(title) if "<" in title or "&" in title else title) or title


def wants_extraction(item: ArticleInput) -> bool:
    return item.extract if item.extract is not None else is_whole_document(item.body)


def prepare(
    index: int, item: ArticleInput, gazetteer: Gazetteer, places: PlaceLinker | None = None
) -> Prepared:
    """Extract, clean, canonicalise, fingerprint, detect the language, link actors and (with `places`) places:
    no I/O.
    A ValueError says why the article cannot be stored (no title, no date, no text in the page)."""
    (result,) = prepare_many([(index, item)], gazetteer, places)
    if isinstance(result, Prepared):
        return result
    raise ValueError(result[1])


class _Draft:
    """An article between the stages of `prepare_many`."""

    __slots__ = (
        "index",
        "item",
        "title",
        "body",
        "published_at",
        "date_source",
        "language",
        "confidence",
    )

    def __init__(self, index: int, item: ArticleInput) -> None:
        self.index, self.item = index, item
        self.title = self.body = ""
        self.published_at: datetime | None = None
        self.date_source = "published"
        self.language: str | None = None
        self.confidence: float | None = None


def _read(draft: _Draft) -> None:
    """Extract (a whole page), clean the title and body, and settle the date: a ValueError says why not."""
    item = draft.item
    page = extract(item.body, item.url) if wants_extraction(item) else None
    raw_title = item.title or (page.title if page else None)
    if not raw_title or not raw_title.strip():
        raise ValueError("title: missing, and the page has none")
    title = _clean_title(raw_title)
    text, plain = (page.text, True) if page is not None else (item.body, False)
    # The body's first line is dropped when it repeats the title, unless it is all there is (a feed entry
    # titled with the start of its own text).
    body = clean_text(text, title=title, plain=plain) or clean_text(text, plain=plain)

    published_at, date_source = item.published_at, item.date_source
    if published_at is None and page is not None and page.published is not None:
        published_at, date_source = page.published, "extracted"
    if published_at is None:
        raise ValueError("published_at: missing, and the page declares no date")
    draft.title, draft.body = title, body
    draft.published_at, draft.date_source = published_at, date_source or "published"
    draft.language = item.language or (page.language if page else None)


def prepare_many(
    items: Iterable[tuple[int, ArticleInput]], gazetteer: Gazetteer, places: PlaceLinker | None = None
) -> list[Prepared | tuple[int, str]]:
    """`prepare` for many articles: each (index, article) prepared, or (index, why not) for one that cannot
    be stored, in order.

    Stage by stage over all of them, not article by article: each stage (the language model, the linkers'
    automata and tables, the hash caches) then stays in the CPU's caches while it runs through the batch.
    On 3,000 generated articles (`python bench/prepare.py`, thread CPU): 511-572 µs an article one by one,
    408-420 stage by stage."""
    results: list[Prepared | tuple[int, str] | None] = []
    drafts: list[_Draft] = []
    slots: list[int] = []  # where each draft's result goes
    for index, item in items:
        draft = _Draft(index, item)
        try:
            _read(draft)
        except ValueError as exc:
            results.append((index, str(exc)))
        else:
            slots.append(len(results))
            results.append(None)
            drafts.append(draft)
    for d in drafts:
        if d.language is None:
            detected = detect(f"{d.title}. {d.body[:LANGUAGE_SAMPLE]}")
            d.language, d.confidence = detected.language, detected.confidence
    canonicals = [canonicalize_url(d.item.url) for d in drafts]
    prints = [fingerprints(d.title, d.body) for d in drafts]
    sketches = [sketch(d.title, d.body) for d in drafts]
    folds = [fold(d.body) for d in drafts]  # both linkers scan the folded body
    matches = [gazetteer.find(d.body, folded=f) for d, f in zip(drafts, folds, strict=True)]
    found = [
        places.find(d.body, m, folded=f) if places is not None else ()
        for d, m, f in zip(drafts, matches, folds, strict=True)
    ]
    for slot, d, canonical, prints_, sig, m, place_matches in zip(
        slots, drafts, canonicals, prints, sketches, matches, found, strict=True
    ):
        item = d.item
        values = {
            "url": item.url,
            "canonical_url": canonical,
            "title": d.title,
            "body": d.body,
            "summary": _tidy(clean_text(item.summary)) if item.summary else None,
            "source": item.source or (urlsplit(canonical).hostname or "").removeprefix("www."),
            "language": d.language,
            "language_confidence": d.confidence,
            "published_at": d.published_at,
            "date_source": d.date_source,
            "feed_title": _tidy(item.feed_title),
            "tags": item.tags,
            **prints_,
            "story_sig": sig,
            "is_stub": False,
        }
        place_rows = [
            {"place_id": p.place_id, "start_offset": p.start, "end_offset": p.end, "text": p.text[:255]}
            for p in place_matches
        ]
        raw = item.body if item.keep_raw and item.body else None
        results[slot] = Prepared(d.index, values, mention_rows(m), raw, place_rows)
    return [r for r in results if r is not None]


__all__ = ["DATE_SOURCES", "ArticleInput", "Prepared", "prepare", "prepare_many", "wants_extraction"]


def mention_rows(matches: Any, **extra: Any) -> list[dict[str, Any]]:
    """The `mentions` rows of linker matches (plus `extra` columns, e.g. the article id)."""
    return [
        {
            **extra,
            "actor_id": m.actor_id,
            "start_offset": m.start,
            "end_offset": m.end,
            "text": m.text[:512],
            "confidence": m.confidence,
        }
        for m in matches
    ]
