"""The ingestion pipeline for one article: clean, canonicalise, fingerprint, detect the language and
link actors. Pure CPU, no database and no HTTP: the articles domain stores what `prepare` returns, the
CLI runs it in worker processes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .cleaning import clean_text
from .fingerprint import fingerprints
from .language import detect_language
from .linker import Gazetteer
from .urls import canonicalize_url

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
