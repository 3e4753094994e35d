from __future__ import annotations

from typing import Any, Literal, get_args

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, IdMixin, JSONType, TimestampMixin

ActorKind = Literal[
    "country", "person", "organization", "alliance", "government_body", "armed_group", "media"
]
AliasKind = Literal["name", "abbreviation", "metonym", "demonym"]
ACTOR_KINDS: tuple[str, ...] = get_args(ActorKind)
ALIAS_KINDS: tuple[str, ...] = get_args(AliasKind)


class Actor(IdMixin, TimestampMixin, Base):
    __tablename__ = "actors"

    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(512))
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    country: Mapped[str | None] = mapped_column(String(3))
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    aliases: Mapped[list[ActorAlias]] = relationship(
        back_populates="actor", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    external_ids: Mapped[list[ExternalId]] = relationship(
        back_populates="actor", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        Index("ix_actors_kind_name", "kind", "name"),
        Index("ix_actors_country_kind", "country", "kind"),
    )


class ActorAlias(IdMixin, Base):
    __tablename__ = "actor_aliases"

    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(512))
    normalized: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32), default="name")
    ambiguous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    actor: Mapped[Actor] = relationship(back_populates="aliases", lazy="raise")

    __table_args__ = (
        UniqueConstraint("actor_id", "normalized"),
        Index("ix_actor_aliases_normalized", "normalized"),
    )


class ExternalId(IdMixin, Base):
    __tablename__ = "actor_external_ids"

    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))

    actor: Mapped[Actor] = relationship(back_populates="external_ids", lazy="raise")

    __table_args__ = (UniqueConstraint("scheme", "value"), UniqueConstraint("actor_id", "scheme"))
