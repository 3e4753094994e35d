"""One follower of the change log per worker process, fanning new changes out to its subscribers.

The hub reads each new change once (`repository.newer`) and offers it to every subscriber whose filter
matches, through a bounded queue: SSE connections and long-polls cost no query per change, and a
subscriber that does not keep up overflows (it is told where to resume and closed) instead of buffering
without bound. It wakes on PostgreSQL's NOTIFY (sent by every commit that writes changes, app/outbox.py)
and polls as well, so a lost notification or a restarted database only delays it; on SQLite it polls
(`SELECT max(seq)`-cheap, every `changes_poll_interval` seconds).

Every worker runs its own hub, so the feed works with `--workers N` and behind several instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque
from typing import Any

from ..dialect import sqlite_file
from ..errors import ServiceUnavailable
from ..tasks import cancel_and_wait
from . import repository
from .filters import ChangeFilter, Memberships

log = logging.getLogger("geonews.changes")

PAGE = 1000
OVERFLOW = object()  # the last item of a subscriber that fell behind
CLOSED = object()  # what a closed subscription gives once drained
UNKNOWN = -1  # the hub's position before its first look at the log


class Subscription:
    """What the hub brings one subscriber: a bounded buffer of matching changes, and the one reader's
    wait for it. Leaner than an asyncio.Queue (one deque, one future only while a reader waits): an
    idle SSE connection holds one of these (app/sse.py)."""

    __slots__ = ("filter", "start", "limit", "buffer", "overflowed", "closed", "_waiter")

    def __init__(self, flt: ChangeFilter, start: int, limit: int = 1000) -> None:
        self.filter = flt
        self.start = start  # the hub's position when it subscribed: the hub delivers what comes after it
        self.limit = limit
        self.buffer: deque[Any] | None = None  # only while something waits to be read
        self.overflowed = False
        self.closed = False  # the subscriber left (or the server stops): a waiting reader gets CLOSED
        self._waiter: asyncio.Future[None] | None = None

    def pending(self) -> int:
        return len(self.buffer) if self.buffer is not None else 0

    def put(self, item: Any) -> None:
        if self.buffer is None:
            self.buffer = deque()
        self.buffer.append(item)
        self._wake()

    def clear(self) -> None:
        self.buffer = None

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, within: float | None = None) -> Any:
        """The next buffered item (a change row, or OVERFLOW last); CLOSED once closed and drained; None
        when nothing came within `within` seconds."""
        if self.buffer is None and not self.closed:
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(within, _resolve, waiter) if within is not None else None
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if self.buffer is not None:
            item = self.buffer.popleft()
            if not self.buffer:
                self.buffer = None
            return item
        return CLOSED if self.closed else None


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class ChangeHub:
    def __init__(self, db: Any, *, poll_interval: float = 0.1, buffer: int = 1000) -> None:
        self.db = db
        self.poll_interval = poll_interval
        self.buffer = buffer
        self.position = 0
        self.subscribers: set[Subscription] = set()
        self._members: dict[int, Memberships] = {}
        self._moved = asyncio.Condition()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None
        self._stopping = False
        self._version_conn: sqlite3.Connection | None = None
        self._version: int | None = None

    # -- life -------------------------------------------------------------------------------------------

    async def start(self) -> None:
        # The position is learnt on the first pass (the database may be unavailable right now).
        self.position = UNKNOWN
        self._task = asyncio.create_task(self._run(), name="geonews-change-hub")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task)
        await self._close_listener()
        if self._version_conn is not None:
            self._version_conn.close()
            self._version_conn = None
        for sub in list(self.subscribers):
            self._overflow(sub)

    async def _run(self) -> None:
        self._wake.set()  # learn the position at once
        while not self._stopping:
            try:
                if not self.db.is_sqlite and self._listener is None:
                    await self._listen()
                # asyncio.timeout, not wait_for: no task is created for each wait.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval()):
                        await self._wake.wait()
                self._wake.clear()
                await self._pump()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down or restarting: keep following
                log.warning("change follower: %s", exc)
                await self._close_listener()
                await asyncio.sleep(1.0)

    def _interval(self) -> float:
        # With NOTIFY, polling is only the safety net.
        return self.poll_interval if self._listener is None else max(1.0, self.poll_interval)

    async def _listen(self) -> None:
        import asyncpg

        from ..outbox import NOTIFY_CHANNEL

        url = self.db.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
        try:
            conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"), timeout=5)
        except Exception as exc:
            log.info("change follower polls (no LISTEN connection: %s)", exc)
            return
        await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        self._listener = conn

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    # -- following ----------------------------------------------------------------------------------------

    def _data_version(self) -> int | None:
        """On a SQLite file, a number that changes whenever another connection commits (`PRAGMA
        data_version` on a connection of the hub's own: a few µs, against a session and a query every
        poll, ~3 % of an idle worker's CPU); None elsewhere."""
        if not self.db.is_sqlite:
            return None
        if self._version_conn is None:
            path = sqlite_file(self.db.settings.sync_url)
            if path is None or not path.exists():
                return None
            # Read-only: it only asks, and must never create a database file.
            self._version_conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    def _sqlite_head(self) -> int | None:
        """The log's head read on the hub's own read-only connection (`_data_version`'s): ~8 µs, where a
        session and its query cost ~170 µs each time a commit moved the head; None where there is no such
        connection (PostgreSQL, an in-memory database)."""
        if self._version_conn is None:
            return None
        row = self._version_conn.execute(repository.HEAD_SQL).fetchone()
        return int(row[0] or 0)

    async def _pump(self) -> None:
        # Read before the log is: a commit after this changes it again, so nothing is skipped.
        version = self._data_version()
        if version is not None and version == self._version and self.position != UNKNOWN:
            return
        await self._follow()
        self._version = version  # only once the log was read

    async def _follow(self) -> None:
        if self.position == UNKNOWN:
            async with self.db.reader() as session:
                head = await repository.head(session)
            async with self._moved:
                self.position = head  # from now on: what came before is read from the log, not pushed
                self._moved.notify_all()
            return
        if not self.subscribers and await self._skip_to_head():
            return
        while True:
            async with self.db.reader() as session:
                rows = await repository.newer(session, self.position, PAGE)
                if not rows:
                    return
                if any(r["entity"] == "relation" for r in rows):
                    self._members.clear()  # memberships may have changed
                for org in {s.filter.org_id for s in self.subscribers} - {None} - self._members.keys():
                    assert org is not None
                    self._members[org] = await repository.memberships(session, org)
            for sub in list(self.subscribers):
                self._offer(sub, rows)
            async with self._moved:
                self.position = rows[-1]["seq"]
                self._moved.notify_all()
            if len(rows) < PAGE:
                return

    async def _skip_to_head(self) -> bool:
        """With nobody subscribed, move to the log's head without reading the changes on the way (during
        bulk ingestion, reading and decoding every change cost this worker 5-10 % of its GIL time);
        False when someone subscribed meanwhile: their changes are read and offered as usual."""
        head = self._sqlite_head()
        if head is None:
            async with self.db.reader() as session:
                head = await repository.head(session)
        if self.subscribers:  # subscribed during the read: it starts at the position before the skip
            return False
        self._members.clear()  # a relation may have changed on the way
        self.position = max(self.position, head)
        async with self._moved:
            self._moved.notify_all()
        return True

    def _offer(self, sub: Subscription, rows: list[dict[str, Any]]) -> None:
        members = self._members.get(sub.filter.org_id) if sub.filter.org_id is not None else None
        for row in rows:
            if row["seq"] <= sub.start or sub.overflowed:
                continue
            if sub.filter.matches(row, members):
                if sub.pending() >= sub.limit:
                    self._overflow(sub)
                else:
                    sub.put(row)

    def _overflow(self, sub: Subscription) -> None:
        sub.overflowed = True
        self.subscribers.discard(sub)
        sub.clear()  # the subscriber resumes from its own last delivered seq anyway
        sub.put(OVERFLOW)

    # -- subscribers ----------------------------------------------------------------------------------------

    async def subscribe(self, flt: ChangeFilter) -> Subscription:
        """A new subscriber: the hub brings it every matching change after its current position (the
        subscriber reads what came before from the log)."""
        if self.position == UNKNOWN:
            await self.wait_beyond(UNKNOWN, 10.0)
            if self.position == UNKNOWN:
                raise ServiceUnavailable(
                    "The change log cannot be read right now.", headers={"Retry-After": "1"}
                )
        sub = Subscription(flt, self.position, self.buffer)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    async def wait_beyond(self, seq: int, seconds: float) -> bool:
        """Wait (at most `seconds`) until the hub has seen a change after `seq`."""
        async with self._moved:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._moved.wait_for(lambda: self.position > seq)
            return self.position > seq

    def nudge(self) -> None:
        """Look for new changes now (after a local commit that wrote some)."""
        self._wake.set()
