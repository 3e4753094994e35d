"""Authentication: `Authorization: Bearer <key>` or `X-API-Key`, checked against stored hashes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .db import WRITE_METHODS
from .errors import Forbidden, Unauthorized
from .keys.service import find_key, scope_allows, touch_key
from .models import ApiKey

_bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="geonews"'}


def require_scope(scope: str) -> Callable[..., Awaitable[ApiKey | None]]:
    async def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header_key: str | None = Depends(_header),
    ) -> ApiKey | None:
        if scope == "read" and not request.app.state.settings.read_api_key_required:
            return None
        key = bearer.credentials if bearer else header_key
        if not key:
            raise Unauthorized(
                "An API key is required: send `Authorization: Bearer <key>`.", headers=CHALLENGE
            )
        db = request.app.state.db
        factory = db.writer if request.method in WRITE_METHODS else db.reader
        async with factory() as session:
            row = await find_key(session, key)
            if row is None:
                raise Unauthorized("The API key is not valid.", headers=CHALLENGE)
            if not scope_allows(row.scope, scope):
                raise Forbidden(f"This key has the `{row.scope}` scope; this call needs `{scope}`.")
            if request.method in WRITE_METHODS:
                await touch_key(session, row)
                await session.commit()
        return row

    return dependency


read_access = Depends(require_scope("read"))
write_access = Depends(require_scope("write"))
admin_access = Depends(require_scope("admin"))
