"""/v1/stories and /v1/stories/{id}: articles grouped by story as they arrive."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from ..auth import read_access
from ..db import SessionDep
from ..errors import ERROR_RESPONSES, NotFound
from ..pagination import Page, PageDep, list_response
from ..params import After, Before, Format, IdPath, MemberOf, actor_refs
from ..responses import JSON
from . import service
from .schemas import StoryRead, StorySummary

router = APIRouter(prefix="/v1/stories", tags=["stories"], responses=ERROR_RESPONSES)


@router.get(
    "",
    response_model=Page[StorySummary],
    dependencies=[read_access],
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def list_stories(
    request: Request,
    session: SessionDep,
    page: PageDep,
    fmt: Format,
    member_of: MemberOf = None,
    actor: Annotated[
        list[str] | None, actor_refs("Stories with an article mentioning any of these actors (id or slug).")
    ] = None,
    published_after: Annotated[
        After, Query(description="Stories whose latest article is at or after this time (inclusive).")
    ] = None,
    published_before: Annotated[
        Before, Query(description="Stories whose earliest article is before this time (exclusive).")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=500, description="Words the story's title contains (all).")
    ] = None,
    min_articles: Annotated[
        int | None, Query(ge=1, le=1_000_000, description="Only stories with at least this many articles.")
    ] = None,
    sort: Annotated[
        Literal["recency", "size"],
        Query(description="`recency`: latest article first (-last_seen); `size`: most articles first."),
    ] = "recency",
) -> Response:
    filters = service.StoryFilters(
        actors=actor,
        member_of=member_of,
        published_after=published_after,
        published_before=published_before,
        q=q,
        min_articles=min_articles,
    )
    return list_response(request, await service.list_stories(session, page, filters, sort, fmt))


@router.get(
    "/{story_id}",
    response_model=StoryRead,
    dependencies=[read_access],
    responses={308: {"description": "The story was merged into another: Location names it."}},
)
async def get_story(request: Request, session: SessionDep, story_id: IdPath, page: PageDep) -> Response:
    """The story with its articles in time order (oldest first, paged); a merged story redirects (308) to
    the story it was merged into."""
    out = await service.get_story(session, story_id, page)
    if out is None:
        raise NotFound(f"No story {story_id}.")
    if isinstance(out, service.Moved):
        target = request.url.replace(path=f"/v1/stories/{out.to}")
        location = target.path + (f"?{target.query}" if target.query else "")
        return RedirectResponse(location, status_code=308)
    return JSON(out)
