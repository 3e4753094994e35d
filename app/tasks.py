"""Background tasks of a worker (the change follower, the webhook dispatcher, the database watchdog…)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("geonews.tasks")


async def cancel_and_wait(task: asyncio.Task[Any] | None, grace: float = 3.0) -> None:
    """Cancel a background task and wait for it, but never forever: on Python 3.11 a cancellation that
    arrives while an `asyncio.timeout`/`wait_for` expires can be swallowed, and a loop that catches the
    resulting TimeoutError would then run on and hang the shutdown."""
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait({task}, timeout=grace)
    if not task.done():
        log.warning("background task %s did not stop; leaving it", task.get_name())


async def answered_within(aw: Awaitable[T], budget: float, step: float = 0.05) -> T:
    """`aw`'s result, or TimeoutError once the event loop has been free for `budget` seconds without it.

    `asyncio.timeout` counts wall-clock time, so a loop held elsewhere for 2 s (CPU work between two
    awaits, a burst of requests) fails a database that answered in a millisecond: its answer waited in
    the socket behind the loop, and the timer fires first. Here the wait is cut into short steps and a
    step counts for no longer than it was meant to last, so only time in which the answer could have
    been seen counts. A database that does not answer still fails after `budget` on an idle loop (later
    on a loop that is never free: being slow to declare an outage beats declaring one that is not)."""
    task = asyncio.ensure_future(aw)
    loop = asyncio.get_running_loop()
    waited = 0.0
    try:
        while waited < budget:
            wait = min(step, budget - waited)
            began = loop.time()
            await asyncio.wait({task}, timeout=wait)
            if task.done():
                return task.result()
            waited += min(loop.time() - began, wait)
        await asyncio.sleep(0)  # an answer read in the loop's last turn, whose task has yet to resume
        if task.done():
            return task.result()
        raise TimeoutError(f"no answer within {budget} s")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
