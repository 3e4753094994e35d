"""/v1/changes (pull, long-poll) and /v1/changes/stream (Server-Sent Events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from ..auth import read_access
from ..db import DatabaseDep, SessionDep
from ..errors import ERROR_RESPONSES
from ..models import ChangeEntity
from ..params import MemberOf, actor_refs
from ..responses import JSON
from ..sse import EventStream
from . import service
from .filters import ChangeFilter
from .hub import ChangeHub
from .schemas import ChangePage

router = APIRouter(
    prefix="/v1/changes",
    tags=["changes"],
    responses={**ERROR_RESPONSES, 410: ERROR_RESPONSES[404] | {"description": "Gone"}},
)


async def get_hub(request: Request) -> ChangeHub:
    # async: a plain `def` dependency would run in the thread pool, and a burst of new streams would then
    # all be half-way through their requests at once (bench/changes.py: +25 MiB of peak memory kept).
    return request.app.state.changes  # type: ignore[no-any-return]


HubDep = Annotated[ChangeHub, Depends(get_hub)]


async def change_filter(
    session: SessionDep,
    member_of: MemberOf = None,
    entity: Annotated[list[ChangeEntity] | None, Query(description="Only changes of these entities.")] = None,
    actor: Annotated[
        list[str] | None,
        actor_refs(
            "Only changes concerning any of these actors (an article mentioning it, a relation "
            "or event involving it, a claim by or about it, the actor itself)."
        ),
    ] = None,
    source: Annotated[list[str] | None, Query(description="Only articles from these sources.")] = None,
) -> ChangeFilter:
    return await service.resolve_filter(
        session, entities=entity, actors=actor, member_of=member_of, sources=source
    )


FilterDep = Annotated[ChangeFilter, Depends(change_filter)]
After = Annotated[
    int | None, Query(ge=0, le=2**62, description="A position (`seq`): changes after it. Default: the start.")
]


@router.get("", response_model=ChangePage, dependencies=[read_access])
async def list_changes(
    session: SessionDep,
    hub: HubDep,
    flt: FilterDep,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Changes per page (1–1,000).")] = 100,
    wait: Annotated[
        float, Query(ge=0, le=30, description="Long-poll: wait up to this many seconds for a change.")
    ] = 0,
) -> Response:
    """Changes after a position, oldest first; `next_after` is where to continue (also when nothing
    matched: the positions scanned are skipped)."""
    page = await service.list_changes(session, hub, flt, after=after or 0, limit=limit, wait=wait)
    return JSON(page)


@router.get(
    "/stream",
    dependencies=[read_access],
    response_class=EventStream,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_changes(
    request: Request,
    session: SessionDep,
    db: DatabaseDep,
    hub: HubDep,
    flt: FilterDep,
    after: After = None,
    last_event_id: Annotated[
        str | None, Header(max_length=32, description="Resume after this seq (set by EventSource).")
    ] = None,
) -> EventStream:
    """Changes as Server-Sent Events (`id:` is the seq). From `after` / `Last-Event-ID`, else from now;
    a comment every 15 s (GEONEWS_CHANGES_HEARTBEAT) keeps proxies from closing the connection; a client
    that falls behind gets an `overflow` event with the position to resume from."""
    start = await service.stream_start(session, hub, after, last_event_id)
    return EventStream(
        await service.stream(db, hub, flt, start), heartbeat=request.app.state.settings.changes_heartbeat
    )
