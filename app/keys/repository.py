"""Every statement on api_keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..models import ApiKey, utcnow
from ..pagination import SortKey

SORT = SortKey("id", ((ApiKey.id, False),), ("int",))
COLUMNS = (
    ApiKey.id,
    ApiKey.name,
    ApiKey.prefix,
    ApiKey.scope,
    ApiKey.created_at,
    ApiKey.last_used_at,
    ApiKey.revoked_at,
)


LIST = select(*COLUMNS)


async def get(session: AsyncSession, key_id: int) -> dict[str, Any] | None:
    row = (await session.execute(select(*COLUMNS).where(ApiKey.id == key_id))).mappings().first()
    return dict(row) if row else None


async def insert(session: AsyncSession, row: ApiKey) -> ApiKey:
    session.add(row)
    await session.flush()
    return row


def insert_sync(session: Session, row: ApiKey) -> ApiKey:
    session.add(row)
    session.flush()
    return row


async def find_active(session: AsyncSession, hashes: list[str]) -> dict[str, Any] | None:
    """The unrevoked key stored under any of these hashes."""
    stmt = select(*COLUMNS, ApiKey.key_hash).where(ApiKey.key_hash.in_(hashes), ApiKey.revoked_at.is_(None))
    row = (await session.execute(stmt)).mappings().first()
    return dict(row) if row else None


async def record_use(session: AsyncSession, key_id: int, when: datetime, key_hash: str | None) -> None:
    values: dict[str, Any] = {"last_used_at": when}
    if key_hash is not None:
        values["key_hash"] = key_hash
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(**values))


async def revoke(session: AsyncSession, key_id: int) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
