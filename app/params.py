"""Query and path parameters that more than one router takes, declared once.

Routers use these aliases so that the same parameter has the same name, constraints and description on
every route (and in /openapi.json). They only declare shapes: turning an actor reference into an id, or
a type name into codes, is a service's job (an unknown reference is then a 400 that names the parameter).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request

from .schemas import MAX_ID, TypeName

# -- ids ------------------------------------------------------------------------------------------------

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def id_query(description: str | None = None) -> Any:
    """An optional integer id in the query string (`Annotated[int | None, id_query("…")] = None`)."""
    return Query(ge=1, le=MAX_ID, description=description)


# -- actors -----------------------------------------------------------------------------------------------

ActorPath = Annotated[str, Path(description="Actor id or slug", max_length=255)]
ActorRef = Annotated[str, Query(min_length=1, max_length=255, description="Actor id or slug.")]


def actor_refs(description: str) -> Any:
    """A repeatable actor filter (ids or slugs): `Annotated[list[str] | None, actor_refs("…")] = None`."""
    return Query(description=description)


def actor_ref(description: str | None = None) -> Any:
    """One optional actor (id or slug): `Annotated[str | None, actor_ref("…")] = None`."""
    return Query(max_length=255, description=description)


MemberOf = Annotated[
    str | None,
    Query(
        max_length=255,
        description="An alliance or organisation (id or slug): only items about it or about an actor "
        "that was its member on the item's date (an article's publication day in UTC, an event's start).",
    ),
]

# -- time ---------------------------------------------------------------------------------------------------

AsOfToday = Annotated[
    date | None, Query(description="Evaluate time-bounded relations on this date (default today).")
]
AsOf = Annotated[date | None, Query(description="Only relations that hold on this date (default: any).")]
RelationTypes = Annotated[
    list[TypeName] | None, Query(description="Only relations of these types (repeatable; default: all).")
]
After = Annotated[datetime | date | None, Query(description="Inclusive.")]
Before = Annotated[datetime | date | None, Query(description="Exclusive.")]
DateAfter = Annotated[date | None, Query(description="Inclusive.")]
DateBefore = Annotated[date | None, Query(description="Exclusive.")]

Consistency = Annotated[
    Literal["eventual", "strong"] | None,
    Query(
        description="`eventual` (default): the search index as it is, about a second behind writes; "
        "`strong`: every change committed before this request is seen (waits up to "
        "GEONEWS_SEARCH_STRONG_WAIT_S for the index, else the database answers)."
    ),
]

# -- list output --------------------------------------------------------------------------------------------

FORMATS = ("json", "ndjson", "csv")
ListFormat = Literal["json", "ndjson", "csv"]
NDJSON = "application/x-ndjson"


async def list_format(
    request: Request,
    format: Annotated[
        ListFormat | None,
        Query(description="json (paged, default), ndjson or csv (every match, streamed)."),
    ] = None,
) -> str:
    """The list's output: `format=`, else the Accept header (NDJSON or CSV stream every match)."""
    if format is not None:
        return format
    return format_of_accept(request.headers.get("accept", ""))


def format_of_accept(accept: str, geo: bool = False) -> str:
    """The list format an Accept header asks for when `format=` is absent (`geo`: GeoJSON too, for the
    lists that have places). app/articles/fastpath.py answers only what this calls json."""
    if geo and GEOJSON in accept:
        return "geojson"
    if NDJSON in accept or "application/ndjson" in accept:
        return "ndjson"
    if "text/csv" in accept and "application/json" not in accept:
        return "csv"
    return "json"


Format = Annotated[str, Depends(list_format)]

GEOJSON = "application/geo+json"


async def geo_list_format(
    request: Request,
    format: Annotated[
        Literal["json", "ndjson", "csv", "geojson"] | None,
        Query(
            description="json (paged, default), ndjson, csv or geojson (every match, streamed; geojson: a "
            "FeatureCollection of points)."
        ),
    ] = None,
) -> str:
    """`format=` of the lists that have places (articles, events): the list formats and GeoJSON."""
    if format is not None:
        return format
    return format_of_accept(request.headers.get("accept", ""), geo=True)


GeoFormat = Annotated[str, Depends(geo_list_format)]
