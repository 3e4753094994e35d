"""The explorer's only way to the data: the public HTTP API, called in-process.

Server-side rendering sends ordinary HTTP requests through `httpx.ASGITransport` to the same FastAPI app
(its middleware, validation and error handling included), so every page is built from exactly what a
remote client would get, and the explorer proves the API as it renders. No socket, no second process:
an in-process call costs the route's own time plus ~0.3 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson
from fastapi import FastAPI, Request

Params = Mapping[str, str | int | Sequence[str] | None]
# One query parameter as httpx takes it (its list form is invariant in the value type).
QueryItem = tuple[str, str | int | float | bool | None]
FORWARDED = ("authorization", "x-api-key", "accept-language")


class ApiError(Exception):
    """The API answered with a problem document."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title"))
        self.status = status
        self.problem = problem

    @property
    def detail(self) -> str:
        detail = self.problem.get("detail") or self.problem.get("title") or f"HTTP {self.status}"
        errors = self.problem.get("errors") or []
        if errors:
            detail += " " + "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors if e.get("loc"))
        return str(detail)


def _clean(params: Params | None) -> list[QueryItem]:
    out: list[QueryItem] = []
    for key, value in (params or {}).items():
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple)):
            out.extend((key, str(v)) for v in value if v not in (None, ""))
        else:
            out.append((key, str(value)))
    return out


class Api:
    """GET JSON from the API on behalf of one browser request (its credentials are passed on)."""

    def __init__(self, app: FastAPI, request: Request) -> None:
        client: httpx.AsyncClient | None = getattr(app.state, "explorer_client", None)
        if client is None:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://geonews.internal", timeout=60
            )
            app.state.explorer_client = client
        self.client = client
        self.headers = {k: v for k, v in request.headers.items() if k in FORWARDED}
        self.headers["accept"] = "application/json"

    async def get(self, path: str, params: Params | None = None) -> Any:
        r = await self.client.get(path, params=_clean(params), headers=self.headers)
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {"title": r.reason_phrase, "status": r.status_code}
            raise ApiError(r.status_code, problem)
        return orjson.loads(r.content)

    async def maybe(self, path: str, params: Params | None = None) -> Any:
        """The document, or None when the API says 404 (an optional part of a page)."""
        try:
            return await self.get(path, params)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    async def all(self, path: str, params: Params | None = None, cap: int = 1000) -> list[Any]:
        """Walk the cursor chain of a list (at most `cap` items)."""
        items: list[Any] = []
        query = dict(params or {})
        query["limit"] = str(min(200, cap))
        while True:
            page = await self.get(path, query)
            items.extend(page["items"])
            if not page.get("next_cursor") or len(items) >= cap:
                return items[:cap]
            query["cursor"] = page["next_cursor"]

    async def gather(self, *calls: Any) -> list[Any]:
        return list(await asyncio.gather(*calls))


async def has_route(api: Api, path: str) -> bool:
    """Whether the API serves `path`, asked over HTTP without calling it: OPTIONS gets 405 from a route
    that exists (or a CORS answer) and 404 from one that does not. Lets a page offer a feature only
    when the server has it (the live strip on /v1/changes/stream), for microseconds, where reading
    /openapi.json would cost ~0.7 s on a worker's first request."""
    r = await api.client.options(path, headers=api.headers)
    return r.status_code != 404
