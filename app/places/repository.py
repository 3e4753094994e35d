"""Every query on places and on the places articles name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import fetch
from ..geo import Area
from ..models import Actor, ArticlePlace, Place
from ..pagination import SortKey

COLUMNS = (
    Place.id,
    Place.name,
    Place.country,
    Place.lat,
    Place.lon,
    Place.population,
    Place.capital,
)
SORT = SortKey("population", ((Place.population, True), (Place.id, False)), ("int", "str"))


def list_statement(*, prefix: str | None, fuzzy_ids: Sequence[str] | None, country: str | None) -> Any:
    stmt = select(*COLUMNS)
    if prefix is not None:
        cond = Place.normalized.startswith(prefix, autoescape=True)
        stmt = stmt.where(cond | Place.id.in_(fuzzy_ids) if fuzzy_ids else cond)
    if country:
        stmt = stmt.where(Place.country == country)
    return stmt


_GET = (
    select(
        *COLUMNS,
        Place.aliases,
        Place.geonameid,
        Actor.id.label("actor_id"),
        Actor.slug.label("actor_slug"),
        Actor.name.label("actor_name"),
        Actor.kind.label("actor_kind"),
    )
    .outerjoin(Actor, Actor.id == Place.country_actor_id)
    .where(Place.id == bindparam("id"))
)


async def get(session: AsyncSession, place_id: str) -> dict[str, Any] | None:
    row = (await fetch(session, _GET, {"id": place_id})).mappings().first()
    return dict(row) if row is not None else None


_ARTICLE_COUNT = select(func.count(func.distinct(ArticlePlace.article_id))).where(
    ArticlePlace.place_id == bindparam("id")
)


async def article_count(session: AsyncSession, place_id: str) -> int:
    return int((await fetch(session, _ARTICLE_COUNT, {"id": place_id})).scalar_one())


# The box on the (lat, lon) index, prebuilt (every article request with `bbox=`/`near=` runs it): one
# statement for a box within ±180°, one for a box across the antimeridian (Area.condition_box's two shapes).
_IN_LAT = Place.lat.between(bindparam("min_lat"), bindparam("max_lat"))
_IN_BOX = select(Place.id, Place.lat, Place.lon).where(
    _IN_LAT, Place.lon.between(bindparam("min_lon"), bindparam("max_lon"))
)
_IN_BOX_ACROSS = select(Place.id, Place.lat, Place.lon).where(
    _IN_LAT, or_(Place.lon >= bindparam("min_lon"), Place.lon <= bindparam("max_lon"))
)


async def ids_within(session: AsyncSession, area: Area) -> list[str]:
    """Places inside the area: the box on the (lat, lon) index, then the exact distance in Python."""
    box = {"min_lat": area.min_lat, "max_lat": area.max_lat, "min_lon": area.min_lon, "max_lon": area.max_lon}
    rows = await fetch(session, _IN_BOX if area.min_lon <= area.max_lon else _IN_BOX_ACROSS, box)
    return sorted(pid for pid, lat, lon in rows if area.contains(lat, lon))


OF_ARTICLE = (  # (start, end, text, place id, name, country, lat, lon) in text order
    select(
        ArticlePlace.start_offset,
        ArticlePlace.end_offset,
        ArticlePlace.text,
        Place.id,
        Place.name,
        Place.country,
        Place.lat,
        Place.lon,
    )
    .join(Place, Place.id == ArticlePlace.place_id)
    .where(ArticlePlace.article_id == bindparam("id"))
    .order_by(ArticlePlace.start_offset)
)


async def of_article(session: AsyncSession, article_id: int) -> list[Any]:
    return list((await fetch(session, OF_ARTICLE, {"id": article_id})).all())


async def offsets_of_articles(session: AsyncSession, article_ids: Sequence[int]) -> list[Any]:
    """(article_id, place_id, start_offset) of these articles, in text order."""
    if not article_ids:
        return []
    stmt = (
        select(ArticlePlace.article_id, ArticlePlace.place_id, ArticlePlace.start_offset)
        .where(ArticlePlace.article_id.in_(list(article_ids)))
        .order_by(ArticlePlace.article_id, ArticlePlace.start_offset)
    )
    return list((await session.execute(stmt)).all())


async def exists_id(session: AsyncSession, place_id: str) -> bool:
    return (await session.execute(select(Place.id).where(Place.id == place_id))).first() is not None


def main_place_id(article_id: Any) -> Any:
    """SQL: the main place of an article (its most named place, ties: the first named), or NULL."""
    ap = ArticlePlace.__table__.alias("main_ap")
    return (
        select(ap.c.place_id)
        .where(ap.c.article_id == article_id)
        .group_by(ap.c.place_id)
        .order_by(func.count().desc(), func.min(ap.c.start_offset))
        .limit(1)
        .scalar_subquery()
    )


def with_main_place(stmt: Any, article_id: Any) -> Any:
    """Add the article's main place (place_id, place_name, place_lat, place_lon) to a statement."""
    main = Place.__table__.alias("main_place")
    return stmt.outerjoin(main, main.c.id == main_place_id(article_id)).add_columns(
        main.c.id.label("place_id"),
        main.c.name.label("place_name"),
        main.c.lat.label("place_lat"),
        main.c.lon.label("place_lon"),
    )


def articles_in(place_ids: Sequence[str]) -> Any:
    """SQL: ids of the articles that name one of these places."""
    return select(ArticlePlace.article_id).where(ArticlePlace.place_id.in_(list(place_ids)))
