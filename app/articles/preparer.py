"""Where the articles of a bulk request are prepared: in this worker's thread, or in a process pool.

Decoding, validating and preparing an article (extract, clean, fingerprint, detect the language, link
actors and places) is pure CPU, about 0.5 ms, and Python runs it on one core at a time: in a pool of
GEONEWS_INGEST_PROCESSES worker processes a bulk body is decoded, validated and prepared on every core
while this worker stores the one before and indexes. The pool also encodes the search index's documents
for this worker's indexer while it runs (`encode_documents`). On 2 cores that moved a bulk ingest from
~1,090 to ~1,400-1,500 articles/s once the processes had started (docs/benchmarks.md, twenty-first session).

The pool starts with the worker when GEONEWS_INGEST_PROCESSES > 0 (`start`: a spawned process imports and
builds its linkers in about a second; an ingestion node's first body need not wait for it), or else on
the first bulk body of at least GEONEWS_INGEST_POOL_MIN_ITEMS articles, and again when the actors,
aliases or places change (each process holds linkers built from them). Single POSTs, small bulk bodies
and `GEONEWS_INGEST_PROCESSES=0` (the default: a worker that only reads never pays for processes) are
prepared inline, in a thread. Only a bulk body (which has written nothing yet) comes here with a pool:
its read transaction is ended before the wait. Each process holds its linkers and the language model
(~150 MiB).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from ..actors.gazetteer import current_gazetteer, load_entries
from ..ingestion.pipeline import ArticleInput, Prepared
from ..ingestion.workers import chunks, init_worker, prepare_chunk, prepare_items, ready
from ..places.gazetteer import current_place_linker, load_records
from ..search.engine.documents import to_json_all
from ..tasks import cancel_and_wait
from . import bulk

log = logging.getLogger("geonews.ingest")

Failed = dict[str, Any]


class Preparer:
    def __init__(self, processes: int = 0, min_items: int = 1, nice: int = 0) -> None:
        self.processes = max(0, processes)
        self.min_items = max(1, min_items)
        self.nice = nice  # the processes' niceness, added to this one's (GEONEWS_INGEST_NICE)
        self._pool: ProcessPoolExecutor | None = None
        self._built_from: tuple[Any, Any] | None = None  # the linkers the pool's processes were built like
        self._lock: asyncio.Lock | None = None
        self._warming: asyncio.Task[None] | None = None
        self._up: ProcessPoolExecutor | None = None  # a pool whose processes have answered

    async def prepare(
        self, session: AsyncSession, items: list[tuple[int, ArticleInput]]
    ) -> tuple[list[Prepared], list[Failed]]:
        """Prepared articles in item order, and a 422 failure for each that cannot be stored."""
        if self._pooled(len(items)):
            done = await self._in_pool(session, prepare_chunk, items)
            if done is not None:
                return done
        return await self._inline(session, items)

    async def prepare_raw(
        self, session: AsyncSession, objects: list[tuple[int, Any]]
    ) -> tuple[list[Prepared], list[Failed]]:
        """A bulk body's items as `bulk.split` gives them, decoded, validated and prepared: in the pool's
        processes when it runs them (decoding and validating too), else here. Failures in index order
        of their kind (those of decoding first), as bulk.decode_all and `prepare` give them."""
        if self._pooled(len(objects)):
            done = await self._in_pool(session, bulk.prepare_raw, objects)
            if done is not None:
                return done
        items, failed = await anyio.to_thread.run_sync(bulk.decode_all, objects)
        prepared, more = await self._inline(session, [(i, bulk.to_input(d)) for i, d in items])
        return prepared, failed + more

    @property
    def started(self) -> bool:
        """Whether the pool's processes are up (/readyz says so: an ingestion node is warm)."""
        return self._pool is not None and self._up is self._pool

    def start(self, db: Any) -> None:
        """Start the pool's processes in the background (an ingestion node's first bulk body then finds
        them ready instead of waiting ~1 s for them); a no-op without processes."""
        if self.processes and self._warming is None:
            self._warming = asyncio.create_task(self._warm(db), name="geonews-ingest-pool-start")

    async def _warm(self, db: Any) -> None:
        try:
            async with db.reader() as session:
                gazetteer = await session.run_sync(current_gazetteer)
                places = await session.run_sync(current_place_linker)
                pool = await self._pool_for(session, gazetteer, places)
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(pool, ready) for _ in range(self.processes)))
            self._up = pool
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the first bulk body starts it (or prepares inline) instead
            log.warning("ingest: could not start the preparing processes: %s", exc)

    def encode_documents(self, docs: list[Any]) -> list[str] | None:
        """The search index's documents encoded in the pool, when it runs (a bulk ingest started it), in
        order; None otherwise, or when it was shut down or a process died meanwhile (the indexer then
        encodes them). Called from the indexer's thread: it waits, the event loop does not."""
        pool = self._pool
        if pool is None or len(docs) < self.min_items:
            return None
        try:
            futures = [pool.submit(to_json_all, c) for c in chunks(docs, self.processes)]
            return [j for f in futures for j in f.result()]
        except (BrokenProcessPool, RuntimeError, CancelledError):  # shut down (replaced) meanwhile
            return None

    def _pooled(self, n: int) -> bool:
        return bool(self.processes) and n >= self.min_items

    async def _inline(
        self, session: AsyncSession, items: list[tuple[int, ArticleInput]]
    ) -> tuple[list[Prepared], list[Failed]]:
        gazetteer = await session.run_sync(current_gazetteer)
        places = await session.run_sync(current_place_linker)
        return _split(await anyio.to_thread.run_sync(prepare_items, items, gazetteer, places))

    async def _in_pool(
        self, session: AsyncSession, task: Callable[[list[Any]], list[Any]], items: list[Any]
    ) -> tuple[list[Prepared], list[Failed]] | None:
        """`task` over chunks of `items` in the pool; None when a process died (the caller prepares inline)."""
        gazetteer = await session.run_sync(current_gazetteer)
        places = await session.run_sync(current_place_linker)
        pool = await self._pool_for(session, gazetteer, places)
        loop = asyncio.get_running_loop()
        # Submitted before anything else runs on the loop: another request may replace the pool
        # (work already given to a replaced pool still finishes there).
        futures = [loop.run_in_executor(pool, task, c) for c in chunks(items, self.processes)]
        # Hold no connection while the processes work (a bulk body has only read so far; storing
        # starts a new transaction): other requests must not wait for this one's pooled connection.
        await session.rollback()
        try:
            done = await asyncio.gather(*futures)
        except BrokenProcessPool:  # a process died (killed, out of memory): start afresh next time
            log.warning("ingest: a preparing process died; this request is prepared inline")
            self._drop_pool()
            return None
        self._up = pool
        return _split(r for part in done for r in part)

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
                    initargs=(entries, records, self.nice),
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
        await cancel_and_wait(self._warming)
        pool, self._pool, self._built_from = self._pool, None, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


def _split(results: Any) -> tuple[list[Prepared], list[Failed]]:
    prepared: list[Prepared] = []
    failed: list[Failed] = []
    for r in results:
        if isinstance(r, Prepared):
            prepared.append(r)
        elif isinstance(r, dict):  # decoding's failure entry
            failed.append(r)
        else:  # (index, why preparing refused it)
            failed.append({"index": r[0], "status": 422, "detail": r[1]})
    return prepared, failed


__all__ = ["Preparer"]
