"""Rate limits: a budget per API key (else per client address), and separate budgets for the expensive
routes, counted with the `limits` library — in this process by default, in Redis when GEONEWS_REDIS_URL is
set (then every worker and instance shares the counts).

Every request spends from `default`; an expensive one also from its own budget:
  resolve   POST /v1/resolve
  bulk      POST …/bulk
  export    any GET asking for format=ndjson|csv|geojson, or Accept: application/x-ndjson | text/csv
  graph     GET /v1/actors/{actor}/network, GET /v1/graph/path
  facets    any GET with facets=
A request over a budget gets 429 problem+json with Retry-After. Responses carry the IETF RateLimit-Policy
and RateLimit fields (draft-ietf-httpapi-ratelimit-headers: `"default";q=1200;w=60` and
`"default";r=1187;t=42`). Keys are told apart only once verified (a short cache of key lookups), so
inventing keys does not buy fresh budgets. If the counter store fails, requests pass (logged): a broken
Redis must not take the API down.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import PrincipalCache, presented_key
from .config import Settings
from .errors import problem_body
from .responses import dumps

log = logging.getLogger("geonews.ratelimit")

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
EXPORT_FORMATS = frozenset({"ndjson", "csv", "geojson"})
EXPORT_TYPES = ("application/x-ndjson", "application/ndjson", "text/csv", "application/geo+json")
_NETWORK = re.compile(r"^/v1/actors/[^/]+/network/?$")


@dataclass(frozen=True)
class Policy:
    name: str
    item: RateLimitItem

    @property
    def window(self) -> int:
        return int(self.item.get_expiry())


def _policies(budget: str, spec: str) -> list[Policy]:
    items = parse_many(spec)
    if len(items) == 1:
        return [Policy(budget, items[0])]
    return [Policy(f"{budget}-{int(i.get_expiry())}s", i) for i in items]


def budgets_of(scope: Scope) -> list[str]:
    """The budgets a request spends from, decided from its method, path, query and Accept header."""
    method, path = scope["method"], scope["path"]
    if method == "POST":
        if path.rstrip("/") == "/v1/resolve":
            return ["default", "resolve"]
        if path.rstrip("/").endswith("/bulk"):
            return ["default", "bulk"]
        return ["default"]
    if method not in ("GET", "HEAD"):
        return ["default"]
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    accept = Headers(scope=scope).get("accept", "")
    if query.get("format", "").lower() in EXPORT_FORMATS or any(t in accept for t in EXPORT_TYPES):
        return ["default", "export"]
    if _NETWORK.match(path) or path.rstrip("/") == "/v1/graph/path":
        return ["default", "graph"]
    if query.get("facets"):
        return ["default", "facets"]
    return ["default"]


class RateLimiter:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.enabled = settings.rate_limit_enabled
        self.policies: dict[str, list[Policy]] = {
            "default": _policies("default", settings.rate_limit_default),
            "resolve": _policies("resolve", settings.rate_limit_resolve),
            "bulk": _policies("bulk", settings.rate_limit_bulk),
            "export": _policies("export", settings.rate_limit_export),
            "graph": _policies("graph", settings.rate_limit_graph),
            "facets": _policies("facets", settings.rate_limit_facets),
        }
        storage: Storage
        if settings.redis_url:
            uri = settings.redis_url
            storage = storage_from_string(
                uri if uri.startswith("async+") else "async+" + uri, key_prefix=settings.redis_prefix
            )  # type: ignore[assignment]
        else:
            storage = MemoryStorage()
        self.limiter = FixedWindowRateLimiter(storage)
        self.principals = PrincipalCache()

    async def _identity(self, scope: Scope) -> str:
        key = presented_key(Headers(scope=scope))
        if key:
            try:
                principal = await self.principals.get(scope["app"], key)
            except Exception as exc:  # the database may be down: budget by address meanwhile
                log.debug("key lookup for rate limiting failed: %r", exc)
                principal = None
            if principal is not None:
                return f"key:{principal.id}"
        client = scope.get("client")
        return f"addr:{client[0] if client else 'unknown'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        policies = [p for b in budgets_of(scope) for p in self.policies[b]]
        try:
            identity = await self._identity(scope)
            spent: list[tuple[Policy, bool, int, int]] = []
            now = time.time()
            for policy in policies:
                ok = await self.limiter.hit(policy.item, policy.name, identity)
                stats = await self.limiter.get_window_stats(policy.item, policy.name, identity)
                reset = min(max(math.ceil(stats.reset_time - now), 0), policy.window)
                spent.append((policy, ok, max(stats.remaining, 0), reset))
        except Exception as exc:
            log.warning("rate-limit store failed, letting the request through: %r", exc)
            await self.app(scope, receive, send)
            return

        fields = [
            (
                b"ratelimit-policy",
                ", ".join(f'"{p.name}";q={p.item.amount};w={p.window}' for p in policies).encode(),
            ),
            (b"ratelimit", ", ".join(f'"{p.name}";r={r};t={t}' for p, _, r, t in spent).encode()),
        ]
        violated = [(p, t) for p, ok, _, t in spent if not ok]
        if violated:
            retry = max(max(t for _, t in violated), 1)
            names = [p.name for p, _ in violated]
            body = dumps(
                problem_body(
                    429,
                    f"Too many requests for the {', '.join(names)} budget; try again in {retry} s.",
                    extra={"violated-policies": names},
                )
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(retry).encode()),
                        *fields,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *fields]}
            await send(message)

        await self.app(scope, receive, send_with_fields)
