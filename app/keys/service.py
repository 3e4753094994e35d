"""API keys: creation (the plain key is shown once), verification by keyed hash, revocation.

A key is stored as HMAC-SHA256 under the server's key secret (`GEONEWS_API_KEY_SECRET`, by default the
cursor secret), so a copy of the database alone does not let anyone test guesses. Keys stored by earlier
versions as a bare SHA-256 keep working: the first use stores them again under the keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..auth import SCOPE_RANK, Principal
from ..config import get_settings
from ..models import SCOPES, ApiKey, utcnow
from ..pagination import PageParams, PageResult, keyset_page
from . import repository

__all__ = ["SCOPE_RANK", "create_key", "create_key_sync", "delete_key", "get_key", "list_keys"]


def hash_key(key: str, secret: str) -> str:
    return hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()


def legacy_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "gn_" + secrets.token_urlsafe(32)


def build_key(name: str, scope: str, secret: str) -> tuple[ApiKey, str]:
    if scope not in SCOPE_RANK:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key = new_key()
    return ApiKey(name=name, prefix=key[:10], key_hash=hash_key(key, secret), scope=scope), key


async def list_keys(session: AsyncSession, page: PageParams) -> PageResult:
    return await keyset_page(session, repository.LIST, repository.SORT, page, {})


async def get_key(session: AsyncSession, key_id: int) -> dict[str, Any] | None:
    return await repository.get(session, key_id)


async def create_key(session: AsyncSession, name: str, scope: str, secret: str) -> dict[str, Any]:
    """The stored key's record plus, this once, the key itself."""
    row, key = build_key(name, scope, secret)
    await repository.insert(session, row)
    out = await repository.get(session, row.id)
    assert out is not None
    return {**out, "key": key}


def create_key_sync(session: Session, name: str, scope: str, secret: str | None = None) -> tuple[ApiKey, str]:
    row, key = build_key(name, scope, secret or get_settings().key_secret)
    return repository.insert_sync(session, row), key


async def delete_key(session: AsyncSession, key_id: int) -> None:
    """Revoke: the record stays (it names who used what), the key stops working."""
    await repository.revoke(session, key_id)


class StoredKeys:
    """The KeyStore app/auth.py asks (installed by create_app)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def find(self, session: AsyncSession, key: str) -> Principal | None:
        keyed = hash_key(key, self.secret)
        row = await repository.find_active(session, [keyed, legacy_hash(key)])
        if row is None:
            return None
        return Principal(
            id=row["id"],
            name=row["name"],
            scope=row["scope"],
            last_used_at=row["last_used_at"],
            rehash=not hmac.compare_digest(row["key_hash"], keyed),
        )

    async def record_use(self, session: AsyncSession, principal: Principal, key: str) -> None:
        new_hash = hash_key(key, self.secret) if principal.rehash else None
        await repository.record_use(session, principal.id, utcnow(), new_hash)
