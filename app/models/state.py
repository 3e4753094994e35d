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
    """A POST sent with an `Idempotency-Key`: claimed (`pending`) by the first request, which stores its
    response (`done`) in the same transaction as its write; retries wait for it and replay the response.
    Keys belong to the API key that sent them (`owner`, its id; 0 without a key)."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # pending | done
    token: Mapped[str] = mapped_column(String(32))  # the claim of the request that runs it
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    headers: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON object
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # the exact bytes sent
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class SearchSnapshot(Base):
    """The ranked ids of one full-text query, frozen when its first page is served, so that walking the
    relevance cursor chain yields every match once even while articles are inserted (bm25 scores move
    as the corpus grows). Expired after an hour."""

    __tablename__ = "search_snapshots"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    ids: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
