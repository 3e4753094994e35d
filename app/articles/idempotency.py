"""Idempotency-Key for single POSTs: the first request runs, every retry gets its response byte for byte.

A key belongs to the API key that sent it (`owner`): another client's identical key is another key.
1. The first request claims the key: a `pending` row inserted and committed at once, in a short
   transaction of its own (INSERT … ON CONFLICT DO NOTHING: of concurrent requests exactly one inserts).
2. It then runs, and stores its response (status, headers, the exact body bytes) in the same transaction
   as its write: the article and its replayable response are committed together, or neither is.
   If it fails, its claim is deleted and a retry runs afresh.
3. A retry with the same key and the same request waits (polling, up to `idempotency_wait` seconds) for
   the claim to be `done` and replays it; still pending after that, it is a 409 with Retry-After. The same
   key with a different request is a 422. A claim left `pending` longer than `idempotency_stale_after`
   (its request's process died) is taken over by the next retry.
Rows are kept 7 days.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update

from ..dialect import insert as dialect_insert
from ..errors import Conflict, Unprocessable
from ..models import IdempotencyKey, utcnow

log = logging.getLogger("geonews.idempotency")

KEEP_DAYS = 7
table = IdempotencyKey.__table__


def request_hash(method: str, path: str, body: bytes) -> str:
    """The request's fingerprint: the same JSON (whatever its key order or spacing) to the same route."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


@dataclass
class Stored:
    """A response to send again."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Claim:
    """This request runs under the key: it must `finish` (in its own transaction) or `release`."""

    owner: int
    key: str
    token: str


async def claim(
    db: Any, owner: int, key: str, digest: str, *, wait: float, stale_after: float
) -> Claim | Stored:
    """Claim the key for this request, or wait for the request that holds it and return its response."""
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        outcome = await _try_claim(db, owner, key, digest, stale_after)
        if outcome is not None:
            return outcome
        while True:  # pending: wait for it with plain reads (no write lock taken while polling)
            if time.monotonic() + pause > deadline:
                raise Conflict(
                    "A request with this Idempotency-Key is still in progress; retry shortly.",
                    headers={"Retry-After": "1"},
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)
            async with db.session(write=False) as session:
                row = await _row(session, owner, key)
            if row is None or _stale(row, stale_after):
                break  # released or abandoned: try to claim it
            if row.state == "done" or row.request_hash != digest:
                found = _answer(row, digest)
                assert found is not None
                return found


async def _row(session: Any, owner: int, key: str) -> IdempotencyKey | None:
    stmt = select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
    return (await session.execute(stmt)).scalar_one_or_none()  # type: ignore[no-any-return]


def _stale(row: IdempotencyKey, stale_after: float) -> bool:
    return row.state == "pending" and row.updated_at < utcnow() - timedelta(seconds=stale_after)


def _answer(row: IdempotencyKey, digest: str) -> Stored | None:
    """The stored response (None while pending); 422 when the key was used for another request."""
    if row.request_hash != digest:
        raise Unprocessable(
            "This Idempotency-Key was used with a different request.",
            errors=[{"loc": ["header", "idempotency-key"], "msg": "reused with another body"}],
        )
    if row.state != "done" or row.status_code is None or row.body is None:
        return None
    return Stored(row.status_code, orjson.loads(row.headers or "{}"), row.body)


async def _try_claim(db: Any, owner: int, key: str, digest: str, stale_after: float) -> Claim | Stored | None:
    """One attempt in a short write transaction: the claim, the stored response, or None (pending)."""
    token = secrets.token_hex(16)
    async with db.session(write=True) as session:
        now = utcnow()
        await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < now - timedelta(days=KEEP_DAYS))
        )
        stmt = (
            dialect_insert(table, session.get_bind().dialect.name)
            .values(
                owner=owner,
                key=key,
                request_hash=digest,
                state="pending",
                token=token,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["owner", "key"])
        )
        if (await session.execute(stmt)).rowcount == 1:
            return Claim(owner, key, token)
        row = await _row(session, owner, key)
        if row is None:
            return None  # gone between the two statements: the caller looks again
        found = _answer(row, digest)
        if found is not None or not _stale(row, stale_after):
            return found
        taken = await session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.owner == owner, IdempotencyKey.key == key, IdempotencyKey.token == row.token
            )
            .values(token=token, updated_at=now)
        )
        if taken.rowcount == 1:
            log.warning("taking over a stale Idempotency-Key claim (its request never finished)")
            return Claim(owner, key, token)
        return None


async def finish(session: Any, c: Claim, response: Stored) -> None:
    """Store the response in the request's own transaction (committed with its write)."""
    done = await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.owner == c.owner, IdempotencyKey.key == c.key, IdempotencyKey.token == c.token)
        .values(
            state="done",
            status_code=response.status,
            headers=orjson.dumps(response.headers).decode(),
            body=response.body,
            updated_at=utcnow(),
        )
    )
    if done.rowcount != 1:  # another request took the claim over: this one must not also write
        raise Conflict(
            "This Idempotency-Key was taken over by another request; retry to get its response.",
            headers={"Retry-After": "1"},
        )


async def release(db: Any, c: Claim) -> None:
    """Give the key up after a failure, so that a retry runs afresh (best effort)."""
    try:
        async with db.session(write=True) as session:
            await session.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.owner == c.owner,
                    IdempotencyKey.key == c.key,
                    IdempotencyKey.token == c.token,
                    IdempotencyKey.state == "pending",
                )
            )
    except Exception as exc:  # the database may be the reason the request failed
        log.warning("could not release an Idempotency-Key claim (it expires as stale): %r", exc)
