"""/v1/actors/{actor}/network, /v1/actors/{actor}/timeline and /v1/graph/path."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from ..actors.dependencies import ActorDep
from ..auth import read_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES
from ..params import ActorRef, AsOf, Consistency, RelationTypes
from ..responses import JSON
from ..schemas import MAX_ID
from ..search.index import SearchDep, consistency_of
from . import service
from .schemas import Network, Path, Timeline

router = APIRouter(prefix="/v1/graph", tags=["graph"], responses=ERROR_RESPONSES)
actor_router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=ERROR_RESPONSES)


@actor_router.get("/{actor}/network", response_model=Network, dependencies=[read_access])
async def actor_network(
    request: Request,
    session: SessionDep,
    search: SearchDep,
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
    types: RelationTypes = None,
    consistency: Consistency = None,
) -> Response:
    """Co-mention and relation graph around the actor: an edge's `weight` counts the articles mentioning
    both, its `kinds` are the relation types between them. Each hop expands the strongest actors found by
    the previous one; the `limit` actors kept are those reached along the strongest edges."""
    result = await service.network(
        session,
        actor_id,
        depth=depth,
        since=since,
        until=until,
        min_weight=min_weight,
        limit=limit,
        as_of=as_of,
        types=types,
        index=search,
        consistency=consistency_of(request, consistency),
    )
    return JSON(result)


@actor_router.get("/{actor}/timeline", response_model=Timeline, dependencies=[read_access])
async def actor_timeline(
    request: Request,
    session: SessionDep,
    search: SearchDep,
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
    consistency: Consistency = None,
) -> Response:
    """Articles mentioning the actor per day, week or month, empty buckets included (at most 1,000)."""
    result = await service.timeline(
        session,
        actor_id,
        interval=interval,
        start=from_,
        end=to,
        with_=with_,
        event_type=event_type,
        index=search,
        consistency=consistency_of(request, consistency),
    )
    return JSON(result)


@router.get("/path", response_model=Path, dependencies=[read_access])
async def graph_path(
    session: SessionDep,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=255, description="Actor id or slug.")],
    to: ActorRef,
    types: RelationTypes = None,
    as_of: AsOf = None,
    max_depth: Annotated[int, Query(ge=1, le=6, description="At most this many relations (1–6).")] = 4,
) -> Response:
    """The shortest chain of relations between two actors, followed in either direction; each edge keeps
    its true direction (`source` is the relation's subject). Empty when there is none within `max_depth`."""
    result = await service.path_between(session, from_, to, max_depth=max_depth, as_of=as_of, types=types)
    return JSON(result)
