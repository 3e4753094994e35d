"""The two most frequent reads without the framework's per-request work: an article by id, and a page of
articles filtered by source, language and dates (SQLite).

Installed innermost (inside request ids, metrics, CORS, HEAD, rate limits, the edge checks and ETags, so
all of them still apply), it answers when reads need no key:

- `GET /v1/articles/<digits>` of a stored article: the one-statement detail (on SQLite on a pooled
  connection without a session), orjson: the bytes `get_article` sends;
- `GET /v1/articles` with only `source`, `language`, `published_after`, `published_before`, `limit`,
  `cursor` and a date `sort`, on SQLite: `service.sqlite_page`, the statement, rows and cursor the route
  gets from the planner, sent by the route's own `list_response`;
- `GET /v1/articles` that the search index answers, with `q`, `actor`, `member_of` or `facets` besides
  those (and any `sort`, `consistency`), on either engine: the route's own call, `service.list_articles`
  on a session, sent by `list_response`. A problem the service raises (a bad query, an unknown actor, a
  search past its deadline) is answered as the app's handler answers it (`errors.app_error_response`).

Everything else goes on to the app, which answers as it always does: another parameter, a value the
route would refuse or read differently (blank, repeated, too long, out of range, a number for a date),
a bad cursor, a missing article, a database fault, keys required for reads. It saves FastAPI's routing
over every route, the solving of the list route's twenty parameters and dependencies (the app-wide ones
included: a new one must be mirrored here) and its exception scaffolding, and for the plain page a
Session: most of such a request's time on the event loop (a search by actor at 1M: ~30 % of the
server's CPU a request, bench/cpu.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import parse_qsl

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import AppError, app_error_response
from ..pagination import MAX_LIMIT, PageParams, list_response
from ..params import format_of_accept
from ..responses import dumps
from ..schemas import is_numeric
from ..search.index import consistency_of
from . import service
from .schemas import FACETS_PATTERN

_DETAIL_PATH = re.compile(r"/v1/articles/([1-9][0-9]{0,17})")
_LIST_PATH = "/v1/articles"
_LISTS = {"source": "sources", "language": "languages"}
_SCALARS = {"published_after", "published_before", "limit", "cursor", "sort"}
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_MAX_CURSOR = 2048  # page_params's max_length
_INSTANT: TypeAdapter[datetime | date] = TypeAdapter(cast(Any, datetime | date))  # params.After, Before


# The search lists' parameters beyond the plain page's, with the route's longest value (None: any length).
_SEARCH_LISTS = {**_LISTS, "actor": "actors"}
_SEARCH_SCALARS = {**dict.fromkeys(_SCALARS), "q": 500, "member_of": 255, "facets": 100, "consistency": None}
_SEARCHING = ("actors", "q", "member_of", "facets")  # one of these: the index's list, not the plain page
_SORTS = ("-published_at", "published_at", "relevance", "hybrid")
_FACETS = re.compile(FACETS_PATTERN)


@dataclass(frozen=True)
class SearchList:
    """A list request for the index (see `search_list`), as the route hands it to the service."""

    filters: service.ArticleFilters
    sort: str | None
    page: PageParams
    facets: str | None
    consistency: str | None


def _parsed(
    query_string: bytes, list_names: dict[str, str], scalar_names: Any
) -> tuple[dict[str, list[str]], dict[str, str]] | None:
    """The parameters as Starlette parses them, when each is known, not blank and (a scalar) given once."""
    lists: dict[str, list[str]] = {}
    scalars: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if not value:
            return None
        if name in list_names:
            lists.setdefault(list_names[name], []).append(value)
        elif name in scalar_names and name not in scalars:
            scalars[name] = value
        else:
            return None
    return lists, scalars


def _page_and_dates(scalars: dict[str, str]) -> tuple[PageParams, Any, Any] | None:
    """The page and the date bounds, checked as the route checks them; None where it might not agree."""
    limit = scalars.get("limit", "20")
    cursor = scalars.get("cursor")
    if not _LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT:
        return None
    if cursor is not None and len(cursor) > _MAX_CURSOR:
        return None
    if any(is_numeric(scalars[k]) for k in ("published_after", "published_before") if k in scalars):
        return None  # the app's rule for every date parameter (schemas.no_numeric_query_dates): a 400
    try:
        after, before = (
            _INSTANT.validate_python(scalars[k]) if k in scalars else None
            for k in ("published_after", "published_before")
        )
    except ValueError:  # pydantic's ValidationError: the route's 422
        return None
    return PageParams(limit=int(limit), cursor=cursor), after, before


def plain_page(query_string: bytes) -> tuple[service.ArticleFilters, str, PageParams] | None:
    """The filters, sort and page of a query string the fast path answers, else None. Parsed as
    Starlette parses it; values are checked as the route checks them, and whatever the route might read
    otherwise (a blank or repeated value, an unknown parameter) is left to it."""
    parsed = _parsed(query_string, _LISTS, _SCALARS)
    if parsed is None:
        return None
    lists, scalars = parsed
    sort = scalars.get("sort", "-published_at")
    checked = _page_and_dates(scalars)
    if checked is None or sort not in ("-published_at", "published_at"):
        return None
    page, after, before = checked
    filters = service.ArticleFilters(
        sources=lists.get("sources"),
        languages=lists.get("languages"),
        published_after=after,
        published_before=before,
    )
    return filters, sort, page


def search_list(query_string: bytes) -> SearchList | None:
    """A list with full text, actors, member_of or facets (and the plain page's parameters, any sort, a
    consistency), checked as the route checks them; None for anything else or anything the route might
    read otherwise."""
    parsed = _parsed(query_string, _SEARCH_LISTS, _SEARCH_SCALARS)
    if parsed is None:
        return None
    lists, scalars = parsed
    if not any(k in lists or k in scalars for k in _SEARCHING):
        return None
    if any(most is not None and len(scalars.get(k, "")) > most for k, most in _SEARCH_SCALARS.items()):
        return None
    sort, facets, consistency = scalars.get("sort"), scalars.get("facets"), scalars.get("consistency")
    if sort is not None and sort not in _SORTS:
        return None
    if facets is not None and not _FACETS.fullmatch(facets):
        return None
    if consistency is not None and consistency not in ("eventual", "strong"):
        return None
    checked = _page_and_dates(scalars)
    if checked is None:
        return None
    page, after, before = checked
    filters = service.ArticleFilters(
        q=scalars.get("q"),
        actors=lists.get("actors"),
        sources=lists.get("sources"),
        languages=lists.get("languages"),
        published_after=after,
        published_before=before,
        member_of=scalars.get("member_of"),
    )
    return SearchList(filters, sort, page, facets, consistency)


def _accepts_json(scope: Scope) -> bool:
    """Whether the request's Accept header leaves a list in JSON (else the route streams NDJSON, CSV or
    GeoJSON: params.geo_list_format)."""
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    return format_of_accept(accept.decode("latin-1"), geo=True) == "json"


class ArticleReadFastPath:
    """The ASGI middleware (see the module's docstring); `reads_open`: reads need no key."""

    def __init__(self, app: ASGIApp, reads_open: bool) -> None:
        self.app = app
        self.reads_open = reads_open
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.reads_open and scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            if path == _LIST_PATH and _accepts_json(scope):
                query_string = scope.get("query_string", b"")
                plain = plain_page(query_string) if scope["app"].state.db.is_sqlite else None
                if plain is not None:
                    if await self._page(scope, receive, send, *plain):
                        return
                elif (found := search_list(query_string)) is not None and await self._search(
                    scope, receive, send, found
                ):
                    return
            elif not scope.get("query_string") and (m := _DETAIL_PATH.fullmatch(path)) is not None:
                body = await self._detail(scope, int(m.group(1)))
                if body is not None:
                    scope["route"] = self._route_of(scope)  # what metrics label the request with
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [
                                (b"content-length", str(len(body)).encode()),
                                (b"content-type", b"application/json"),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)

    async def _detail(self, scope: Scope, article_id: int) -> bytes | None:
        db = scope["app"].state.db
        try:
            if db.is_sqlite:  # one pooled connection, no session: a quarter of the cost
                detail = service.get_article_sqlite(db, article_id)
            else:
                async with db.session(write=False) as session:
                    detail = await service.get_article(session, article_id)
        except Exception:  # a database fault: the app's own route answers it (503 and Retry-After)
            return None
        return dumps(detail) if detail is not None else None

    async def _page(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        filters: service.ArticleFilters,
        sort: str,
        page: PageParams,
    ) -> bool:
        try:
            result = service.sqlite_page(scope["app"].state.db, filters, sort, page)
        except Exception:  # a bad cursor (the route's 400) or a database fault (its 503)
            # (A statement past its deadline thus gets a second one on the route: bounded, and rare.)
            return False
        scope["route"] = self._route_of(scope)
        await list_response(Request(scope, receive), result)(scope, receive, send)
        return True

    async def _search(self, scope: Scope, receive: Receive, send: Send, found: SearchList) -> bool:
        app = scope["app"]
        request = Request(scope, receive)
        try:
            async with app.state.db.session(write=False) as session:
                result = await service.list_articles(
                    session,
                    app.state.db,
                    found.page,
                    "json",
                    found.filters,
                    found.sort,
                    found.facets,
                    app.state.search,
                    consistency_of(request, found.consistency),
                )
        except AppError as exc:  # what the app's handler answers, without a second run on the route
            response: Any = app_error_response(exc)
        except Exception:  # a database fault: the route answers it (503 and Retry-After, the health check)
            return False
        else:
            response = list_response(request, result)
        scope["route"] = self._route_of(scope)
        await response(scope, receive, send)
        return True

    def _route_of(self, scope: Scope) -> Any:
        which = "list" if scope["path"] == _LIST_PATH else "detail"
        if which not in self._routes:
            self._routes[which] = next(
                (r for r in scope["app"].router.routes if r.matches(scope)[0] is Match.FULL), None
            )
        return self._routes[which]
