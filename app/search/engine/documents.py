"""What the index holds about one article, built from SQL rows (SQL stays the source of truth)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson

from . import schema as s


@dataclass
class ArticleDoc:
    id: int
    title: str
    body: str
    source: str
    language: str | None
    published_at: datetime  # naive UTC
    duplicate_of: int | None = None
    created_at: datetime | None = None
    actor_ids: list[int] = field(default_factory=list)  # distinct
    actor_kinds: list[str] = field(default_factory=list)  # distinct kinds of those actors
    countries: list[str] = field(default_factory=list)  # distinct countries of those actors
    event_ids: list[int] = field(default_factory=list)
    story_id: int | None = None
    place_ids: list[str] = field(default_factory=list)  # distinct gazetteer ids
    seq: int = 0  # the change that produced this version (0: a rebuild)

    def to_json(self) -> str:
        """The document as Tantivy's JSON input: one call into Rust per document (measured faster than
        building a tantivy.Document field by field)."""
        # Text fields take the analyzer's terms, space-separated (see schema.TERMS_TOKENIZER).
        title_terms = s.tokens(self.title)
        body_terms = s.tokens(self.body)
        title = " ".join(title_terms)
        title_pairs = s.pairs(title_terms)
        doc: dict[str, object] = {
            s.ID: self.id,
            s.TITLE: title,
            # The body field holds the title too, as a value of its own (no phrase spans the two).
            s.BODY: [title, " ".join(body_terms)],
            s.TITLE_PAIRS: title_pairs,
            s.BODY_PAIRS: f"{title_pairs} {s.pairs(body_terms)}",
            s.SOURCE: self.source,
            s.PUBLISHED: s.to_micros(self.published_at),
            s.SEQ: self.seq,
        }
        if self.language is not None:
            doc[s.LANGUAGE] = self.language
        if self.duplicate_of is not None:
            doc[s.DUPLICATE_OF] = self.duplicate_of
        if self.created_at is not None:
            doc[s.CREATED] = s.to_micros(self.created_at)
        if self.actor_ids:
            doc[s.ACTORS] = self.actor_ids
        if self.actor_kinds:
            doc[s.ACTOR_KINDS] = self.actor_kinds
        if self.countries:
            doc[s.COUNTRIES] = self.countries
        if self.event_ids:
            doc[s.EVENTS] = self.event_ids
        if self.story_id is not None:
            doc[s.STORY] = self.story_id
        if self.place_ids:
            doc[s.PLACES] = self.place_ids
        return orjson.dumps(doc).decode()


def to_json_all(docs: list[ArticleDoc]) -> list[str]:
    """`to_json` of each document, in order: a preparing process's task when the indexer hands the
    encoding over (see Indexer.encoder)."""
    return [doc.to_json() for doc in docs]
