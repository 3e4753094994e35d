"""Every SQLite/PostgreSQL difference outside full text, in one place (full text: app/search/dialect.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError


def insert(table: Any, dialect_name: str) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing()` and `on_conflict_do_update()`."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(table)


async def with_deadlock_retry(session: Any, work: Any, attempts: int = 3) -> Any:
    """Run `await work()` in a savepoint; on PostgreSQL, retry it when the database aborts it (a deadlock
    or serialisation failure between concurrent writers, which can happen in rare lock orders). SQLite
    writers are serialised by BEGIN IMMEDIATE, so there it runs once, without a savepoint."""
    if session.get_bind().dialect.name != "postgresql":
        return await work()
    for attempt in range(attempts):
        try:
            async with session.begin_nested():
                return await work()
        except OperationalError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
