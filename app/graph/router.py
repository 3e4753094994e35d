from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from ..actors import repository as actors_repo
from ..actors.dependencies import ActorDep
from ..actors.service import filter_id
from ..auth import read_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES, BadRequest, NotFound
from ..events import service as events_service
from ..models import to_utc_naive
from ..responses import JSON
from ..schemas import MAX_ID, TypeName
from . import service
from .schemas import Network, Path, Timeline

router = APIRouter(prefix="/v1/graph", tags=["graph"], responses=ERROR_RESPONSES)
actor_router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=ERROR_RESPONSES)

Types = Annotated[
    list[TypeName] | None, Query(description="Only relations of these types (repeatable; default all).")
]
AsOf = Annotated[date | None, Query(description="Only relations that hold on this date (default: any).")]
ActorRefQuery = Annotated[str, Query(min_length=1, max_length=255, description="Actor id or slug.")]


async def member_of_param(
    session: SessionDep,
    member_of: Annotated[
        str | None,
        Query(
            max_length=255,
            description="An alliance or organisation (id or slug): only items about it or about an actor "
            "that was its member on the item's date (an article's publication day in UTC, an event's start).",
        ),
    ] = None,
) -> int | None:
    """The `member_of` filter of GET /v1/articles and /v1/events; an unknown actor is a 400."""
    return await filter_id(session, member_of, "member_of")


MemberOfDep = Annotated[int | None, Depends(member_of_param)]


@actor_router.get("/{actor}/network", response_model=Network, dependencies=[read_access])
async def actor_network(
    session: SessionDep,
    actor_id: ActorDep,
    depth: Annotated[int, Query(ge=1, le=3, description="Hops from the actor (1–3).")] = 1,
    since: Annotated[
        datetime | date | None, Query(description="Count co-mentions in articles published from (inclusive).")
    ] = None,
    until: Annotated[datetime | date | None, Query(description="… and before (exclusive).")] = None,
    min_weight: Annotated[
        int, Query(ge=1, le=MAX_ID, description="Drop co-mention edges with fewer articles (not relations).")
    ] = 1,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many actors (1–500).")] = 50,
    as_of: AsOf = None,
    types: Types = None,
) -> Response:
    """Co-mention and relation graph around the actor: an edge's `weight` counts the articles mentioning
    both, its `kinds` are the relation types between them. Each hop expands the strongest actors found by
    the previous one; the `limit` actors kept are those reached along the strongest edges."""
    start = to_utc_naive(since) if since is not None else None
    end = to_utc_naive(until) if until is not None else None
    if start is not None and end is not None and start >= end:
        raise BadRequest(
            "`since` must be before `until`.", errors=[{"loc": ["query", "since"], "msg": "not before until"}]
        )
    result = await service.network(
        session,
        actor_id,
        depth=depth,
        since=start,
        until=end,
        min_weight=min_weight,
        limit=limit,
        as_of=as_of,
        types=types,
    )
    return JSON(result)


@actor_router.get("/{actor}/timeline", response_model=Timeline, dependencies=[read_access])
async def actor_timeline(
    session: SessionDep,
    actor_id: ActorDep,
    interval: Annotated[Literal["day", "week", "month"], Query(description="Weeks start on Monday.")] = "day",
    from_: Annotated[
        date | None, Query(alias="from", description="First day counted (default: `to` minus 12 intervals).")
    ] = None,
    to: Annotated[
        date | None, Query(description="Last day counted, inclusive (default: today, UTC).")
    ] = None,
    with_: Annotated[
        str | None,
        Query(alias="with", max_length=255, description="Another actor: count only both together."),
    ] = None,
    event_type: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=255,
            description="Count events of this CAMEO code or name (a root code matches its children) that "
            "the actor takes part in, by start date, instead of articles.",
        ),
    ] = None,
) -> Response:
    """Articles mentioning the actor per day, week or month, empty buckets included (at most 1,000)."""
    with_id = await filter_id(session, with_, "with")
    codes = await events_service.filter_types(session, [event_type] if event_type else None, "event_type")
    type_code = codes[0] if codes else None
    result = await service.timeline(
        session, actor_id, interval=interval, start=from_, end=to, with_id=with_id, type_code=type_code
    )
    return JSON(result)


@router.get("/path", response_model=Path, dependencies=[read_access])
async def graph_path(
    session: SessionDep,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=255, description="Actor id or slug.")],
    to: ActorRefQuery,
    types: Types = None,
    as_of: AsOf = None,
    max_depth: Annotated[int, Query(ge=1, le=6, description="At most this many relations (1–6).")] = 4,
) -> Response:
    """The shortest chain of relations between two actors, followed in either direction; each edge keeps
    its true direction (`source` is the relation's subject). Empty when there is none within `max_depth`."""
    ids = await actors_repo.resolve_refs(session, [from_, to])
    for ref in (from_, to):
        if str(ref) not in ids:
            raise NotFound(f"No actor with id or slug {ref!r}.")
    result = await service.shortest_path(
        session, ids[from_], ids[to], max_depth=max_depth, as_of=as_of, types=types
    )
    return JSON(result)
