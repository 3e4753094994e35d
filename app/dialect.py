"""Every SQLite/PostgreSQL difference outside full text, in one place (full text: app/search/dialect.py):
the upsert, the retry of a transaction the database aborted, and date arithmetic in SQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


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


# -- dates: the calendar day of a timestamp, the first day of its day / ISO week / month ---------------------
#
# Dates on SQLite are stored as text ('YYYY-MM-DD', and 'YYYY-MM-DD HH:MM:SS.ffffff' for timestamps), so
# `date(x)` yields text that compares correctly with stored dates; PostgreSQL casts.


class day_of(FunctionElement[date]):  # noqa: N801 - reads as an SQL function
    """The calendar date of a (naive UTC) timestamp."""

    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


class _BucketStart(FunctionElement[date]):
    type = Date()
    inherit_cache = True
    unit = ""


class _DayStart(_BucketStart):
    name, unit, inherit_cache = "day_start", "day", True


class _WeekStart(_BucketStart):
    name, unit, inherit_cache = "week_start", "week", True


class _MonthStart(_BucketStart):
    name, unit, inherit_cache = "month_start", "month", True


# Constant SQL text, no bound parameters: PostgreSQL then accepts the same expression in GROUP BY.
_SQLITE_BUCKETS = {
    "day": "date({})",
    "week": "date({}, '-6 days', 'weekday 1')",  # back to the Monday on or before (ISO weeks)
    "month": "date({}, 'start of month')",
}


def _bucket_default(element: _BucketStart, compiler: Any, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(date_trunc('{element.unit}', CAST({arg} AS TIMESTAMP)) AS DATE)"


def _bucket_sqlite(element: _BucketStart, compiler: Any, **kw: Any) -> str:
    return _SQLITE_BUCKETS[element.unit].format(compiler.process(element.clauses, **kw))


BUCKETS: dict[str, type[_BucketStart]] = {"day": _DayStart, "week": _WeekStart, "month": _MonthStart}
for _cls in BUCKETS.values():
    compiles(_cls)(_bucket_default)
    compiles(_cls, "sqlite")(_bucket_sqlite)


def bucket_start(interval: str, value: Any) -> ColumnElement[date]:
    """The first day of the day, ISO week (Monday) or month that a date or timestamp falls in."""
    return BUCKETS[interval](value)  # type: ignore[return-value]
