"""Prometheus metrics: request counts and latency by route template and status."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("geonews_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "geonews_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


INDEX_SEQ = Gauge("geonews_index_seq", "The last change the search index of this worker shows")
INDEX_LAG = Gauge(
    "geonews_index_lag_changes", "Changes committed that this worker's search index does not show"
)
ABANDONED = Counter(
    "geonews_requests_abandoned_total", "Reads cancelled because their client disconnected before the answer"
)
CHANGES_HEAD = Gauge("geonews_changes_head", "The largest committed change seq this worker has seen")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            REQUESTS.labels(scope["method"], name, str(status)).inc()
            LATENCY.labels(scope["method"], name).observe(time.perf_counter() - start)


async def metrics_endpoint(request: Request) -> Response:
    search, hub = request.app.state.search, request.app.state.changes
    CHANGES_HEAD.set(hub.position)
    if search is not None:
        INDEX_SEQ.set(search.seq)
        INDEX_LAG.set(search.lag())
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
