"""The readiness probe and the check-out ping judge the database, not the event loop.

A worker whose loop is held for a while (CPU work between two awaits, a burst of requests) must not call a
database that answered in a millisecond "down": its answer waited in the socket behind the loop. And two
callers probing at once (/readyz beside the watchdog) share one probe instead of colliding on the probe
connection. (A database that really does not answer is covered by test_database_faults.py.)"""

from __future__ import annotations

import asyncio
import time

import pytest

from app.config import Settings
from app.db import Database
from app.tasks import answered_within

HELD = 0.6  # how long the loop is held, past the timeout below
TIMEOUT = 0.3


async def _held_loop_answer(wait: str) -> str:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()
    # The loop is held from its next turn (before any timer is due, however late that turn comes), and
    # the answer comes while it is held; so does the timeout's deadline.
    loop.call_soon(time.sleep, HELD)
    loop.call_later(0.1, answer.set_result, "ok")
    if wait == "answered_within":
        return await answered_within(answer, TIMEOUT)
    async with asyncio.timeout(TIMEOUT):
        return await answer


def test_an_answer_that_waited_behind_a_held_loop_counts():
    assert asyncio.run(_held_loop_answer("answered_within")) == "ok"


def test_a_wall_clock_timeout_fails_the_same_answer():
    """What the probe did before: the timer expired while the loop was held and fired first."""
    with pytest.raises(TimeoutError):
        asyncio.run(_held_loop_answer("asyncio.timeout"))


def test_no_answer_times_out_and_is_cancelled():
    async def main() -> tuple[float, asyncio.Task[None]]:
        never = asyncio.ensure_future(asyncio.Event().wait())
        began = time.monotonic()
        with pytest.raises(TimeoutError):
            await answered_within(never, TIMEOUT)
        return time.monotonic() - began, never  # type: ignore[return-value]

    elapsed, never = asyncio.run(main())
    assert never.cancelled()
    assert TIMEOUT <= elapsed < TIMEOUT * 10  # it ends: a bound against a hang, not a speed check


def test_a_cancelled_caller_cancels_the_wait():
    async def main() -> asyncio.Task[None]:
        never = asyncio.ensure_future(asyncio.Event().wait())
        caller = asyncio.ensure_future(answered_within(never, 60))
        await asyncio.sleep(0.05)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        return never

    assert asyncio.run(main()).cancelled()


def test_errors_pass_through():
    async def fails() -> None:
        raise ConnectionResetError("gone")

    with pytest.raises(ConnectionResetError):
        asyncio.run(answered_within(fails(), 1))


async def _probe(settings: Settings, *, held: bool, callers: int) -> tuple[list[bool], bool]:
    db = Database(settings.model_copy(update={"readiness_timeout": TIMEOUT}))
    try:
        assert await db.health.check()  # the probe connection is open
        if held:
            probe = db.health._probe

            async def probe_then_hold() -> None:
                # The loop is held right after the probe is sent (its statement on PostgreSQL, its thread
                # on SQLite): the answer comes while it is held, and the timer expires meanwhile.
                asyncio.get_running_loop().call_soon(time.sleep, HELD)
                await probe()

            db.health._probe = probe_then_hold  # type: ignore[method-assign]
        results = await asyncio.gather(*(db.health.check() for _ in range(callers)))
        return results, db.health.available
    finally:
        await db.health.stop()
        await db.engine.dispose()


def test_probe_answered_behind_a_held_loop_is_up(settings):
    results, available = asyncio.run(_probe(settings, held=True, callers=1))
    assert results == [True] and available


def test_concurrent_checks_share_one_probe(settings):
    """Before, on PostgreSQL, the second statement sent on the probe connection failed ("another operation
    is in progress"), and two such failures closed the gate for every request."""
    for _ in range(3):
        results, available = asyncio.run(_probe(settings, held=False, callers=5))
        assert results == [True] * 5 and available
