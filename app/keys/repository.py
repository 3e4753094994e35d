from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

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


async def revoke(session: AsyncSession, key_id: int) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
