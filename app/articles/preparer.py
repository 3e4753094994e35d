"""Where the articles of a bulk request are prepared: in this worker's thread, or in a process pool.

Preparing (extract, clean, fingerprint, detect the language, link actors and places) is pure CPU, about
0.5-1 ms an article, and Python runs it on one core at a time: in a pool of GEONEWS_INGEST_PROCESSES worker
processes a bulk body is prepared on every core while this worker's event loop stays free. The pool is
started on the first bulk body of at least GEONEWS_INGEST_POOL_MIN_ITEMS articles (a worker that only
reads never starts one; a spawned process starts and builds its linkers in about a second) and started
again when the actors, aliases or places change (each process holds linkers built from them). Single
POSTs, small bulk bodies and `GEONEWS_INGEST_PROCESSES=0` are prepared inline, in a thread. Only a bulk
body (which has written nothing yet) comes here with a pool: its read transaction is ended before the
wait. Each process holds its linkers and the language model (~150 MiB).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from ..actors.gazetteer import current_gazetteer, load_entries
from ..ingestion.pipeline import ArticleInput, Prepared
from ..ingestion.workers import chunks, init_worker, prepare_chunk, prepare_items
from ..places.gazetteer import current_place_linker, load_records

log = logging.getLogger("geonews.ingest")

Failed = dict[str, Any]


class Preparer:
    def __init__(self, processes: int = 0, min_items: int = 1) -> None:
        self.processes = max(0, processes)
        self.min_items = max(1, min_items)
        self._pool: ProcessPoolExecutor | None = None
        self._built_from: tuple[Any, Any] | None = None  # the linkers the pool's processes were built like
        self._lock: asyncio.Lock | None = None

    async def prepare(
        self, session: AsyncSession, items: list[tuple[int, ArticleInput]]
    ) -> tuple[list[Prepared], list[Failed]]:
        """Prepared articles in item order, and a 422 failure for each that cannot be stored."""
        gazetteer = await session.run_sync(current_gazetteer)
        places = await session.run_sync(current_place_linker)
        if self.processes and len(items) >= self.min_items:
            pool = await self._pool_for(session, gazetteer, places)
            loop = asyncio.get_running_loop()
            # Submitted before anything else runs on the loop: another request may replace the pool
            # (work already given to a replaced pool still finishes there).
            futures = [loop.run_in_executor(pool, prepare_chunk, c) for c in chunks(items, self.processes)]
            # Hold no connection while the processes work (a bulk body has only read so far; storing
            # starts a new transaction): other requests must not wait for this one's pooled connection.
            await session.rollback()
            try:
                done = await asyncio.gather(*futures)
            except BrokenProcessPool:  # a process died (killed, out of memory): start afresh next time
                log.warning("ingest: a preparing process died; this request is prepared inline")
                self._drop_pool()
            else:
                return _split(r for part in done for r in part)

        return _split(await anyio.to_thread.run_sync(prepare_items, items, gazetteer, places))

    async def _pool_for(self, session: AsyncSession, gazetteer: Any, places: Any) -> ProcessPoolExecutor:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            built = self._built_from
            if self._pool is None or built is None or built[0] is not gazetteer or built[1] is not places:
                self._drop_pool()
                entries = await session.run_sync(load_entries)
                records = await session.run_sync(load_records)
                # spawn, not fork: this process has threads (the event loop's, SQLite's, the indexer's).
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(entries, records),
                )
                self._built_from = (gazetteer, places)
            return self._pool

    def _drop_pool(self) -> None:
        # Work already given to the old pool finishes there: another request may be waiting for it (two
        # requests that rebuild the linkers at once get two equal linkers, and the second replaces the pool).
        pool, self._pool, self._built_from = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=False)

    async def close(self) -> None:
        pool, self._pool, self._built_from = self._pool, None, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


def _split(results: Any) -> tuple[list[Prepared], list[Failed]]:
    prepared: list[Prepared] = []
    failed: list[Failed] = []
    for r in results:
        if isinstance(r, Prepared):
            prepared.append(r)
        else:
            failed.append({"index": r[0], "status": 422, "detail": r[1]})
    return prepared, failed


__all__ = ["Preparer"]
