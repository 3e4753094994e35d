"""The explorer's pages: server-rendered from the public API, enhanced in the browser by small ES modules.

Every page is complete HTML without JavaScript (lists, highlighted text, facet links, forms with GET
actions, a Gantt chart of memberships as SVG); the scripts add autocomplete, "more" without a reload,
the charts, the map, the network graph and the live strip. The URL holds the whole state of a page.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from . import render
from .client import Api, ApiError, has_route

HERE = Path(__file__).resolve().parent
router = APIRouter(include_in_schema=False)

FACETS = "source,actor,language,actor_kind"
STREAM_PATH = "/v1/changes/stream"
ACTOR_KINDS = ("country", "person", "organization", "alliance", "government_body", "armed_group", "media")
STANCES = ("asserts", "suggests", "doubts", "denies")
TAXONOMY_TTL = 300.0


def _json(value: Any) -> Markup:
    """JSON for a <script type="application/json"> block ('</' cannot close the element)."""
    return Markup(orjson.dumps(value).decode().replace("</", "<\\/"))


@lru_cache(maxsize=1)
def templates() -> Any:
    """The Jinja2 environment, made on the first page rendered: an API-only worker never imports Jinja2."""
    from fastapi.templating import Jinja2Templates

    from . import static_url

    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals.update(
        snippet=render.snippet,
        when=render.when,
        static=static_url,
        kinds=ACTOR_KINDS,
        quad_classes=render.QUAD_CLASSES,
        stances=STANCES,
    )
    t.env.filters["json"] = _json
    # In an attribute: a plain string, so the template escapes its quotes.
    t.env.filters["jsonattr"] = lambda value: orjson.dumps(value).decode()
    return t


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates().TemplateResponse(request, name, context, status_code=status)


def problem_page(request: Request, error: ApiError) -> HTMLResponse:
    status = error.status if 400 <= error.status < 500 else 502
    return page(request, "error.html", status=status, error=error, title=f"{error.status}")


async def _resolve_actor(api: Api, value: str) -> dict[str, Any]:
    """A picked actor for a chip: its name, or suggestions when the value is no known id or slug."""
    found = await api.maybe(f"/v1/actors/{value}")
    if found is not None:
        return {"value": value, "actor": found, "suggestions": []}
    try:
        suggestions = (await api.get("/v1/actors", {"q": value, "limit": 5}))["items"]
    except ApiError:
        suggestions = []
    return {"value": value, "actor": None, "suggestions": suggestions}


@router.get("/", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    api = Api(request.app, request)
    params = request.query_params
    state = render.State({k: params.getlist(k) for k in (*render.State.MULTI, *render.State.SINGLE)})
    cursor = params.get("cursor") or None
    # fragment=results: the next page's items for "More results"; fragment=facets: the facet counts,
    # which a browser with JavaScript loads after the page (they cost seconds over a large match, the
    # results a few milliseconds); facets=1 puts them in the page for a browser without it.
    fragment = params.get("fragment")
    with_facets = fragment == "facets" or (params.get("facets") == "1" and not cursor)

    picked = state.values["actor"] + state.values["member_of"]
    resolved = dict(zip(picked, await asyncio.gather(*(_resolve_actor(api, v) for v in picked)), strict=True))
    unknown = [r for r in resolved.values() if r["actor"] is None]
    for r in unknown:
        key = "actor" if r["value"] in state.values["actor"] else "member_of"
        for s in r["suggestions"]:
            s["href"] = state.swap(key, r["value"], s["slug"])
    query = {k: v for k, v in state.api_params.items()}
    for key in ("actor", "member_of"):
        if key in query:
            query[key] = [v for v in query[key] if resolved[v]["actor"] is not None]
    if query.get("sort") == "relevance" and not query.get("q"):
        query.pop("sort")
    query["limit"] = 1 if fragment == "facets" else 20
    if cursor and fragment != "facets":
        query["cursor"] = cursor
    if with_facets:
        query["facets"] = FACETS

    error: ApiError | None = None
    results: dict[str, Any] = {"items": [], "next_cursor": None}
    streaming = False
    try:
        results, streaming = await asyncio.gather(api.get("/v1/articles", query), has_route(api, STREAM_PATH))
    except ApiError as e:
        error = e

    more = state.href(cursor=results["next_cursor"]) if results.get("next_cursor") else None
    if fragment == "facets":
        return page(request, "_facets.html", state=state, facets=results.get("facets") or {})
    if fragment:
        return page(request, "_results.html", state=state, results=results, more=more)
    live = None
    if streaming:
        live_filters = {
            "entity": "article",
            "actor": query.get("actor"),
            "member_of": query.get("member_of"),
            "source": state.values["source"],
        }
        live = f"{STREAM_PATH}?{render.query(live_filters)}"
    return page(
        request,
        "search.html",
        status=error.status if error and error.status < 500 else 200,
        title=f"“{state.get('q')}” – search" if state.get("q") else "Search",
        state=state,
        results=results,
        facets=results.get("facets") or {},
        resolved=resolved,
        unknown=unknown,
        error=error,
        more=more,
        cursor=cursor,
        live=live,
        live_ignores=[k for k in ("q", "language", "actor_kind") if state.values[k]],
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
async def article(request: Request, article_id: int) -> Response:
    api = Api(request.app, request)
    try:
        doc = await api.get(f"/v1/articles/{article_id}")
    except ApiError as e:
        return problem_page(request, e)
    duplicate = await api.maybe(f"/v1/articles/{doc['duplicate_of']}") if doc.get("duplicate_of") else None
    actors: dict[str, dict[str, Any]] = {}
    for m in doc.get("mentions", []):
        entry = actors.setdefault(m["actor"]["slug"], {**m["actor"], "count": 0})
        entry["count"] += 1
    return page(
        request,
        "article.html",
        title=doc["title"],
        article=doc,
        body=render.highlight(doc.get("body") or "", doc.get("mentions", [])),
        actors=sorted(actors.values(), key=lambda a: (-a["count"], a["name"])),
        duplicate=duplicate,
    )


async def _timeline(api: Api, slug: str, other: str | None) -> dict[str, Any] | None:
    """The actor's mention counts over the span of its articles (with the other actor's and the pair's)."""
    oldest, newest = await asyncio.gather(
        api.get("/v1/articles", {"actor": slug, "sort": "published_at", "limit": 1}),
        api.get("/v1/articles", {"actor": slug, "limit": 1}),
    )
    if not oldest["items"]:
        return None
    first = date.fromisoformat(oldest["items"][0]["published_at"][:10])
    last = date.fromisoformat(newest["items"][0]["published_at"][:10])
    if (last - first).days < 14:
        first, last = first - timedelta(days=7), last + timedelta(days=7)
    interval = render.pick_interval(first, last)
    window = {"interval": interval, "from": first.isoformat(), "to": last.isoformat()}
    calls = [api.get(f"/v1/actors/{slug}/timeline", window)]
    if other:
        calls.append(api.get(f"/v1/actors/{other}/timeline", window))
        calls.append(api.get(f"/v1/actors/{slug}/timeline", {**window, "with": other}))
    series = await asyncio.gather(*calls)
    return {
        **window,
        "starts": [b["start"] for b in series[0]["items"]],
        "series": [[b["count"] for b in s["items"]] for s in series],
    }


@router.get("/actors/{actor}", response_class=HTMLResponse)
async def actor(request: Request, actor: str) -> Response:
    api = Api(request.app, request)
    params = request.query_params
    as_of = render.parse_date(params.get("as_of")) or date.today()
    depth = 2 if params.get("depth") == "2" else 1
    other_value = (params.get("with") or "").strip() or None
    try:
        doc = await api.get(f"/v1/actors/{actor}", {"as_of": as_of.isoformat()})
        slug = doc["slug"]
        other = await api.maybe(f"/v1/actors/{other_value}") if other_value else None
        articles, events, network, timeline = await asyncio.gather(
            api.get("/v1/articles", {"actor": slug, "limit": 10}),
            api.get("/v1/events", {"actor": slug, "limit": 10}),
            api.get(f"/v1/actors/{slug}/network", {"depth": depth, "limit": 40}),
            _timeline(api, slug, other["slug"] if other else None),
        )
        if timeline is not None:
            timeline["names"] = [doc["name"]] + (
                [other["name"], f"{doc['name']} & {other['name']}"] if other else []
            )
    except ApiError as e:
        return problem_page(request, e)
    spans = [
        {
            "name": f"{r.get('title') or r['type'].replace('_', ' ')} – {r['actor']['name']}",
            "href": f"/actors/{r['actor']['slug']}",
            "from": r.get("valid_from"),
            "to": r.get("valid_to"),
        }
        for key in ("positions", "memberships", "former_positions", "former_memberships")
        for r in doc.get(key) or []
    ]
    neighbours = {n["id"]: n for n in network["nodes"]}
    weights: dict[int, int] = {}
    for edge in network["edges"]:
        for end in (edge["source"], edge["target"]):
            if end != doc["id"]:
                weights[end] = weights.get(end, 0) + edge["weight"]
    return page(
        request,
        "actor.html",
        title=doc["name"],
        actor=doc,
        as_of=as_of.isoformat(),
        depth=depth,
        other=other,
        other_value=other_value,
        articles=articles,
        events=events,
        network=network,
        ranked=sorted(
            (neighbours[i] | {"weight": w} for i, w in weights.items() if i in neighbours),
            key=lambda n: (-n["weight"], n["name"]),
        ),
        timeline=timeline,
        spans=render.spans_svg(spans, as_of, label=f"Positions and memberships of {doc['name']}"),
        span_rows=spans,
    )


@router.get("/alliances/{actor}", response_class=HTMLResponse)
async def alliance(request: Request, actor: str) -> Response:
    api = Api(request.app, request)
    as_of = render.parse_date(request.query_params.get("as_of")) or date.today()
    try:
        doc = await api.get(f"/v1/actors/{actor}", {"as_of": as_of.isoformat()})
        slug = doc["slug"]
        members, history = await asyncio.gather(
            api.all(f"/v1/actors/{slug}/members", {"as_of": as_of.isoformat()}, cap=1000),
            api.all("/v1/relations", {"object": slug, "type": "member_of"}, cap=2000),
        )
    except ApiError as e:
        return problem_page(request, e)
    changes = []
    for r in history:
        subject = r["subject"]
        if r.get("valid_from"):
            changes.append({"date": r["valid_from"], "change": "joined", "actor": subject})
        if r.get("valid_to"):
            changes.append({"date": r["valid_to"], "change": "left", "actor": subject})
    changes.sort(key=lambda c: (c["date"], c["actor"]["name"]))
    history.sort(key=lambda r: (r.get("valid_from") or "", r["subject"]["name"]))
    spans = [
        {
            "name": r["subject"]["name"],
            "href": f"/actors/{r['subject']['slug']}",
            "from": r.get("valid_from"),
            "to": r.get("valid_to"),
        }
        for r in history
    ]
    first = min((c["date"] for c in changes), default=as_of.isoformat())
    return page(
        request,
        "alliance.html",
        title=f"{doc['name']}: members",
        actor=doc,
        as_of=as_of.isoformat(),
        members=sorted(members, key=lambda m: m["actor"]["name"]),
        changes=changes,
        first=first,
        today=date.today().isoformat(),
        spans=render.spans_svg(spans, as_of, label=f"Membership of {doc['name']} over time")
        if len(spans) <= 60
        else None,
    )


async def _taxonomy(api: Api) -> list[dict[str, Any]]:
    """The CAMEO event types (they change only with a migration: kept five minutes)."""
    cached = getattr(api.client, "_geonews_types", None)
    if cached and time.monotonic() - cached[0] < TAXONOMY_TTL:
        return list(cached[1])
    types = await api.all("/v1/event-types", cap=5000)
    api.client._geonews_types = (time.monotonic(), types)  # type: ignore[attr-defined]
    return list(types)


EVENT_FILTERS = ("type", "start_after", "start_before", "source", "actor", "q")


@router.get("/events", response_class=HTMLResponse)
async def events(request: Request) -> Response:
    api = Api(request.app, request)
    params = request.query_params
    filters = {k: (params.get(k) or "").strip() for k in EVENT_FILTERS}
    query: dict[str, Any] = {k: v for k, v in filters.items() if v}
    cursor = params.get("cursor") or None
    error: ApiError | None = None
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    types = await _taxonomy(api)
    try:
        listing = await api.get("/v1/events", {**query, "limit": 50, "cursor": cursor})
    except ApiError as e:
        error = e
    roots = [t for t in types if not t.get("parent_code")]
    quad = {t["code"]: t.get("quad_class") for t in types}
    more = (
        f"/events?{render.query({**query, 'cursor': listing['next_cursor']})}"
        if listing.get("next_cursor")
        else None
    )
    return page(
        request,
        "events.html",
        status=error.status if error and error.status < 500 else 200,
        title="Events",
        filters=filters,
        query=query,
        roots=roots,
        quad=quad,
        listing=listing,
        error=error,
        more=more,
        cursor=cursor,
        first_page=f"/events?{render.query(query)}",
        without_actor=f"/events?{render.query({k: v for k, v in query.items() if k != 'actor'})}",
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
async def event(request: Request, event_id: int) -> Response:
    api = Api(request.app, request)
    try:
        doc = await api.get(f"/v1/events/{event_id}")
    except ApiError as e:
        return problem_page(request, e)
    return page(request, "event.html", title=doc["title"], event=doc)


@router.get("/propositions", response_class=HTMLResponse)
async def propositions(request: Request) -> Response:
    api = Api(request.app, request)
    try:
        items = await api.all("/v1/propositions", cap=1000)
    except ApiError as e:
        return problem_page(request, e)
    return page(request, "propositions.html", title="Propositions", propositions=items)


@router.get("/propositions/{proposition_id}", response_class=HTMLResponse)
async def proposition(request: Request, proposition_id: int) -> Response:
    api = Api(request.app, request)
    try:
        doc = await api.get(f"/v1/propositions/{proposition_id}")
    except ApiError as e:
        return problem_page(request, e)
    for claims in (doc.get("by_stance") or {}).values():
        claims.sort(key=lambda c: (c.get("said_on") or "", c["id"]))
    speakers: dict[str, dict[str, Any]] = {}
    for c in doc.get("claims", []):
        s = speakers.setdefault(c["speaker"]["slug"], {**c["speaker"], "stances": []})
        s["stances"].append(c["stance"])
    return page(
        request,
        "proposition.html",
        title=doc["text"],
        proposition=doc,
        speakers=sorted(speakers.values(), key=lambda s: s["name"]),
    )
