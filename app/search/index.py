"""The search index of this process: a reader for every worker, and the indexer for the one worker that
holds Tantivy's writer lock, kept current by following the change log.

SQL is the source of truth. At start-up a missing index (or one of an older schema) is rebuilt from SQL in
the background — meanwhile every query is answered by SQL (app/articles/service.py decides). The indexer
then applies every article change after the index's durable `seq` (and re-indexes the articles of an actor
whose kind or country changed), commits at least every `index_commit_interval` seconds, and records the
seq with the commit (app/search/engine/indexer.py), so a killed indexer resumes from the log without losing
or doubling anything. The other workers reload their reader (two `stat` calls when nothing changed) and
take over the writer lock if its holder dies. On PostgreSQL every API instance keeps its own index
directory and follows the same log: reads scale with instances, with no search server to run.

`consistency=strong` reads call `caught_up()`: the index must have applied every change committed before
the read (the log's head), or the read goes to SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select

from ..changes import repository as changes_repo
from ..config import Settings
from ..db import make_sync_engine
from ..models import Actor
from ..tasks import cancel_and_wait
from .engine import (
    Encoder,
    Indexer,
    Reader,
    RebuildRunning,
    article_ids_mentioning,
    rebuild,
    status,
)
from .engine.repository import count_after

log = logging.getLogger("geonews.search")

PAGE = 2_000  # changes read per round
RETRY_WRITER = 5.0  # seconds between attempts to take the writer lock from a reader
# A server's rebuild of at least this many articles runs in a process of its own, whose memory goes with
# it: the worker that rebuilt the 1M corpus's index in a thread kept ~340 MiB more for the rest of its
# life (487 MiB RSS when ready, 439 anonymous, against 146 and 100 this way; glibc's malloc_trim gave back
# a tenth of it at 100k: the rest is Python's and Tantivy's fragments).
# Smaller ones stay in a thread (a process costs ~1 s to start).
REBUILD_APART_MIN = 50_000
_REBUILD_RUNNING = 3  # the rebuild process's exit status when another process holds the rebuild lock


class RebuildStopped(RuntimeError):
    """A server's rebuild process ended by a signal (SIGTERM to the server's process group, the OOM
    killer): its build resumes at the next attempt."""


def index_dir(settings: Settings) -> Path:
    """GEONEWS_INDEX_DIR, else `<database file>.index` beside a SQLite file, else ./geonews-index/<db>."""
    if settings.index_dir:
        return Path(settings.index_dir)
    from ..dialect import sqlite_file

    db_file = sqlite_file(settings.sync_url)
    if db_file is not None:
        return db_file.with_name(db_file.name + ".index")
    from sqlalchemy.engine import make_url

    url = make_url(settings.sync_url)
    return Path("geonews-index") / f"{url.host or 'local'}-{url.port or 5432}-{url.database}"


class SearchIndex:
    def __init__(self, db: Any, hub: Any, settings: Settings) -> None:
        self.db, self.hub, self.settings = db, hub, settings
        self.dir = index_dir(settings)
        self.reader: Reader | None = None
        # Where documents are encoded when this process indexes (set by the app: its preparing pool).
        self.encoder: Encoder | None = None
        self.indexer: Indexer | None = None
        self.applied = 0  # the last change applied by this process's indexer (committed or not)
        self.state = "starting"  # starting | building | ready | failed
        self._sync_engine: Any = None
        self._actors: dict[int, tuple[str, str | None]] = {}
        self._last_commit = time.monotonic()
        self._pending = 0
        self._urgent = asyncio.Event()
        self._committed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._writing = threading.Lock()  # one thread at a time uses the Tantivy writer

    # -- what the planner asks -------------------------------------------------------------------------

    @property
    def usable(self) -> bool:
        """The reader has a complete index that this version's searches can read: of the current schema,
        or of an earlier one that keeps answering while the current one is built (READABLE_VERSIONS)."""
        r = self.reader
        return r is not None and r.meta is not None and r.meta.readable

    @property
    def seq(self) -> int:
        return self.reader.seq if self.reader is not None else 0

    def lag(self) -> int:
        """Changes committed to the log that searches do not see yet."""
        return max(0, self.hub.position - self.seq) if self.usable else -1

    async def caught_up(self, head: int, seconds: float) -> bool:
        """Wait (bounded) until searches see every change up to `head`; ask our indexer to commit now."""
        if not self.usable:
            return False
        deadline = time.monotonic() + seconds
        while self.seq < head:
            self._urgent.set()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            async with self._committed:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left, 0.05)):
                        await self._committed.wait()
            await asyncio.to_thread(self._reload)
        return True

    # -- life ------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        from ..dialect import sqlite_file

        beside_sqlite = not self.settings.index_dir and sqlite_file(self.settings.sync_url) is not None
        try:
            # Beside a SQLite file, never create the database's directory (SQLite would then create an
            # empty database in it, and a wrong path would look like an empty service).
            self.dir.mkdir(parents=not beside_sqlite, exist_ok=True)
        except OSError as exc:
            log.warning("search index: cannot create %s (%s); searches go to SQL", self.dir, exc)
            self.state = "failed"
            return
        self.reader = await asyncio.to_thread(Reader, self.dir)
        self._sync_engine = self.db.sync_engine or make_sync_engine(self.settings)
        self._task = asyncio.create_task(self._run(), name="geonews-search-index")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task, grace=10.0)
        await asyncio.to_thread(self._close_indexer)
        if self._sync_engine is not None and self._sync_engine is not self.db.sync_engine:
            self._sync_engine.dispose()

    async def _run(self) -> None:
        next_try = 0.0
        while not self._stopping:
            try:
                if self.indexer is None and time.monotonic() >= next_try:
                    await self._become_indexer()
                    next_try = time.monotonic() + RETRY_WRITER
                if self.indexer is not None:
                    await self._follow()
                else:
                    await asyncio.to_thread(self._reload)
                self.state = "ready" if self.usable else self.state
                await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A stopped rebuild process has no traceback worth printing (it resumes where it stopped).
                log.warning("search index: %s", exc, exc_info=not isinstance(exc, RebuildStopped))
                self.state = "failed" if not self.usable else self.state
                await asyncio.sleep(1.0)

    async def _idle(self) -> None:
        """Until there is news, the commit falls due, or a strong read is waiting."""
        wait = (
            self.settings.index_commit_interval
            if self._pending
            else max(0.2, self.settings.changes_poll_interval)
        )
        news = asyncio.create_task(
            self.hub.wait_beyond(self.applied if self.indexer else self.seq, wait),
            name="geonews-search-index-news",
        )
        urgent = asyncio.create_task(self._urgent.wait(), name="geonews-search-index-urgent")
        try:
            await asyncio.wait({news, urgent}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (news, urgent):
                t.cancel()

    async def _become_indexer(self) -> None:
        st = await asyncio.to_thread(status, self.dir)
        if st.needs_rebuild:
            async with self.db.reader() as session:
                head = await changes_repo.head(session)
            self.state = "building"
            log.info("building the search index in %s from the database (changes up to %d)", self.dir, head)
            try:
                await self._rebuild(head)
            except RebuildRunning:
                return  # another process builds it; we read it when it switches
        self.indexer = await asyncio.to_thread(Indexer.try_open, self.dir)
        if self.indexer is not None:
            self.indexer.encoder = self.encoder
            self.applied = self.indexer.seq
            self._actors = await asyncio.to_thread(self._load_actors)
        await asyncio.to_thread(self._reload)

    async def _rebuild(self, seq: int) -> None:
        """A new generation from the database: in a thread, or (REBUILD_APART_MIN articles and more) in a
        process of its own, stopped when this task is cancelled (the next start resumes it)."""
        articles = await asyncio.to_thread(self._articles)
        if articles < REBUILD_APART_MIN:
            report = await asyncio.to_thread(rebuild, self._sync_engine, self.dir, seq=seq, progress=False)
            log.info("search index built: %s", report)
            return
        started = time.monotonic()
        proc = multiprocessing.get_context("spawn").Process(
            target=_rebuild_apart,
            args=(self.settings, str(self.dir), seq),
            name="geonews-index-rebuild",
            daemon=True,  # stopped with this process
        )
        proc.start()
        try:
            await asyncio.to_thread(proc.join)
        except asyncio.CancelledError:
            proc.terminate()
            await asyncio.shield(asyncio.to_thread(proc.join, 10))
            raise
        if proc.exitcode == _REBUILD_RUNNING:
            raise RebuildRunning(f"A rebuild of {self.dir} is already running.")
        if proc.exitcode is not None and proc.exitcode < 0:  # a signal: a stop of the server's group, OOM
            raise RebuildStopped(
                f"the search index's rebuild process was stopped by signal {-proc.exitcode}; "
                "the next attempt resumes it"
            )
        if proc.exitcode != 0:
            raise RuntimeError(f"the search index's rebuild process exited with status {proc.exitcode}")
        log.info(
            "search index built from %d articles in a process of its own in %.1f s",
            articles,
            time.monotonic() - started,
        )

    def _articles(self) -> int:
        with self._sync_engine.connect() as conn:
            return count_after(conn, 0)

    # -- following the log -------------------------------------------------------------------------------

    async def _follow(self) -> None:
        assert self.indexer is not None
        async with self.db.reader() as session:
            if self.applied < await changes_repo.pruned_through(session):
                # The changes this index misses were pruned: only a rebuild can bring it back.
                log.warning("search index is behind the retained change log: rebuilding")
                await asyncio.to_thread(self._close_indexer)
                await self._rebuild(await changes_repo.head(session))
                return
            rows = await changes_repo.touched(session, self.applied, PAGE)
        if rows:
            await asyncio.to_thread(self._apply, rows)
        due = time.monotonic() - self._last_commit >= self.settings.index_commit_interval
        if self._pending and (due or self._urgent.is_set() or len(rows) < PAGE):
            await asyncio.to_thread(self._commit)
            self._urgent.clear()
            async with self._committed:
                self._committed.notify_all()
        elif not self._pending:
            self._urgent.clear()

    def _close_indexer(self) -> None:
        # Waits for an apply or commit still running in its thread (a cancelled task leaves it running).
        with self._writing:
            indexer, self.indexer = self.indexer, None
            if indexer is not None:
                indexer.close()

    def _apply(self, rows: list[dict[str, Any]]) -> None:
        """Refresh the articles these changes touch (sync, in a worker thread)."""
        with self._writing:
            if self.indexer is not None:
                self._apply_locked(rows)

    def _apply_locked(self, rows: list[dict[str, Any]]) -> None:
        assert self.indexer is not None
        articles = {r["entity_id"] for r in rows if r["entity"] == "article"}
        moved = [r["entity_id"] for r in rows if r["entity"] == "actor" and self._actor_moved(r)]
        last = rows[-1]["seq"]
        with self._sync_engine.connect() as conn:
            if moved:
                articles |= set(article_ids_mentioning(conn, moved))
            if articles:
                self.indexer.refresh(conn, sorted(articles), last)
        self.applied = last
        self._pending += len(articles) or 1

    def _actor_moved(self, change: dict[str, Any]) -> bool:
        """An actor's kind or country is copied into the documents of its articles: did it change?"""
        data = change.get("data") or {}
        now = (data.get("kind"), data.get("country")) if change["op"] != "deleted" else None
        before = self._actors.get(change["entity_id"])
        if now is None:
            self._actors.pop(change["entity_id"], None)
        else:
            self._actors[change["entity_id"]] = now  # type: ignore[assignment]
        return before is not None and before != now

    def _commit(self) -> None:
        with self._writing:
            if self.indexer is not None:
                self._commit_locked()

    def _commit_locked(self) -> None:
        assert self.indexer is not None
        resume = self.indexer.commit(self.applied)
        if resume != self.applied:  # a rebuild switched generations: replay the log from its seq
            self.applied = resume
        self._pending = 0
        self._last_commit = time.monotonic()
        self._reload()

    def _load_actors(self) -> dict[int, tuple[str, str | None]]:
        with self._sync_engine.connect() as conn:
            return {i: (k, c) for i, k, c in conn.execute(select(Actor.id, Actor.kind, Actor.country))}

    def _reload(self) -> None:
        if self.reader is not None:
            self.reader.reload()


async def get_search(request: Request) -> SearchIndex | None:
    """This process's search index (None when GEONEWS_SEARCH_ENGINE is off)."""
    return request.app.state.search  # type: ignore[no-any-return]


SearchDep = Annotated[SearchIndex | None, Depends(get_search)]


def consistency_of(request: Request, asked: str | None) -> str:
    return asked or request.app.state.settings.search_consistency


async def answers(session: Any, index: SearchIndex | None, consistency: str) -> bool:
    """Whether the index may answer this read: it is ready, and with `strong` it shows every change
    committed before the read (waiting up to search_strong_wait_s for it)."""
    if index is None or not index.usable:
        return False
    if consistency != "strong":
        return True
    head = await changes_repo.head(session)
    await session.rollback()  # hold no read transaction while waiting
    wait = index.settings.search_strong_wait_s
    if await index.caught_up(head, wait):
        return True
    if not index.usable:  # a rebuild switched it out meanwhile: /readyz says so
        return False
    # SQL answers, correctly but slower at scale: say why (an indexer that stalls is an operator's problem).
    log.warning(
        "search index: a strong read waited %.1f s and the index still shows change %d of %d (%s, %s); "
        "SQL answers it",
        wait,
        index.seq,
        head,
        index.state,
        "indexing here" if index.indexer is not None else "another process indexes",
    )
    return False


def _rebuild_apart(settings: Settings, directory: str, seq: int) -> None:
    """A rebuild process's work (SearchIndex._rebuild): its own engine on the server's settings, at
    GEONEWS_INDEX_REBUILD_NICE."""
    if settings.index_rebuild_nice:
        # First, while this is the process's only thread: Linux keeps a niceness per thread, and the
        # threads started later (Tantivy's writer, SQLite's) take their creator's.
        with contextlib.suppress(OSError, AttributeError):
            os.nice(settings.index_rebuild_nice)
    engine = make_sync_engine(settings)
    try:
        rebuild(engine, directory, seq=seq, progress=False)
    except RebuildRunning:
        raise SystemExit(_REBUILD_RUNNING) from None
    finally:
        engine.dispose()
