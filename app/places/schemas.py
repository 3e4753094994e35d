from __future__ import annotations

from pydantic import BaseModel

from ..schemas import ActorBrief


class PlaceSummary(BaseModel):
    id: str
    name: str
    country: str
    lat: float
    lon: float
    population: int
    capital: bool


class PlaceRead(PlaceSummary):
    aliases: list[str]
    geonameid: int | None
    country_actor: ActorBrief | None
    article_count: int


class ArticlePlaceRead(BaseModel):
    """A place an article names: how often, where (offsets into the body), and whether it is the main one."""

    id: str
    name: str
    country: str
    lat: float
    lon: float
    count: int
    main: bool
    offsets: list[tuple[int, int]]
