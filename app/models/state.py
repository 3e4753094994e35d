from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class AppState(Base):
    """Counters shared by every worker; `gazetteer` is bumped by triggers whenever actors or aliases change."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyKey(Base):
    """A replayable response for a POST sent with an `Idempotency-Key` header."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)


class SearchSnapshot(Base):
    """The ranked ids of one full-text query, frozen when its first page is served, so that walking the
    relevance cursor chain yields every match once even while articles are inserted (bm25 scores move
    as the corpus grows). Expired after an hour."""

    __tablename__ = "search_snapshots"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    ids: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
