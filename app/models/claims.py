from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, TimestampMixin

Stance = Literal["asserts", "denies", "suggests", "doubts"]
STANCES: tuple[str, ...] = get_args(Stance)


class Proposition(IdMixin, TimestampMixin, Base):
    """A disputed statement that claims argue for or against."""

    __tablename__ = "propositions"

    key: Mapped[str | None] = mapped_column(String(128), unique=True)
    text: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Claim(IdMixin, TimestampMixin, Base):
    __tablename__ = "claims"

    speaker_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    stance: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    said_on: Mapped[date | None] = mapped_column(Date)
    proposition_id: Mapped[int | None] = mapped_column(ForeignKey("propositions.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_claims_speaker_id_id", "speaker_id", "id"),
        Index("ix_claims_proposition_id_stance", "proposition_id", "stance"),
    )


class ClaimAbout(Base):
    __tablename__ = "claim_about"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True)
    actor_id: Mapped[int] = mapped_column(
        ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
