"""The change log (a transactional outbox) and the webhook subscriptions that follow it.

A change row is written in the same transaction as the write it records (app/changes/log.py), so a
consumer never sees a change whose data is not committed, nor misses one that is. `seq` is assigned at
commit time under a lock on PostgreSQL (SQLite has one writer at a time), so `seq` order is commit order:
a consumer that has read everything up to N never later finds a committed change with seq <= N.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, JSONType, TimestampMixin, utcnow

ChangeEntity = Literal["article", "actor", "relation", "event", "claim", "proposition", "story"]
ChangeOp = Literal["created", "updated", "deleted", "merged"]
CHANGE_ENTITIES: tuple[str, ...] = get_args(ChangeEntity)
CHANGE_OPS: tuple[str, ...] = get_args(ChangeOp)
WebhookStatus = Literal["active", "paused"]

# INTEGER PRIMARY KEY AUTOINCREMENT on SQLite: a seq is never reused, even after pruning every row.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_entity_seq", "entity", "seq"),
        Index("ix_changes_source_seq", "source", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow, index=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Copied out of `data` for the filters: an article's source and publication time (member_of is
    # evaluated on the article's day).
    source: Mapped[str | None] = mapped_column(String(255))
    published_at: Mapped[datetime | None] = mapped_column(DateTime())


class ChangeActor(Base):
    """The actors a change concerns: the actors an article mentions, both ends of a relation, an event's
    participants, a claim's speaker and subjects, an actor itself."""

    __tablename__ = "change_actors"
    __table_args__ = (Index("ix_change_actors_actor_id_seq", "actor_id", "seq"),)

    seq: Mapped[int] = mapped_column(SeqType, ForeignKey("changes.seq", ondelete="CASCADE"), primary_key=True)
    actor_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Webhook(IdMixin, TimestampMixin, Base):
    """A subscription: changes matching `filters` after `position` are POSTed to `url`, signed."""

    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active")
    paused_reason: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime())
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookDelivery(IdMixin, Base):
    """One attempt to deliver a batch of changes to a webhook, and what the receiver answered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_webhook_id_id", "webhook_id", "id"),)

    webhook_id: Mapped[int] = mapped_column(Integer, ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
