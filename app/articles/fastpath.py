"""The two most frequent reads without the framework's per-request work: an article by id, and a page of
articles filtered by source, language and dates (SQLite).

Installed innermost (inside request ids, metrics, CORS, HEAD, rate limits, the edge checks and ETags, so
all of them still apply), it answers when reads need no key:

- `GET /v1/articles/<digits>` of a stored article: the one-statement detail (on SQLite on a pooled
  connection without a session), orjson: the bytes `get_article` sends;
- `GET /v1/articles` with only `source`, `language`, `published_after`, `published_before`, `limit`,
  `cursor` and a date `sort`, on SQLite: `service.sqlite_page`, the statement, rows and cursor the route
  gets from the planner, sent by the route's own `list_response`.

Everything else goes on to the app, which answers as it always does: another parameter, a value the
route would refuse or read differently (blank, repeated, out of range, a number for a date), a bad
cursor, a missing article, a database fault, keys required for reads. It saves FastAPI's routing over
every route, the solving of the list route's twenty parameters and dependencies (the app-wide ones
included: a new one must be mirrored here), its exception scaffolding and a Session: most of such a
request's time on the event loop.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import parse_qsl

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ..pagination import MAX_LIMIT, PageParams, list_response
from ..responses import dumps
from ..schemas import is_numeric
from . import service

_DETAIL_PATH = re.compile(r"/v1/articles/([1-9][0-9]{0,17})")
_LIST_PATH = "/v1/articles"
_LISTS = {"source": "sources", "language": "languages"}
_SCALARS = {"published_after", "published_before", "limit", "cursor", "sort"}
_LIMIT = re.compile(r"[1-9][0-9]{0,2}")
_MAX_CURSOR = 2048  # page_params's max_length
_INSTANT: TypeAdapter[datetime | date] = TypeAdapter(cast(Any, datetime | date))  # params.After, Before


def plain_page(query_string: bytes) -> tuple[service.ArticleFilters, str, PageParams] | None:
    """The filters, sort and page of a query string the fast path answers, else None. Parsed as
    Starlette parses it; values are checked as the route checks them, and whatever the route might read
    otherwise (a blank or repeated value, an unknown parameter) is left to it."""
    lists: dict[str, list[str]] = {}
    scalars: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if not value:
            return None
        if name in _LISTS:
            lists.setdefault(_LISTS[name], []).append(value)
        elif name in _SCALARS and name not in scalars:
            scalars[name] = value
        else:
            return None
    limit = scalars.get("limit", "20")
    sort = scalars.get("sort", "-published_at")
    cursor = scalars.get("cursor")
    if not _LIMIT.fullmatch(limit) or int(limit) > MAX_LIMIT or sort not in ("-published_at", "published_at"):
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
    filters = service.ArticleFilters(
        sources=lists.get("sources"),
        languages=lists.get("languages"),
        published_after=after,
        published_before=before,
    )
    return filters, sort, PageParams(limit=int(limit), cursor=cursor)


class ArticleReadFastPath:
    """The ASGI middleware (see the module's docstring); `reads_open`: reads need no key."""

    def __init__(self, app: ASGIApp, reads_open: bool) -> None:
        self.app = app
        self.reads_open = reads_open
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.reads_open and scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            if path == _LIST_PATH and scope["app"].state.db.is_sqlite:
                plain = plain_page(scope.get("query_string", b""))
                if plain is not None and await self._page(scope, receive, send, *plain):
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

    def _route_of(self, scope: Scope) -> Any:
        which = "list" if scope["path"] == _LIST_PATH else "detail"
        if which not in self._routes:
            self._routes[which] = next(
                (r for r in scope["app"].router.routes if r.matches(scope)[0] is Match.FULL), None
            )
        return self._routes[which]
