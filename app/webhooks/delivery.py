"""The webhook dispatcher: one per worker process, delivering every active subscription's changes.

At least once, in order, surviving restarts: a subscription's `position` (the last seq its receiver
acknowledged) lives in the database and moves only after a 2xx answer, so a crash between a delivery
and its acknowledgement sends that batch again, with the same `webhook-id` (receivers deduplicate on it).
A lease (`leased_by`, `lease_until`) taken in one UPDATE lets a single worker of all processes and
instances deliver a subscription's next batch; a worker that dies loses its lease when it runs out.
Failures retry with exponential backoff and full jitter; after `webhooks_max_failures` in a row the
subscription is paused (PATCH status=active resumes it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import httpx
import orjson

from ..changes import repository as changes_repo
from ..changes.filters import ChangeFilter
from ..changes.hub import ChangeHub
from ..changes.service import page_after
from ..models import Webhook, utcnow
from ..responses import ORJSON_OPTIONS
from ..tasks import cancel_and_wait
from . import repository, signing
from .targets import TargetRefused, check_target

log = logging.getLogger("geonews.webhooks")

LEASE = timedelta(seconds=60)
CLAIM = 8  # subscriptions leased per round
RESPONSE_KEPT = 500  # characters of a receiver's answer kept with the delivery
TIDY_EVERY = 3600.0  # seconds between prunings of old delivery records


def backoff(failures: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after `failures` failures in a row: full jitter over an
    exponentially growing window."""
    window = min(cap, base * 2 ** max(0, failures - 1))
    return window / 2 + random.random() * window / 2


class WebhookDispatcher:
    def __init__(self, db: Any, hub: ChangeHub, settings: Any) -> None:
        self.db = db
        self.hub = hub
        self.settings = settings
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._stopping = False

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.settings.webhooks_timeout_s, follow_redirects=False)
        self._task = asyncio.create_task(self._run(), name="geonews-webhooks")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task)
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        seen = self.hub.position
        tidied = 0.0
        while not self._stopping:
            try:
                # Wake on news, and at least every second for retries that fall due.
                await self.hub.wait_beyond(seen, 1.0)
                seen = self.hub.position
                while await self.round():
                    pass
                if time.monotonic() - tidied > TIDY_EVERY:
                    tidied = time.monotonic()
                    await self.tidy()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again shortly
                log.warning("webhook dispatcher: %s", exc)
                await asyncio.sleep(1.0)

    async def tidy(self) -> None:
        """Forget deliveries older than the change log keeps changes."""
        cutoff = utcnow() - timedelta(days=self.settings.changes_retention_days)
        async with self.db.writer() as session:
            await repository.prune_deliveries(session, cutoff)
            await session.commit()

    async def round(self) -> int:
        """Lease what is due and deliver it; returns how many subscriptions were served."""
        now = utcnow()
        async with self.db.writer() as session:
            claimed = await repository.claim_due(
                session, self.worker, now, now + LEASE, self.hub.position, CLAIM
            )
            await session.commit()
        if claimed:
            await asyncio.gather(*(self.deliver(*row) for row in claimed))
        return len(claimed)

    async def deliver(
        self, webhook_id: int, url: str, secret: str, filters: dict[str, Any], position: int, failures: int
    ) -> None:
        flt = ChangeFilter.from_json(filters or {})
        async with self.db.reader() as session:
            # A subscription left behind by retention continues from the oldest change kept.
            position = max(position, await changes_repo.pruned_through(session))
            page = await page_after(session, position, flt, self.settings.webhooks_batch)
        items = page["items"]
        if not items:  # nothing matched in the positions scanned: move past them
            async with self.db.writer() as session:
                await repository.finish(session, webhook_id, self.worker, position=page["next_after"])
                await session.commit()
            return
        first, last = items[0]["seq"], items[-1]["seq"]
        message_id = f"msg_{webhook_id}_{first}_{last}"
        body = orjson.dumps(
            {"type": "geonews.changes", "timestamp": utcnow(), "data": {"changes": items}},
            option=ORJSON_OPTIONS,
        )
        attempt = Attempt(webhook_id, message_id, first, last, len(items), failures + 1)
        started = time.perf_counter()
        try:
            await asyncio.to_thread(check_target, url, self.settings.webhooks_allow_private)
            assert self._client is not None
            r = await self._client.post(
                url, content=body, headers=signing.headers(secret, message_id, int(time.time()), body)
            )
            attempt.status_code, attempt.response = r.status_code, r.text[:RESPONSE_KEPT]
            attempt.ok = 200 <= r.status_code < 300
            if not attempt.ok:
                attempt.error = f"the receiver answered {r.status_code}"
        except TargetRefused as exc:
            attempt.error = f"target refused: {exc}"
        except httpx.HTTPError as exc:
            attempt.error = f"{exc.__class__.__name__}: {exc}"[:RESPONSE_KEPT]
        attempt.duration_ms = int((time.perf_counter() - started) * 1000)
        await self._record(attempt)

    async def _record(self, a: Attempt) -> None:
        """Keep the attempt; on success move the position, else schedule the retry or pause."""
        s = self.settings
        values: dict[str, Any]
        if a.ok:
            values = {"position": a.last_seq, "failures": 0, "next_attempt_at": utcnow()}
            values["delivered"] = Webhook.delivered + a.count
        else:
            wait = backoff(a.attempt, s.webhooks_backoff_base_s, s.webhooks_backoff_max_s)
            values = {"failures": a.attempt, "next_attempt_at": utcnow() + timedelta(seconds=wait)}
            if a.attempt >= s.webhooks_max_failures:
                values |= {
                    "status": "paused",
                    "paused_reason": f"{a.attempt} failed deliveries in a row: {a.error}",
                }
        async with self.db.writer() as session:
            await repository.add_delivery(session, **asdict(a), at=utcnow())
            await repository.finish(session, a.webhook_id, self.worker, **values)
            await session.commit()


@dataclass
class Attempt:
    webhook_id: int
    message_id: str
    first_seq: int
    last_seq: int
    count: int
    attempt: int
    ok: bool = False
    status_code: int | None = None
    error: str | None = None
    response: str | None = None
    duration_ms: int = 0
