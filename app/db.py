"""Engines and sessions. The async engine serves HTTP; the sync engine runs migrations and bulk CLI loads.

SQLite runs in WAL mode with a busy timeout. Its driver's own transaction handling is switched off so that
SQLAlchemy emits BEGIN itself: writes start with BEGIN IMMEDIATE, so two writers queue on the lock instead
of failing on a read-to-write upgrade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from . import outbox  # noqa: F401  (registers the before_commit hook that writes recorded changes)
from .config import Settings
from .dialect import immediate_writes
from .inline import InlineSessionMaker

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _install_sqlite_pragmas(sync_engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # 2 MiB of page cache a connection and no mmap: the OS page cache holds the hot pages once for
        # every process, and the server's resident memory stays small (mapped pages count as RSS).
        cur.execute("PRAGMA cache_size=-2048")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_begin") == "immediate"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_async_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_url
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000})
        _install_sqlite_pragmas(engine.sync_engine, settings.sqlite_busy_timeout_ms)
        return engine
    return create_async_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size, pool_pre_ping=True
    )


def make_sync_engine(settings: Settings) -> Engine:
    url = settings.sync_url
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000, "check_same_thread": False},
            # Inline reads run on the event loop thread, which must never wait for a pooled connection
            # (nothing could return one while it waits): no overflow limit.
            pool_size=10,
            max_overflow=-1,
        )
        _install_sqlite_pragmas(engine, settings.sqlite_busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """What the lifespan creates: the engine and a reader and a writer session factory."""

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

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the only place that commits or rolls back."""
    db: Database = request.app.state.db
    factory = db.writer if request.method in WRITE_METHODS else db.reader
    async with factory() as session:
        try:
            yield session
            if session.in_transaction():
                await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_database(request: Request) -> Database:
    """The app's Database, for work outside the request's session (e.g. a short write during a GET)."""
    return request.app.state.db  # type: ignore[no-any-return]


DatabaseDep = Annotated[Database, Depends(get_database)]


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
