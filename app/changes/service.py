"""Reading the change log: pages after a position (optionally waiting for news), and the SSE stream.

A page scans at most SCAN_WINDOW positions after `after`, so a filter that matches rarely still answers
at once: `next_after` then moves past the positions scanned, and the client keeps polling from there.
Nothing below `head` (the largest committed seq) can still appear, because seqs are taken in commit
order (app/outbox.py), so `next_after` never passes a change that a later read would find.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actors.service import filter_id, filter_ids
from ..errors import BadRequest, Gone
from ..models import utcnow
from ..responses import dumps
from ..sse import Event
from ..tasks import cancel_and_wait
from . import repository
from .filters import ChangeFilter
from .hub import CLOSED, OVERFLOW, ChangeHub, Subscription

log = logging.getLogger("geonews.changes")

SCAN_WINDOW = 10_000
STREAM_PAGE = 500


async def resolve_filter(
    session: AsyncSession,
    *,
    entities: Sequence[str] | None = None,
    actors: list[str] | None = None,
    member_of: str | None = None,
    sources: list[str] | None = None,
) -> ChangeFilter:
    """The filter of a request, its actor references resolved (an unknown actor is a 400)."""
    actor_ids = await filter_ids(session, actors, "actor")
    return ChangeFilter(
        entities=frozenset(entities) if entities else None,
        actor_ids=frozenset(actor_ids) if actor_ids else None,
        org_id=await filter_id(session, member_of, "member_of"),
        sources=frozenset(sources) if sources else None,
    )


async def check_position(session: Any, after: int) -> None:
    """A position whose successors were pruned cannot be resumed: 410, saying where to restart."""
    pruned = await repository.pruned_through(session)
    if after < pruned:
        raise Gone(
            f"Changes up to {pruned} were pruned (retention); resume with after={pruned} after "
            "re-reading the current state, or from the head.",
            errors=[{"loc": ["query", "after"], "msg": f"pruned through {pruned}"}],
        )


async def page_after(session: Any, after: int, flt: ChangeFilter, limit: int) -> dict[str, Any]:
    head = await repository.head(session)
    upto = min(head, after + SCAN_WINDOW)
    items = await repository.page(session, repository.feed_statement(after, upto, **flt.as_sql()), limit)
    next_after = items[-1]["seq"] if len(items) == limit else max(upto, after)
    return {"items": items, "next_after": next_after, "head": head}


async def list_changes(
    session: AsyncSession, hub: ChangeHub, flt: ChangeFilter, *, after: int, limit: int, wait: float
) -> dict[str, Any]:
    """A page of changes after `after`; with `wait`, a long-poll: when nothing matches yet, wait up to
    `wait` seconds for news (holding no transaction and no connection while waiting)."""
    await check_position(session, after)
    page = await page_after(session, after, flt, limit)
    deadline = time.monotonic() + wait
    while (
        not page["items"] and page["next_after"] >= page["head"] and (left := deadline - time.monotonic()) > 0
    ):
        await session.rollback()  # end the read transaction: the next read sees what committed meanwhile
        if not await hub.wait_beyond(page["head"], left):
            break
        page = await page_after(session, page["next_after"], flt, limit)
    return page


async def stream_start(session: Any, hub: ChangeHub, after: int | None, last_event_id: str | None) -> int:
    """Where a stream begins: `after`, else Last-Event-ID, else now (the hub's position)."""
    if after is None and last_event_id is not None:
        if not last_event_id.strip().isdigit():
            raise BadRequest(
                "Last-Event-ID must be a change seq.",
                errors=[{"loc": ["header", "last-event-id"], "msg": "not a seq"}],
            )
        after = int(last_event_id)
    if after is None:
        return await repository.head(session)  # from now
    await check_position(session, after)
    await session.rollback()  # hold no read transaction while the stream lasts
    return after


async def stream(db: Any, hub: ChangeHub, flt: ChangeFilter, after: int) -> ChangeStream:
    """The SSE events of a new subscriber from `after` on (subscribed now, so that a hub that cannot read
    the log yet is still a 503 problem document rather than a broken stream)."""
    return ChangeStream(db, await hub.subscribe(flt), hub, flt, after)


class ChangeStream:
    """The events of one SSE subscriber (an app/sse.py EventSource): first what is already in the log up
    to where the hub took over (read in pages, each in its own short session), then what the hub brings.
    A subscriber that falls behind gets an `overflow` event naming where to resume, and the stream ends."""

    __slots__ = ("db", "sub", "hub", "flt", "position", "_scanned", "_page", "_done")

    def __init__(self, db: Any, sub: Subscription, hub: ChangeHub, flt: ChangeFilter, after: int) -> None:
        self.db, self.sub, self.hub, self.flt = db, sub, hub, flt
        self.position = after  # where a client resumes: the last seq delivered, or scanned past
        self._scanned = after  # the log has been read up to here
        self._page: list[dict[str, Any]] = []  # rows to send, the next one last
        self._done = False

    async def next(self, within: float) -> Event | None:
        sub = self.sub
        while not self._done and not sub.closed:
            if self._page:
                row = self._page.pop()
                self.position = row["seq"]
                return _event(row)
            if self._scanned < sub.start:  # catching up with the log
                async with self.db.reader() as session:
                    stmt = repository.feed_statement(self._scanned, sub.start, **self.flt.as_sql())
                    rows = await repository.page(session, stmt, STREAM_PAGE)
                self._scanned = rows[-1]["seq"] if len(rows) == STREAM_PAGE else sub.start
                self._page = rows[::-1]
                continue
            self.position = max(self.position, self._scanned)
            item = await sub.get(within)
            if item is None:
                return None  # nothing new: the caller sends a heartbeat
            if item is OVERFLOW:
                self._done = True
                return Event(
                    f'{{"resume_after": {self.position}, "detail": "This client fell behind; '
                    f'reconnect with Last-Event-ID or after={self.position}."}}',
                    event="overflow",
                )
            if item is not CLOSED and item["seq"] > self.position:
                self._page.append(item)
        raise StopAsyncIteration

    def close(self) -> None:
        self.hub.unsubscribe(self.sub)
        self.sub.close()


def _event(row: dict[str, Any]) -> Event:
    """A change as an unnamed SSE event (a browser's EventSource.onmessage sees it), id = seq."""
    item = {k: row[k] for k in ("seq", "at", "entity", "entity_id", "op", "data")}
    return Event(dumps(item).decode(), id=str(row["seq"]))


def prune_older(session: Any, days: float) -> tuple[int, int]:
    """Drop changes older than `days`; sync, for the CLI and the timer."""
    return repository.prune(session, utcnow() - timedelta(days=days))


class RetentionTimer:
    """Prunes old changes every `changes_prune_interval_s` seconds (GEONEWS_CHANGES_PRUNE_INTERVAL_S)."""

    def __init__(self, db: Any, settings: Any) -> None:
        self.db, self.settings = db, settings
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="geonews-retention")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.changes_prune_interval_s)
            try:
                async with self.db.writer() as session:
                    await session.run_sync(prune_older, self.settings.changes_retention_days)
                    await session.commit()
            except Exception as exc:
                log.warning("pruning changes: %s", exc)
