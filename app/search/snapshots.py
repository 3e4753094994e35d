"""Frozen relevance orders (see models.state.SearchSnapshot)."""

from __future__ import annotations

import secrets
from array import array
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from ..models import SearchSnapshot, utcnow

MAX_IDS = 50_000
TTL = timedelta(hours=1)


def pack(ids: list[int]) -> bytes:
    return array("q", ids).tobytes()


def unpack(blob: bytes) -> list[int]:
    out = array("q")
    out.frombytes(blob)
    return out.tolist()


async def save(db: Any, ids: list[int]) -> str:
    """Store in its own short write transaction (a GET's session only reads)."""
    token = secrets.token_hex(12)
    async with db.writer() as session:
        await session.execute(delete(SearchSnapshot).where(SearchSnapshot.created_at < utcnow() - TTL))
        session.add(SearchSnapshot(token=token, ids=pack(ids)))
        await session.commit()
    return token


async def load(session: Any, token: str) -> list[int] | None:
    blob = (await session.execute(select(SearchSnapshot.ids).where(SearchSnapshot.token == token))).scalar()
    return None if blob is None else unpack(blob)
