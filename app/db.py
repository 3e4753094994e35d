"""Engines and sessions. The async engine serves HTTP; the sync engine runs migrations and bulk CLI loads.

SQLite runs in WAL mode with a busy timeout. Its driver's own transaction handling is switched off so that
SQLAlchemy emits BEGIN itself: writes start with BEGIN IMMEDIATE, so two writers queue on the lock instead
of failing on a read-to-write upgrade.

Faults are bounded in time, so that a database that is away, frozen or stuck costs a client a fast 503
(app/errors.py classifies the exceptions) instead of a hung worker:
- every statement has a deadline: `statement_timeout` on each PostgreSQL connection, a progress handler on
  each SQLite connection that interrupts a statement past it;
- connecting, checking a connection out of the pool and pinging it before use have their own, short
  timeouts (a SIGSTOPped PostgreSQL accepts TCP connections and then never answers);
- on PostgreSQL a per-worker watchdog keeps one connection of its own and probes it; while the database
  does not answer, requests get their 503 at once without touching the pool, and the first probe that
  succeeds lets them through again (no restart needed);
- SQLite writers queue: one write transaction at a time inside each worker (an asyncio lock), and
  BEGIN IMMEDIATE retried with backoff across workers, both within `sqlite_write_budget`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_, in_greenlet

from . import outbox  # noqa: F401  (registers the before_commit hook that writes recorded changes)
from .config import Settings
from .dialect import READ_CACHE_KIB, WRITE_CACHE_MIB, immediate_writes
from .errors import BUSY, UNAVAILABLE, ServiceUnavailable
from .inline import InlineSessionMaker
from .tasks import answered_within, cancel_and_wait

log = logging.getLogger("geonews.db")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROGRESS_STEPS = 10_000  # SQLite VM instructions between two deadline checks (~0.1–1 ms of work)
NO_DEADLINE = float("inf")

# When the current request's SQLite write must have begun by (monotonic seconds): the in-worker queue and
# the BEGIN IMMEDIATE retries share one budget.
_write_deadline: ContextVar[float | None] = ContextVar("geonews_write_deadline", default=None)


def _maybe(fn: Callable[[float], float]) -> Callable[[float | None], float | None]:
    return lambda x: None if x is None else fn(x)


STATEMENT_LIMIT = (
    "statement_limit"  # seconds, on a SQLite connection's info (GEONEWS_DB_STATEMENT_TIMEOUT_MS)
)


def cursor_rows(conn: Any, raw: RawStatement, values: dict[str, Any]) -> list[Any]:
    """Run a compiled statement (RawStatement, its values by name) on a SQLite Connection's own DB-API
    cursor, in its transaction: its rows as the driver gives them (tuples; `raw.processors` convert a
    column's values where the caller needs them), without SQLAlchemy's per-execution and per-row work
    (for the few statements of a batch's store that read or write thousands of rows, or run thousands of
    times). The statement deadline restarts as for SQLAlchemy's statements (`_start_clock`): the progress
    handler would otherwise judge it by the last of those. Works on pysqlite and on SQLAlchemy's
    aiosqlite adapter (in its greenlet)."""
    deadline, limit = conn.info.get("deadline"), conn.info.get(STATEMENT_LIMIT)
    if deadline is not None and limit:
        deadline[0] = time.monotonic() + limit
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(raw.sql, raw.params(values))  # not chained: the aiosqlite adapter's returns None
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()


def _install_sqlite_pragmas(sync_engine: Engine, settings: Settings, cache_mib: int = 0) -> None:
    busy_timeout_ms = settings.sqlite_busy_timeout_ms
    limit = settings.db_statement_timeout_ms / 1000

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # 2 MiB of page cache a connection (unless the engine is a writer's, `cache_mib`) and no mmap: the
        # OS page cache holds the hot pages once for every process, and the server's resident memory stays
        # small (mapped pages count as RSS).
        cur.execute(f"PRAGMA cache_size=-{max(READ_CACHE_KIB, cache_mib * 1024)}")
        cur.execute("PRAGMA temp_store=MEMORY")
        record.info[WRITE_CACHE_MIB] = settings.sqlite_write_cache_mb  # what dialect.write_cache raises it to
        try:  # the geographic filters' haversine (app/geo.py); SQLite < 3.35 or built without math
            cur.execute("SELECT sin(0.5), cos(0.5)")
        except Exception:  # noqa: BLE001 - any driver's "no such function"
            dbapi_conn.create_function("sin", 1, _maybe(math.sin), deterministic=True)
            dbapi_conn.create_function("cos", 1, _maybe(math.cos), deterministic=True)
        cur.close()
        if limit <= 0:
            return
        deadline = [NO_DEADLINE]
        record.info["deadline"] = deadline
        record.info[STATEMENT_LIMIT] = limit

        def past_deadline() -> int:
            return 1 if time.monotonic() > deadline[0] else 0

        driver = getattr(dbapi_conn, "driver_connection", None)
        if driver is not None and driver is not dbapi_conn:  # aiosqlite: the handler runs in its thread
            await_(driver.set_progress_handler(past_deadline, PROGRESS_STEPS))
        else:
            dbapi_conn.set_progress_handler(past_deadline, PROGRESS_STEPS)

    if limit > 0:

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _start_clock(conn: Any, *_: Any) -> None:
            deadline = conn.info.get("deadline")
            if deadline is not None:
                deadline[0] = time.monotonic() + limit

        @event.listens_for(sync_engine, "checkin")
        def _stop_clock(_dbapi_conn: Any, record: Any) -> None:
            deadline = record.info.get("deadline")
            if deadline is not None:
                deadline[0] = NO_DEADLINE

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_begin") != "immediate":
            # Straight on the driver's connection: through exec_driver_sql this BEGIN cost as much as a
            # by-id read's own statement.
            cursor = conn.connection.dbapi_connection.cursor()  # pysqlite, or SQLAlchemy's aiosqlite adapter
            try:
                cursor.execute("BEGIN")
            finally:
                cursor.close()
            return
        _begin_immediate(conn, settings)


def _begin_immediate(conn: Any, settings: Settings) -> None:
    """BEGIN IMMEDIATE, retried with backoff while another process holds the write lock: in the async
    engine's greenlet by sleeping on its event loop; in a thread without one (a bulk body stored in a
    worker thread, `geonews ingest` and the other commands) by sleeping the thread. Never on an event
    loop's own thread, which must not block: there the first failure is raised."""
    deadline = _write_deadline.get() or time.monotonic() + settings.sqlite_write_budget
    pause = 0.05
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except sa_exc.OperationalError as exc:
            locked = "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()
            greenlet = in_greenlet()
            if not locked or not (greenlet or _may_block()) or time.monotonic() + pause > deadline:
                raise
            log.info("SQLite write lock taken by another process; retrying BEGIN IMMEDIATE")
        if greenlet:
            await_(asyncio.sleep(pause))
        else:
            time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _may_block() -> bool:
    """Whether this thread may sleep: it runs no event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def _install_pg_ping(engine: AsyncEngine, timeout: float) -> None:
    """A pre-ping with its own short timeout (pool_pre_ping would wait the whole command timeout)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_conn.driver_connection
        try:
            await_(answered_within(driver.fetchval("SELECT 1"), timeout))
        except Exception as exc:
            # Drop the connection without the polite goodbye, which a frozen server never answers;
            # the pool then opens a fresh one (bounded by the connect timeout) or gives up.
            with contextlib.suppress(Exception):
                driver.terminate()
            if isinstance(exc, TimeoutError):
                raise  # the server is there but does not answer: a fresh connection would not fare better
            # A connection the server closed (a restart): the pool replaces it with a fresh one.
            raise sa_exc.DisconnectionError(f"ping failed: {exc!r}") from exc


def _json_loads(text: str | bytes) -> Any:
    """JSON columns as read back: orjson, which reads an integer beyond 64 bits as a float. PostgreSQL's
    jsonb writes a stored 1e20 as 100000000000000000000, which the standard library would read as an int
    that no response can encode (a 500 the fuzz job found on PATCH /v1/relations)."""
    return orjson.loads(text)


def make_async_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_url
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
            json_deserializer=_json_loads,
        )
        _install_sqlite_pragmas(engine.sync_engine, settings)
        return engine
    server_settings = {"application_name": "geonews"}
    if settings.db_statement_timeout_ms > 0:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    # The client-side timeout only matters when the server cannot enforce its own (frozen, unreachable).
    command_timeout = (
        settings.db_statement_timeout_ms / 1000 + 2 if settings.db_statement_timeout_ms else None
    )
    engine = create_async_engine(
        url,
        json_deserializer=_json_loads,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_args={
            "timeout": settings.db_connect_timeout,
            "command_timeout": command_timeout,
            "server_settings": server_settings,
        },
    )
    _install_pg_ping(engine, settings.db_ping_timeout)
    return engine


def make_sync_engine(settings: Settings, cache_mib: int = 0) -> Engine:
    """The synchronous engine. `cache_mib`: SQLite page cache of each of its connections, for a process
    that exists to write (`geonews ingest`), instead of a reader's 2 MiB."""
    url = settings.sync_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000, "check_same_thread": False},
            # Inline reads run on the event loop thread, which must never wait for a pooled connection
            # (nothing could return one while it waits): no overflow limit.
            pool_size=10,
            max_overflow=-1,
            json_deserializer=_json_loads,
        )
        _install_sqlite_pragmas(engine, settings, cache_mib)
        return engine
    return create_engine(url, pool_pre_ping=True, json_deserializer=_json_loads)


class Health:
    """Whether the database answers, as this worker last saw it (a watchdog keeps it current on
    PostgreSQL). While it does not, requests fail fast with 503 instead of queueing for a pool that
    cannot serve them."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.down_since: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._probe_conn: Any = None
        self._probing: asyncio.Task[bool] | None = None
        self._failures = 0
        self._stopping = False

    @property
    def available(self) -> bool:
        return self.down_since is None

    def suspect(self) -> None:
        """A request met a connection failure: hold the others back (503 at once) and probe now; a
        database that does answer is let through again after that one probe."""
        if self._task is not None:
            self._mark(False)
            self._wake.set()

    def _mark(self, ok: bool) -> None:
        if ok and self.down_since is not None:
            log.warning("database answers again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None
        elif not ok and self.down_since is None:
            log.warning("database does not answer; requests get 503 until it does")
            self.down_since = time.monotonic()

    async def check(self) -> bool:
        """One probe, bounded by the readiness timeout; records the outcome. Callers that come while a
        probe is under way (/readyz beside the watchdog) share it: the probe connection runs one statement
        at a time, and a second one sent beside the first would fail as if the database were down."""
        if self._probing is None or self._probing.done():
            self._probing = asyncio.ensure_future(self._check())
        return await asyncio.shield(self._probing)

    async def _check(self) -> bool:
        try:
            await answered_within(self._probe(), self.db.settings.readiness_timeout)
            ok = True
        except Exception as exc:  # any failure to answer means "not ready"
            log.info("database probe failed: %r", exc)
            self._drop_probe_conn()
            ok = False
        if not self.db.is_sqlite:  # only PostgreSQL has a watchdog to notice the way back
            # One slow probe on a loaded machine is not an outage: the watchdog needs two failures in a
            # row (a request that met a connection failure itself closes the gate at once: suspect()).
            self._failures = 0 if ok else self._failures + 1
            if ok or self._failures >= 2:
                self._mark(ok)
        return ok

    async def _probe(self) -> None:
        if self.db.is_sqlite:
            assert self.db.sync_engine is not None
            engine = self.db.sync_engine

            def select_one() -> None:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))

            await asyncio.to_thread(select_one)
            return
        import asyncpg

        if self._probe_conn is None or self._probe_conn.is_closed():
            url = make_url(self.db.settings.async_url).set(drivername="postgresql")
            self._probe_conn = await asyncpg.connect(
                url.render_as_string(hide_password=False), timeout=self.db.settings.db_connect_timeout
            )
        await self._probe_conn.fetchval("SELECT 1")

    def _drop_probe_conn(self) -> None:
        if self._probe_conn is not None:
            with contextlib.suppress(Exception):
                self._probe_conn.terminate()
            self._probe_conn = None

    async def _watch(self) -> None:
        while not self._stopping:
            ok = await self.check()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0 if ok else 0.25):
                    await self._wake.wait()

    def start(self) -> None:
        if not self.db.is_sqlite and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="geonews-db-watchdog")

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(self._task)
        self._task = None
        await cancel_and_wait(self._probing)
        self._drop_probe_conn()


class Database:
    """What the lifespan creates: the engine, a reader and a writer session factory, the health watch."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_async_engine(settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.writer = async_sessionmaker(
            immediate_writes(self.engine), expire_on_commit=False, autoflush=False
        )
        self.sync_engine: Engine | None = None
        self.reader: Any
        if self.is_sqlite:
            # Reads run inline on a pysqlite pool (see app/inline.py); writes keep the async driver.
            self.sync_engine = make_sync_engine(settings)
            self.reader = InlineSessionMaker(self.sync_engine)
        else:
            self.reader = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.health = Health(self)
        # sqlite_read's connection on the thread that created the Database (the event loop's).
        self._loop_thread = threading.get_ident()
        self._loop_raw: Any = None  # checked out on the first read
        self._loop_raw_busy = False
        self._write_lock = asyncio.Lock()
        self._write_owner: asyncio.Task[Any] | None = None

    def ensure_available(self) -> None:
        if not self.health.available:
            raise ServiceUnavailable(UNAVAILABLE)

    @contextlib.contextmanager
    def sqlite_read(self, deadline: bool = False) -> Iterator[Any]:
        """A pysqlite connection for one short, indexed read on the event loop's thread, without a Session
        or an explicit transaction (a lone SELECT reads one snapshot by itself): a quarter of the cost of a
        session for a single-row read. The caller reads its rows to the end inside the block: the
        connection stays checked out for the next read, and an unfinished statement would hold its
        snapshot (and the WAL) open. With `deadline`, its statements get the statement
        deadline (GEONEWS_DB_STATEMENT_TIMEOUT_MS, the progress handler) from now on; without, none
        applies: only for lookups by key."""
        assert self.sync_engine is not None
        self.ensure_available()
        # The event loop's thread keeps one connection checked out for these reads: the pool's checkout
        # and check-in (its reset, the deadline's) were ~7 % of an article read by id. Another thread, or
        # a read inside one, takes one from the pool as before.
        mine = threading.get_ident() == self._loop_thread and not self._loop_raw_busy
        if mine and self._loop_raw is None:
            self._loop_raw = self.sync_engine.raw_connection()
        raw = self._loop_raw if mine else self.sync_engine.raw_connection()
        clock = raw.info.get("deadline")
        if clock is not None and deadline:  # the pool's check-in stops it; for the kept one, see below
            clock[0] = time.monotonic() + self.settings.db_statement_timeout_ms / 1000
        if not mine:
            try:
                yield raw.driver_connection
            finally:
                raw.close()
            return
        self._loop_raw_busy = True
        try:
            yield raw.driver_connection
        except BaseException:  # back to the pool, which resets it; the next read checks out another
            self._loop_raw = None
            raw.close()
            raise
        finally:
            self._loop_raw_busy = False
            if clock is not None:
                clock[0] = NO_DEADLINE

    @contextlib.asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """On SQLite, wait for this worker's turn to write (re-entrant within one task)."""
        task = asyncio.current_task()
        if not self.is_sqlite or self._write_owner is task:
            yield
            return
        budget = self.settings.sqlite_write_budget
        deadline = time.monotonic() + budget
        try:
            async with asyncio.timeout(budget):
                await self._write_lock.acquire()
        except TimeoutError:
            raise ServiceUnavailable(BUSY) from None
        self._write_owner = task
        _write_deadline.set(deadline)
        try:
            yield
        finally:
            _write_deadline.set(None)
            self._write_owner = None
            self._write_lock.release()

    @contextlib.asynccontextmanager
    async def session(self, write: bool) -> AsyncIterator[Any]:
        """A session (a writer waits for its turn) that commits on success and rolls back on error."""
        self.ensure_available()
        async with contextlib.AsyncExitStack() as stack:
            if write:
                await stack.enter_async_context(self.write_turn())
            session = await stack.enter_async_context((self.writer if write else self.reader)())
            try:
                yield session
                if session.in_transaction():
                    await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        raw, self._loop_raw = self._loop_raw, None
        if raw is not None:
            raw.close()
        await self.health.stop()
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the only place that commits or rolls back."""
    db: Database = request.app.state.db
    async with db.session(write=request.method in WRITE_METHODS) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_database(request: Request) -> Database:
    """The app's Database, for work outside the request's session (e.g. a short write during a GET).
    (async: FastAPI runs a plain `def` dependency in its thread pool, a hop and a suspension per request.)"""
    return request.app.state.db  # type: ignore[no-any-return]


DatabaseDep = Annotated[Database, Depends(get_database)]


@dataclass(frozen=True)
class RawStatement:
    """A Core statement compiled once for a DB-API connection (Database.sqlite_read): its SQL, the name,
    bind processor and value of each positional parameter (`values` given to `params` override them,
    the others are literals of the statement such as SQLite's OFFSET 0), and the name and result
    processor (text to datetime, JSON…) of each column. Running it sends and returns what SQLAlchemy
    would, without the per-execution work around it."""

    sql: str
    binds: tuple[str, ...]
    bind_processors: tuple[Any, ...]
    literals: dict[str, Any]
    names: tuple[str, ...]
    processors: tuple[Any, ...]

    @classmethod
    def of(cls, statement: Any, dialect: Any) -> RawStatement:
        compiled = statement.compile(dialect=dialect)
        binds = tuple(compiled.positiontup or ())
        columns = list(getattr(statement, "selected_columns", ()))  # none for an UPDATE
        return cls(
            str(compiled),
            binds,
            tuple(compiled.binds[b].type._cached_bind_processor(dialect) for b in binds),
            {b: v for b, v in compiled.params.items() if v is not None},
            tuple(c.key for c in columns),
            tuple(c.type._cached_result_processor(dialect, None) for c in columns),
        )

    def params(self, values: dict[str, Any]) -> tuple[Any, ...]:
        both = {**self.literals, **values}
        return tuple(
            p(both[b]) if p is not None else both[b]
            for b, p in zip(self.binds, self.bind_processors, strict=True)
        )

    def row(self, values: tuple[Any, ...]) -> dict[str, Any]:
        return {
            n: (p(v) if p is not None else v)
            for n, p, v in zip(self.names, self.processors, values, strict=True)
        }

    def rows(self, conn: Any, values: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.row(r) for r in conn.execute(self.sql, self.params(values)).fetchall()]


async def fetch_raw(session: Any, make: Any, values: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The rows of a RawStatement (`make(dialect)` builds it, cached by the caller) on an inline SQLite
    session's own connection and transaction, as dicts; None for any other session (the caller then
    runs the Core statement with `fetch`). For the few statements of every search page: SQLAlchemy's
    per-execution work (cache key, expanding IN, row objects) was most of their time."""
    from .inline import InlineSession

    if not isinstance(session, InlineSession):
        return None
    conn = session.sync_session.connection()
    raw: RawStatement = make(conn.dialect)
    return await session._call(raw.rows, conn.connection.driver_connection, values)


async def fetch(session: Any, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Execute a column-only (Core) statement on the hot path, skipping the ORM layer.

    Inline SQLite sessions run it on their connection directly (~3x less overhead than Session.execute
    for a prebuilt statement); async sessions execute it as usual.
    """
    from .inline import InlineSession

    if isinstance(session, InlineSession):
        conn = session.sync_session.connection()
        return await session._call(conn.execute, statement, params)
    return await session.execute(statement, params)
