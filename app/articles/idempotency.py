"""Idempotency-Key support for single POSTs: the first response is stored and replayed."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import IdempotencyKey, utcnow


def request_hash(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


async def lookup(session: AsyncSession, key: str) -> IdempotencyKey | None:
    return (
        await session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key))
    ).scalar_one_or_none()


async def remember(session: AsyncSession, key: str, digest: str, status: int, body: Any) -> None:
    await expire(session)
    session.add(
        IdempotencyKey(
            key=key, request_hash=digest, status_code=status, body=orjson.dumps(body, default=str).decode()
        )
    )
    await session.flush()


async def expire(session: AsyncSession, older_than_days: int = 7) -> None:
    from datetime import timedelta

    await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - timedelta(days=older_than_days))
    )
