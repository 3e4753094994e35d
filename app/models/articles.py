from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, JSONType, TimestampMixin


class Article(IdMixin, TimestampMixin, Base):
    __tablename__ = "articles"

    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    # The simhash's four 16-bit bands: two texts within Hamming distance 3 share at least one band. Each
    # is indexed with id, so the oldest articles holding a band value are read first (migration 0013).
    sh0: Mapped[int | None] = mapped_column(Integer)
    sh1: Mapped[int | None] = mapped_column(Integer)
    sh2: Mapped[int | None] = mapped_column(Integer)
    sh3: Mapped[int | None] = mapped_column(Integer)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    # The detector's probability when the language was detected; None when it was declared.
    language_confidence: Mapped[float | None] = mapped_column(Float)
    published_at: Mapped[datetime] = mapped_column(DateTime())
    # Where published_at came from: published | feed_updated | extracted | ingested (None: before 0008).
    date_source: Mapped[str | None] = mapped_column(String(16))
    # The title of the feed an article was read from (`source` is the site's host).
    feed_title: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str] | None] = mapped_column(JSONType)
    is_stub: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The story the article belongs to (app/stories); NULL only for articles stored before stories.
    # No foreign key: stories are never deleted (a merged one keeps its row and redirects).
    story_id: Mapped[int | None] = mapped_column(Integer)
    # A bottom-k MinHash of its content words (app/ingestion/storysig.py), <= 256 bytes.
    story_sig: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        # story_id: story assignment checks it while walking a date window (migration 0010).
        Index("ix_articles_published_at_id_story_id", "published_at", "id", "story_id"),
        Index("ix_articles_source_published_at_id", "source", "published_at", "id"),
        Index("ix_articles_language_published_at_id", "language", "published_at", "id"),
        Index("ix_articles_story_id_published_at_id", "story_id", "published_at", "id"),
        # A story's distinct sources counted from one index, in order (migration 0016).
        Index("ix_articles_story_id_source", "story_id", "source"),
        *(Index(f"ix_articles_sh{b}_id_simhash", f"sh{b}", "id", "simhash") for b in range(4)),
    )


class ArticleRaw(Base):
    """The HTML a client posted, kept only when it asked (`keep_raw`); never indexed."""

    __tablename__ = "article_raw"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    html: Mapped[str] = mapped_column(Text)


class Mention(IdMixin, Base):
    __tablename__ = "mentions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(512))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)

    __table_args__ = (
        Index("ix_mentions_actor_id_article_id", "actor_id", "article_id"),
        Index("ix_mentions_article_id_start_offset", "article_id", "start_offset"),
        Index("ix_mentions_article_id_actor_id", "article_id", "actor_id"),
    )


JSONDict = dict[str, Any]


class Story(IdMixin, TimestampMixin, Base):
    """Articles about one story, grouped as they arrive (app/stories/service.py). A story merged into a
    larger one keeps its row with `merged_into` set, so its id redirects; its counts stay as they were."""

    __tablename__ = "stories"

    title: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime())
    last_seen: Mapped[datetime] = mapped_column(DateTime())
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    source_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_stories_last_seen_id", "last_seen", "id"),
        Index("ix_stories_article_count_id", "article_count", "id"),
        # Partial: nearly every story has merged_into NULL, which SQLite's ANALYZE counts as one value
        # held by every row, and merging then scanned the whole table (migration 0014).
        Index(
            "ix_stories_merged_into",
            "merged_into",
            sqlite_where=text("merged_into IS NOT NULL"),
            postgresql_where=text("merged_into IS NOT NULL"),
        ),
    )
