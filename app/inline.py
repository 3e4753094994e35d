"""Inline reads on SQLite: the AsyncSession calls the repositories make, answered by a synchronous
pysqlite Session on the event loop's own thread.

Why: aiosqlite hops to a worker thread several times per statement (execute, fetch, close…), about
0.1 ms each, so a 4-query request spent 5 ms waiting on hops for 0.1 ms of SQLite work (measured with
the profiler on `GET /v1/articles/{id}`). SQLite in WAL mode serves readers from the local file
without waiting for writers, and the read paths are indexed and LIMITed, so running them inline costs
less than the hop. Statements that can take long (full-text ranking over a large match, facet counts)
run inside `heavy()`, which sends them to a worker thread instead. Writes keep the async driver:
a writer may wait for the lock, and the event loop must not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

T = TypeVar("T")


class InlineResult:
    """The part of AsyncResult that export streaming uses, over a sync Result."""

    def __init__(self, result: Result[Any]) -> None:
        self._result = result

    def mappings(self) -> InlineResult:
        self._result = self._result.mappings()  # type: ignore[assignment]
        return self

    async def partitions(self, size: int) -> AsyncIterator[Any]:
        it: Iterator[Any] = iter(self._result.partitions(size))
        while True:
            part = next(it, None)
            if part is None:
                return
            yield part


class InlineSession:
    """The AsyncSession surface geonews uses, backed by a sync Session run inline (or in a thread)."""

    def __init__(self, session: Session) -> None:
        self.sync_session = session
        self._offload = False

    async def _call(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        if self._offload:
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kw))
        return fn(*args, **kw)

    async def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return await self._call(self.sync_session.execute, statement, params, **kw)

    async def scalar(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return await self._call(self.sync_session.scalar, statement, params, **kw)

    async def scalars(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        return await self._call(self.sync_session.scalars, statement, params, **kw)

    async def get(self, entity: Any, ident: Any, **kw: Any) -> Any:
        return await self._call(self.sync_session.get, entity, ident, **kw)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return await self._call(fn, self.sync_session, *args, **kw)

    async def stream(self, statement: Any, params: Any = None, **kw: Any) -> InlineResult:
        return InlineResult(await self.execute(statement, params, **kw))

    def add(self, obj: Any) -> None:
        self.sync_session.add(obj)

    def add_all(self, objs: Any) -> None:
        self.sync_session.add_all(objs)

    async def flush(self) -> None:
        self.sync_session.flush()

    async def commit(self) -> None:
        self.sync_session.commit()

    async def rollback(self) -> None:
        self.sync_session.rollback()

    async def close(self) -> None:
        self.sync_session.close()

    def in_transaction(self) -> bool:
        return self.sync_session.in_transaction()

    def get_bind(self) -> Any:
        return self.sync_session.get_bind()

    @asynccontextmanager
    async def heavy(self) -> AsyncIterator[None]:
        """Statements inside run in a worker thread: for queries that may take long."""
        previous, self._offload = self._offload, True
        try:
            yield
        finally:
            self._offload = previous

    async def __aenter__(self) -> InlineSession:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.sync_session.close()


class InlineSessionMaker:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> InlineSession:
        return InlineSession(Session(self.engine, expire_on_commit=False, autoflush=False))


@asynccontextmanager
async def heavy(session: Any) -> AsyncIterator[None]:
    """Mark a block of long-running reads; a no-op for the real async drivers."""
    if isinstance(session, InlineSession):
        async with session.heavy():
            yield
    else:
        yield
