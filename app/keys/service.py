"""API keys: creation (the plain key is shown once), verification by SHA-256 hash, scope checks."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import SCOPES, ApiKey, utcnow
from ..pagination import PageParams, PageResult, keyset_page
from . import repository

SCOPE_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}
LAST_USED_GRANULARITY = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "gn_" + secrets.token_urlsafe(32)


def scope_allows(granted: str, needed: str) -> bool:
    """admin ⊃ write ⊃ read."""
    return SCOPE_RANK.get(granted, -1) >= SCOPE_RANK[needed]


def build_key(name: str, scope: str) -> tuple[ApiKey, str]:
    if scope not in SCOPE_RANK:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    key = new_key()
    return ApiKey(name=name, prefix=key[:10], key_hash=hash_key(key), scope=scope), key


def create_key_sync(session: Session, name: str, scope: str) -> tuple[ApiKey, str]:
    row, key = build_key(name, scope)
    session.add(row)
    session.flush()
    return row, key


async def create_key(session: AsyncSession, name: str, scope: str) -> tuple[ApiKey, str]:
    row, key = build_key(name, scope)
    session.add(row)
    await session.flush()
    return row, key


async def find_key(session: AsyncSession, key: str) -> ApiKey | None:
    row = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row


async def touch_key(session: AsyncSession, row: ApiKey) -> None:
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))


async def list_keys(session: AsyncSession, page: PageParams) -> PageResult:
    return await keyset_page(session, repository.LIST, repository.SORT, page, {})


async def issue_key(session: AsyncSession, name: str, scope: str) -> dict[str, Any]:
    """A new key: its stored row and, this once, the plain key."""
    row, key = await create_key(session, name, scope)
    out = await repository.get(session, row.id)
    assert out is not None
    return {**out, "key": key}


async def delete_key(session: AsyncSession, key_id: int) -> None:
    """Revoke a key (the row stays, for the record); an unknown id is a 404."""
    if await repository.get(session, key_id) is None:
        raise NotFound(f"No key {key_id}.")
    await repository.revoke(session, key_id)
