"""Rules for events: the type must be in the taxonomy, participants and articles must exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import outbox
from ..actors.service import body_actor_ids, filter_id, filter_ids
from ..articles import repository as articles_repo
from ..errors import BadRequest, Conflict, Unprocessable, still_there
from ..geo import Area
from ..models import Event
from ..pagination import Export, PageParams, PageResult, keyset_page
from ..places import service as places_service
from . import repository
from .schemas import EventCreate, EventUpdate, ParticipantIn


async def resolve_type(session: AsyncSession, ref: str, *, loc: list[str | int]) -> str:
    codes = await repository.type_codes(session, ref)
    if not codes:
        raise Unprocessable(
            f"Unknown event type {ref!r}.",
            errors=[{"loc": loc, "msg": "not a CAMEO code or name; see GET /v1/event-types"}],
        )
    return codes[0]


async def filter_types(
    session: AsyncSession, refs: list[str] | None, param: str = "type"
) -> list[str] | None:
    if not refs:
        return None
    codes: list[str] = []
    for ref in refs:
        found = await repository.type_codes(session, ref)
        if not found:
            raise BadRequest(
                f"Unknown event type {ref!r}.",
                errors=[{"loc": ["query", param], "msg": "unknown event type"}],
            )
        codes.extend(found)
    return codes


async def _participants(session: AsyncSession, items: list[ParticipantIn]) -> list[tuple[int, str]]:
    refs: list[tuple[list[str | int], Any]] = [
        (["body", "participants", i, "actor"], p.actor) for i, p in enumerate(items)
    ]
    ids = await body_actor_ids(session, refs, "Unknown participant.")
    return list(zip(ids, (p.role for p in items), strict=True))


async def _check_refs(session: AsyncSession, articles: list[int] | None, parent_id: int | None) -> None:
    if articles:
        missing = set(articles) - await articles_repo.existing_ids(session, articles)
        if missing:
            raise Unprocessable(
                "Unknown article.",
                errors=[{"loc": ["body", "articles"], "msg": f"unknown ids {sorted(missing)}"}],
            )
    if parent_id is not None and not await repository.exists_id(session, parent_id):
        raise Unprocessable(
            "Unknown parent event.", errors=[{"loc": ["body", "parent_id"], "msg": "unknown"}]
        )


EXPORT_COLUMNS = (
    "id",
    "type",
    "type_name",
    "title",
    "start_date",
    "end_date",
    "status",
    "source",
    "external_id",
    "location",
)


async def list_events(
    session: AsyncSession,
    page: PageParams,
    fmt: str = "json",
    *,
    types: list[str] | None = None,
    actors: list[str] | None = None,
    member_of: str | None = None,
    country: str | None = None,
    start_after: date | None = None,
    start_before: date | None = None,
    statuses: Sequence[str] | None = None,
    sources: list[str] | None = None,
    q: str | None = None,
    area: Area | None = None,
) -> PageResult | Export:
    """Events by type (a root code matches its children), participant, membership on the start date,
    place, date, status, source and words; newest start first."""
    filters: dict[str, Any] = {
        "type_codes": await filter_types(session, types),
        "actor_ids": await filter_ids(session, actors, "actor"),
        "country": country,
        "start_after": start_after,
        "start_before": start_before,
        "statuses": statuses,
        "sources": sources,
        "q": q,
    }
    org_id = await filter_id(session, member_of, "member_of")
    conds = repository.filter_conditions(**filters)
    if org_id is not None:
        conds.append(repository.member_of_condition(org_id))
    if area is not None:
        conds.append(repository.area_condition(area, await places_service.ids_within(session, area)))
        filters["area"] = area.as_filter()
    stmt = repository.list_statement(conds)
    if fmt != "json":
        point = point_of if fmt == "geojson" else None
        return Export(stmt, repository.SORT, fmt, EXPORT_COLUMNS, repository.summary, "events", point)

    async def render(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [repository.summary(r) for r in rows]

    return await keyset_page(session, stmt, repository.SORT, page, {**filters, "member_of": org_id}, render)


def point_of(item: dict[str, Any]) -> tuple[float, float] | None:
    """(lon, lat) of an event, its own or inherited."""
    loc = item.get("location")
    if loc and loc["lat"] is not None and loc["lon"] is not None:
        return (loc["lon"], loc["lat"])
    return None


async def list_event_types(
    session: AsyncSession, page: PageParams, *, root: str | None = None, q: str | None = None
) -> PageResult:
    stmt = repository.types_statement(root, q)
    return await keyset_page(session, stmt, repository.TYPE_SORT, page, {"root": root, "q": q})


async def create_event(session: AsyncSession, data: EventCreate) -> dict[str, Any]:
    code = await resolve_type(session, data.type, loc=["body", "type"])
    participants = await _participants(session, data.participants)
    await _check_refs(session, data.articles, data.parent_id)
    if data.external_id and await repository.external_id_taken(session, data.source, data.external_id):
        raise Conflict(f"An event from {data.source!r} with external_id {data.external_id!r} exists.")
    loc = data.location
    event = Event(
        type_code=code,
        title=data.title,
        description=data.description,
        start_date=data.start_date,
        end_date=data.end_date,
        location_name=loc.name if loc else None,
        location_country=loc.country if loc else None,
        lat=loc.lat if loc else None,
        lon=loc.lon if loc else None,
        status=data.status,
        parent_id=data.parent_id,
        source=data.source,
        external_id=data.external_id,
        attributes=data.attributes,
    )
    event.place_id = await _inherited_place(session, event, data.articles)
    session.add(event)
    await session.flush()
    await repository.replace_participants(session, event.id, participants)
    await repository.replace_articles(session, event.id, data.articles)
    out = await get_event(session, event.id)
    _record(session, "created", out)
    return out


async def update_event(session: AsyncSession, event_id: int, data: EventUpdate) -> dict[str, Any]:
    event = still_there(await repository.get_orm(session, event_id), f"Event {event_id}")
    changes = data.model_dump(exclude_unset=True)
    if data.type is not None:
        event.type_code = await resolve_type(session, data.type, loc=["body", "type"])
    for field in ("title", "description", "start_date", "end_date", "status", "attributes"):
        if field in changes and (
            changes[field] is not None or field in ("description", "end_date", "attributes")
        ):
            setattr(event, field, changes[field])
    if "location" in changes:
        loc = data.location
        event.location_name = loc.name if loc else None
        event.location_country = loc.country if loc else None
        event.lat = loc.lat if loc else None
        event.lon = loc.lon if loc else None
    if "parent_id" in changes:
        if data.parent_id == event_id:
            raise Unprocessable(
                "An event cannot be its own parent.",
                errors=[{"loc": ["body", "parent_id"], "msg": "the event itself"}],
            )
        await _check_refs(session, None, data.parent_id)
        if data.parent_id is not None:
            await repository.lock_tree(session)
            if await repository.is_ancestor(session, event_id, data.parent_id):
                raise Unprocessable(
                    f"Event {data.parent_id} is below this event: making it the parent would close a cycle.",
                    errors=[{"loc": ["body", "parent_id"], "msg": "a descendant of the event"}],
                )
        event.parent_id = data.parent_id
    if event.end_date and event.end_date < event.start_date:
        raise Unprocessable("end_date must not be before start_date.")
    if data.participants is not None:
        await repository.replace_participants(
            session, event_id, await _participants(session, data.participants)
        )
    if data.articles is not None:
        await _check_refs(session, data.articles, None)
        await repository.replace_articles(session, event_id, data.articles)
    if "location" in changes or data.articles is not None:
        article_ids = (
            data.articles if data.articles is not None else await repository.article_ids(session, event_id)
        )
        event.place_id = await _inherited_place(session, event, article_ids)
    await session.flush()
    out = await get_event(session, event_id)
    _record(session, "updated", out)
    return out


async def _inherited_place(session: AsyncSession, event: Event, article_ids: list[int]) -> str | None:
    """At write: an event without coordinates takes the main place of its first article that names one."""
    if event.lat is not None and event.lon is not None:
        return None
    return await places_service.main_place_of(session, article_ids)


async def delete_event(session: AsyncSession, event_id: int) -> None:
    out = await get_event(session, event_id)
    await repository.delete_event(session, event_id)
    _record(session, "deleted", out)


async def get_event(session: AsyncSession, event_id: int) -> dict[str, Any]:
    out = await repository.get(session, event_id)
    assert out is not None
    out["participants"] = await repository.participants(session, event_id)
    out["articles"] = await repository.articles(session, event_id)
    out["claims"] = await repository.claims(session, event_id)
    out["children"] = await repository.children(session, event_id)
    return out


def _record(session: AsyncSession, op: str, event: dict[str, Any]) -> None:
    data = {k: event.get(k) for k in ("type", "title", "start_date", "status", "source")}
    actor_ids = [p["actor"]["id"] for p in event.get("participants", [])]
    outbox.record(session, "event", op, event["id"], data, actor_ids=actor_ids)
