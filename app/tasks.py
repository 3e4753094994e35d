"""Background tasks of a worker (the change follower, the webhook dispatcher, the database watchdog…)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("geonews.tasks")


async def cancel_and_wait(task: asyncio.Task[None] | None, grace: float = 3.0) -> None:
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
