"""Every query on events, their participants, articles and the event-type taxonomy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..geo import Area
from ..models import Actor, Article, Claim, Event, EventArticle, EventParticipant, EventType, Place
from ..pagination import SortKey
from ..relations.repository import member_on

SORT = SortKey("-start_date", ((Event.start_date, True), (Event.id, True)), ("date", "int"))
TYPE_SORT = SortKey("code", ((EventType.code, False),), ("str",))

# The place an event without coordinates inherits from its article (events.place_id, set at write).
PLACE = Place.__table__.alias("event_place")

SUMMARY_COLUMNS = (
    Event.id,
    Event.type_code,
    EventType.name.label("type_name"),
    Event.title,
    Event.start_date,
    Event.end_date,
    Event.status,
    Event.source,
    Event.external_id,
    func.coalesce(Event.location_name, PLACE.c.name).label("location_name"),
    func.coalesce(Event.location_country, PLACE.c.country).label("location_country"),
    func.coalesce(Event.lat, PLACE.c.lat).label("lat"),
    func.coalesce(Event.lon, PLACE.c.lon).label("lon"),
    Event.lat.label("own_lat"),
    PLACE.c.id.label("place_id"),
)
DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    Event.description,
    Event.parent_id,
    Event.attributes,
    Event.created_at,
    Event.updated_at,
)


async def type_codes(session: AsyncSession, ref: str) -> list[str] | None:
    """A code, a root code (matching its children) or a name -> the codes it means; None if unknown."""
    if ref.isascii() and ref.isdigit():
        exact = (await session.execute(select(EventType.code).where(EventType.code == ref))).scalar()
        return [exact] if exact else None
    stmt = select(EventType.code).where(func.lower(EventType.name) == ref.strip().lower())
    code = (await session.execute(stmt)).scalars().first()
    return [code] if code else None


def type_condition(code: str) -> Any:
    """A code matches itself and every more specific code under it (CAMEO codes nest by prefix)."""
    return or_(Event.type_code == code, Event.type_code.like(code + "%"))


def member_of_condition(org_id: int) -> Any:
    """Events in which the organisation, or an actor that was a member of it on the event's start date,
    takes part."""
    direct, via = aliased(EventParticipant), aliased(EventParticipant)
    return or_(
        exists().where(direct.event_id == Event.id, direct.actor_id == org_id).correlate(Event),
        exists()
        .where(via.event_id == Event.id, *member_on(via.actor_id, org_id, Event.start_date))
        .correlate(Event),
    )


def filter_conditions(
    *,
    type_codes: Sequence[str] | None = None,
    actor_ids: Sequence[int] | None = None,
    country: str | None = None,
    start_after: date | None = None,
    start_before: date | None = None,
    statuses: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    q: str | None = None,
) -> list[Any]:
    conds: list[Any] = []
    if q:
        for word in q.lower().split()[:8]:
            conds.append(
                or_(
                    func.lower(Event.title).contains(word, autoescape=True),
                    func.lower(Event.description).contains(word, autoescape=True),
                )
            )
    if type_codes:
        conds.append(or_(*(type_condition(c) for c in type_codes)))
    if actor_ids:
        conds.append(
            Event.id.in_(select(EventParticipant.event_id).where(EventParticipant.actor_id.in_(actor_ids)))
        )
    if country:
        conds.append(Event.location_country == country)
    if start_after is not None:
        conds.append(Event.start_date >= start_after)
    if start_before is not None:
        conds.append(Event.start_date < start_before)
    if statuses:
        conds.append(Event.status.in_(statuses))
    if sources:
        conds.append(Event.source.in_(sources))
    return conds


def summary(row: Any) -> dict[str, Any]:
    """An event row as the API shows it: `type`, and `location` as one object (or null). An event without
    coordinates of its own shows its article's main place (`place_id`, `inherited: true`)."""
    d = dict(row)
    own_lat, place_id = d.pop("own_lat"), d.pop("place_id")
    loc: dict[str, Any] = {
        "name": d.pop("location_name"),
        "country": d.pop("location_country"),
        "lat": d.pop("lat"),
        "lon": d.pop("lon"),
    }
    d["type"] = d.pop("type_code")
    if any(v is not None for v in loc.values()):
        inherited = own_lat is None and place_id is not None
        loc["place_id"] = place_id if inherited else None
        loc["inherited"] = inherited
        d["location"] = loc
    else:
        d["location"] = None
    return d


def area_condition(area: Area, place_ids: Sequence[str]) -> Any:
    """Events inside the area: by their own coordinates (the box on the (lat, lon) index, then the exact
    distance), or, without coordinates, by the place they inherit."""
    return or_(
        and_(Event.lat.is_not(None), area.condition(Event.lat, Event.lon)),
        and_(Event.lat.is_(None), Event.place_id.in_(list(place_ids))),
    )


def list_statement(conds: list[Any]) -> Any:
    return (
        select(*SUMMARY_COLUMNS)
        .outerjoin(EventType, EventType.code == Event.type_code)
        .outerjoin(PLACE, PLACE.c.id == Event.place_id)
        .where(*conds)
    )


async def get(session: AsyncSession, event_id: int) -> dict[str, Any] | None:
    stmt = (
        select(*DETAIL_COLUMNS)
        .outerjoin(EventType, EventType.code == Event.type_code)
        .outerjoin(PLACE, PLACE.c.id == Event.place_id)
        .where(Event.id == event_id)
    )
    row = (await session.execute(stmt)).mappings().first()
    return summary(row) if row else None


async def exists_id(session: AsyncSession, event_id: int) -> bool:
    return bool((await session.execute(select(exists().where(Event.id == event_id)))).scalar())


# Any constant: the advisory lock that serialises changes of the event tree on PostgreSQL.
TREE_LOCK = 7_311_002


async def lock_tree(session: AsyncSession) -> None:
    """Serialise changes of parents until the transaction ends: two concurrent PATCHes (A under B, B
    under A) would each see no cycle under READ COMMITTED and close one together. SQLite's writers are
    serialised already (BEGIN IMMEDIATE); on PostgreSQL each statement after the lock sees the commits of
    the transaction that held it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": TREE_LOCK})


async def is_ancestor(session: AsyncSession, candidate: int, event_id: int, *, max_depth: int = 1000) -> bool:
    """Whether `candidate` is `event_id` or one of its ancestors (walked one parent at a time).

    Hierarchies are shallow (a summit, its sessions, their statements), so a query a hop costs less than a
    recursive CTE's plan; `max_depth` bounds a walk through a cycle written before cycles were refused.
    """
    seen: set[int] = set()
    current: int | None = event_id
    while current is not None and current not in seen and len(seen) < max_depth:
        if current == candidate:
            return True
        seen.add(current)
        current = (await session.execute(select(Event.parent_id).where(Event.id == current))).scalar()
    return False


async def participants(session: AsyncSession, event_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(EventParticipant.role, Actor.id, Actor.slug, Actor.name, Actor.kind)
        .join(Actor, Actor.id == EventParticipant.actor_id)
        .where(EventParticipant.event_id == event_id)
        .order_by(EventParticipant.role, Actor.name)
    )
    return [
        {"actor": {"id": r.id, "slug": r.slug, "name": r.name, "kind": r.kind}, "role": r.role}
        for r in (await session.execute(stmt)).all()
    ]


async def articles(session: AsyncSession, event_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(Article.id, Article.title, Article.url, Article.published_at)
        .join(EventArticle, EventArticle.article_id == Article.id)
        .where(EventArticle.event_id == event_id)
        .order_by(Article.published_at, Article.id)
    )
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def article_ids(session: AsyncSession, event_id: int) -> list[int]:
    return [a["id"] for a in await articles(session, event_id)]


async def claims(session: AsyncSession, event_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(Claim.id, Claim.text, Claim.stance, Claim.said_on, Claim.speaker_id, Claim.article_id)
        .where(Claim.event_id == event_id)
        .order_by(Claim.id)
    )
    return [dict(r) for r in (await session.execute(stmt)).mappings().all()]


async def children(session: AsyncSession, event_id: int) -> list[int]:
    stmt = select(Event.id).where(Event.parent_id == event_id).order_by(Event.start_date, Event.id)
    return list((await session.execute(stmt)).scalars().all())


async def replace_participants(session: AsyncSession, event_id: int, rows: list[tuple[int, str]]) -> None:
    await session.execute(delete(EventParticipant).where(EventParticipant.event_id == event_id))
    unique = list(dict.fromkeys(rows))
    if unique:
        await session.execute(
            EventParticipant.__table__.insert(),
            [{"event_id": event_id, "actor_id": a, "role": r} for a, r in unique],
        )


async def replace_articles(session: AsyncSession, event_id: int, article_ids: list[int]) -> None:
    await session.execute(delete(EventArticle).where(EventArticle.event_id == event_id))
    ids = list(dict.fromkeys(article_ids))
    if ids:
        await session.execute(
            EventArticle.__table__.insert(), [{"event_id": event_id, "article_id": a} for a in ids]
        )


async def get_orm(session: AsyncSession, event_id: int) -> Event | None:
    return await session.get(Event, event_id)


async def delete_event(session: AsyncSession, event_id: int) -> None:
    await session.execute(delete(Event).where(Event.id == event_id))


async def external_id_taken(session: AsyncSession, source: str, external_id: str) -> bool:
    cond = (Event.source == source) & (Event.external_id == external_id)
    return bool((await session.execute(select(exists().where(cond)))).scalar())


def types_statement(root: str | None, q: str | None) -> Any:
    stmt = select(
        EventType.code,
        EventType.name,
        EventType.root_code,
        EventType.parent_code,
        EventType.quad_class,
        EventType.goldstein,
    )
    if root:
        stmt = stmt.where(EventType.root_code == root)
    if q:
        stmt = stmt.where(func.lower(EventType.name).contains(q.lower(), autoescape=True))
    return stmt
