from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, JSONType, TimestampMixin

RELATION_TYPES = (
    "member_of",
    "holds_position",
    "leader_of",
    "allied_with",
    "treaty_with",
    "supports",
    "opposes",
    "part_of",
    "located_in",
    "spokesperson_for",
    "partner_of",
)


class Relation(IdMixin, TimestampMixin, Base):
    __tablename__ = "relations"

    subject_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(512))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    source_note: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        Index("ix_relations_subject_id_type", "subject_id", "type", "valid_from"),
        Index("ix_relations_object_id_type", "object_id", "type", "valid_from"),
        Index("ix_relations_type_id", "type", "id"),
    )


class RelationEvidence(IdMixin, Base):
    __tablename__ = "relation_evidence"

    relation_id: Mapped[int] = mapped_column(ForeignKey("relations.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    quote: Mapped[str | None] = mapped_column(Text)
