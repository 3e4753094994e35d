from __future__ import annotations

from datetime import date
from typing import Any, Literal, get_args

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, JSONType, TimestampMixin

EventStatus = Literal["reported", "confirmed", "disputed", "denied"]
EVENT_STATUSES: tuple[str, ...] = get_args(EventStatus)


class EventType(Base):
    """The CAMEO taxonomy: 2-digit root codes, 3-digit codes, 4-digit sub-codes."""

    __tablename__ = "event_types"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    root_code: Mapped[str] = mapped_column(String(2), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(8))
    quad_class: Mapped[int | None] = mapped_column(Integer)
    goldstein: Mapped[float | None] = mapped_column(Float)


class Event(IdMixin, TimestampMixin, Base):
    __tablename__ = "events"

    type_code: Mapped[str | None] = mapped_column(ForeignKey("event_types.code"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    location_name: Mapped[str | None] = mapped_column(String(512))
    location_country: Mapped[str | None] = mapped_column(String(3))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # The main place of the event's first linked article, set at write when the event has no coordinates
    # of its own (lat/lon are then rendered and filtered from the place).
    place_id: Mapped[str | None] = mapped_column(String(96), index=True)
    status: Mapped[str] = mapped_column(String(16), default="reported")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    external_id: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_events_start_date_id", "start_date", "id"),
        Index("ix_events_type_code_start_date", "type_code", "start_date"),
        Index("ix_events_source_start_date_id", "source", "start_date", "id"),
        Index("ix_events_location_country_start_date", "location_country", "start_date"),
        Index("ix_events_lat_lon", "lat", "lon"),
    )


class EventParticipant(Base):
    __tablename__ = "event_participants"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True, default="participant")

    __table_args__ = (Index("ix_event_participants_actor_id_event_id", "actor_id", "event_id"),)


class EventArticle(Base):
    __tablename__ = "event_articles"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
