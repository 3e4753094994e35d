"""Authentication: `Authorization: Bearer <key>` or `X-API-Key`, checked against stored keyed hashes.

This kernel module knows what it needs from key storage — a `KeyStore` that finds the principal behind a
key and records its use — and nothing of how keys are stored: app/keys provides the store and
create_app installs it (`install_key_store`). The principal of an authenticated request is left in
`request.state.principal` for whoever needs it (idempotency scoping, rate limits).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .db import WRITE_METHODS, Database
from .errors import Forbidden, Unauthorized
from .models import SCOPES, utcnow

_bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="geonews"'}
SCOPE_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who a valid key belongs to."""

    id: int
    name: str
    scope: str
    last_used_at: datetime | None = None
    rehash: bool = False  # stored under an older hash scheme: store it again on use


class KeyStore(Protocol):
    async def find(self, session: Any, key: str) -> Principal | None:
        """The principal of a valid, unrevoked key, or None."""

    async def record_use(self, session: Any, principal: Principal, key: str) -> None:
        """Note the use (last_used_at) and re-store the hash if `principal.rehash`."""


def install_key_store(app: FastAPI, store: KeyStore) -> None:
    app.state.key_store = store


def scope_allows(granted: str, needed: str) -> bool:
    """admin ⊃ write ⊃ read."""
    return SCOPE_RANK.get(granted, -1) >= SCOPE_RANK[needed]


def presented_key(headers: Any) -> str | None:
    """The key a request carries, if any (Bearer first, then X-API-Key)."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, credentials = auth.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return headers.get("x-api-key") or None


async def lookup(app: Any, key: str) -> Principal | None:
    db: Database = app.state.db
    async with db.session(write=False) as session:
        return await app.state.key_store.find(session, key)


class PrincipalCache:
    """Recent key lookups, for callers that may be a little stale (rate limiting picks a budget with it;
    authorisation itself always asks the store). Bounded; valid keys 30 s, unknown ones 5 s."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    async def get(self, app: Any, key: str) -> Principal | None:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await lookup(app, key)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (now + (30.0 if principal else 5.0), principal)
        return principal


def require_scope(scope: str) -> Callable[..., Awaitable[Principal | None]]:
    async def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header_key: str | None = Depends(_header),
    ) -> Principal | None:
        if scope == "read" and not request.app.state.settings.read_api_key_required:
            return None
        key = bearer.credentials if bearer else header_key
        if not key:
            raise Unauthorized(
                "An API key is required: send `Authorization: Bearer <key>`.", headers=CHALLENGE
            )
        principal = await lookup(request.app, key)
        if principal is None:
            raise Unauthorized("The API key is not valid.", headers=CHALLENGE)
        if not scope_allows(principal.scope, scope):
            raise Forbidden(f"This key has the `{principal.scope}` scope; this call needs `{scope}`.")
        stale = principal.last_used_at is None or utcnow() - principal.last_used_at > LAST_USED_GRANULARITY
        if principal.rehash or (stale and request.method in WRITE_METHODS):
            db: Database = request.app.state.db
            async with db.session(write=True) as session:
                await request.app.state.key_store.record_use(session, principal, key)
        request.state.principal = principal
        return principal

    dependency.scope = scope  # type: ignore[attr-defined]  # app/openapi.py tells read operations by it
    return dependency


read_access = Depends(require_scope("read"))
write_access = Depends(require_scope("write"))
admin_access = Depends(require_scope("admin"))
