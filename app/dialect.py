"""Every difference between SQLite and PostgreSQL that the code needs, in one place.

Both engines are first class, so a statement is written once and the few constructs that differ come from
here: the upsert (``INSERT … ON CONFLICT``, whose construct lives in each dialect's package), a membership
test over a long list of values, the write lock SQLite needs at ``BEGIN``, SQLite's page cache while a
batch is stored, the SQLite database file, the retry of a transaction PostgreSQL aborted, and date
arithmetic in SQL (the day of a timestamp, the first day of its week or month). Full text has its own
module, app/search/dialect.py. Everything here is small, general and free of domain knowledge: this module
imports only SQLAlchemy.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import weakref
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    String,
    Table,
    Text,
    TypeDecorator,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, bindparam
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.sql.visitors import InternalTraversal

__all__ = [
    "SQLITE_BEGIN",
    "bucket_start",
    "day_of",
    "immediate_writes",
    "in_list",
    "insert",
    "insert_rows",
    "sqlite_file",
    "with_deadlock_retry",
    "write_cache",
]

# The execution option app.db's SQLite "begin" listener reads: "immediate" emits BEGIN IMMEDIATE.
SQLITE_BEGIN = "sqlite_begin"

Bind = TypeVar("Bind")

# Page cache of a SQLite connection (KiB, app.db sets it on connect): small, so that the readers' memory
# stays small; `write_cache` raises it while a batch of articles is stored.
READ_CACHE_KIB = 2048
# Where app.db keeps, on each SQLite connection's info, the cache `write_cache` raises it to (MiB).
WRITE_CACHE_MIB = "write_cache_mib"


def insert(table: Table, dialect_name: str) -> postgresql.Insert | sqlite.Insert:
    """The dialect's ``INSERT`` construct for ``table``: the one with ``.on_conflict_do_nothing()`` and
    ``.on_conflict_do_update(index_elements=…, set_=…)`` (and ``.excluded``), which the generic
    ``sqlalchemy.insert`` lacks. Both engines spell the upsert the same way; only the import differs."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"geonews supports SQLite and PostgreSQL, not {dialect_name}")


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts: bool = False,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """``INSERT INTO table`` of `rows` (all with the keys of the first), as Core's
    ``conn.execute(insert(table, name), rows)`` does it; with `skip_conflicts`, rows that would break a
    unique constraint are skipped (``ON CONFLICT DO NOTHING``); returns the `returning` columns of the
    rows inserted (in no particular order), or [].

    On SQLite the statement goes to the driver as it is, each value converted by its column type's own
    bind processor, a tuple a row: what SQLAlchemy hands the driver, without its per-row parameter
    handling, which cost about as much as SQLite's own insert (a batch's articles, mentions, places and
    change log: ~0.15 ms an article together). Without `returning` that is one executemany; with it,
    multi-row VALUES of at most INSERT_ROWS rows (as Core renders them: an executemany returns no rows).
    Rows that leave out a column with a Python-side default (Core computes it) and PostgreSQL (its
    multi-row VALUES) take Core's path."""
    if not rows:
        return []
    keys = tuple(rows[0])
    plan = _plain_insert(table, keys, conn.dialect) if conn.dialect.name == "sqlite" else None
    if plan is None:
        stmt = insert(table, conn.dialect.name)
        if skip_conflicts:
            stmt = stmt.on_conflict_do_nothing()
        if not returning:
            conn.execute(stmt, list(rows))
            return []
        stmt = stmt.returning(*(table.c[c] for c in returning))  # type: ignore[assignment]
        return [
            tuple(r)
            for start in range(0, len(rows), INSERT_ROWS)
            for r in conn.execute(stmt, list(rows[start : start + INSERT_ROWS]))
        ]
    head, row, processors = plan
    params = _plain_params(rows, keys, processors)
    tail = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + (
        f" RETURNING {', '.join(map(conn.dialect.identifier_preparer.quote, returning))}" if returning else ""
    )
    if not returning:
        conn.exec_driver_sql(head + row + tail, params)
        return []
    out: list[tuple[Any, ...]] = []
    step = max(1, min(INSERT_ROWS, SQLITE_MAX_PARAMS // len(keys)))
    for start in range(0, len(params), step):
        chunk = params[start : start + step]
        sql = head + ", ".join([row] * len(chunk)) + tail
        out += [tuple(r) for r in conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))]
    return out


# Rows of one multi-row INSERT ... RETURNING; SQLite binds at most this many parameters a statement.
INSERT_ROWS = 500
SQLITE_MAX_PARAMS = 32_766

# "INSERT INTO t (keys) VALUES ", "(?, ...)", and a bind processor (or None) a key.
_Plan = tuple[str, str, list[Any]]
# Per dialect object (each engine has its own: its JSON serializer is part of its processors).
_PLAIN_INSERTS: weakref.WeakKeyDictionary[Dialect, dict[tuple[Table, tuple[str, ...]], _Plan | None]] = (
    weakref.WeakKeyDictionary()
)


def _plain_insert(table: Table, keys: tuple[str, ...], dialect: Dialect) -> _Plan | None:
    """The qmark INSERT of `keys` into `table` and each key's bind processor (None: passed as it is);
    None when a column left out has a Python-side default."""
    plans = _PLAIN_INSERTS.setdefault(dialect, {})
    key = (table, keys)
    if key not in plans:
        plan = None
        if not any(c.default is not None and c.name not in keys for c in table.columns):
            quote = dialect.identifier_preparer.quote
            head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(k) for k in keys)}) VALUES "
            # The processor Core itself uses for the column's type on this dialect (cached on the dialect).
            processors = [table.c[k].type._cached_bind_processor(dialect) for k in keys]
            plan = (head, f"({', '.join('?' for _ in keys)})", processors)
        plans[key] = plan
    return plans[key]


def _plain_params(
    rows: Sequence[Mapping[str, Any]], keys: tuple[str, ...], processors: list[Any]
) -> list[tuple[Any, ...]]:
    """Each row's values of `keys` as a tuple, converted by the keys' bind processors."""
    values = operator.itemgetter(*keys)
    params: list[Any] = [(values(r),) for r in rows] if len(keys) == 1 else [values(r) for r in rows]
    convert = [(i, p) for i, p in enumerate(processors) if p is not None]
    if convert:  # applied to None as well, as Core does (a JSON column's None is JSON null)
        for k, values_ in enumerate(params):
            row = list(values_)
            for i, p in convert:
                row[i] = p(row[i])
            params[k] = tuple(row)  # SQLAlchemy takes tuples (or dicts) only
    return params


def in_list(column: Any, values: Any, key: str | None = None) -> ColumnElement[bool]:
    """``column IN (values)`` for a list of any length, bound as ONE parameter on both engines.

    A plain ``IN`` binds one parameter per value: SQLite refuses more than 32,766 of them, and on
    PostgreSQL the driver parses a statement thousands of parameters long on every execution. So the
    values travel as one array, ``column = ANY(:values)``, on PostgreSQL and as one JSON text,
    ``column IN (SELECT value FROM json_each(:values))``, on SQLite. The statement is the same whatever the
    number of values, so it is compiled once and cached. Values are ints or strings (JSON on SQLite).
    `key` names the parameter, for a statement built once and given its values when run."""
    return _InList(column, values, key)


def immediate_writes(bind: Bind) -> Bind:
    """The engine (sync or async) to write with. On SQLite its transactions begin with ``BEGIN IMMEDIATE``
    (app.db's listener reads the option), so concurrent writers queue on the lock instead of failing to
    upgrade a read lock half-way through; PostgreSQL's row locks need nothing, so the engine is returned
    as it is."""
    if bind.dialect.name == "sqlite":  # type: ignore[attr-defined]
        return bind.execution_options(**{SQLITE_BEGIN: "immediate"})  # type: ignore[attr-defined, no-any-return]
    return bind


@contextlib.contextmanager
def write_cache(session: Any) -> Iterator[None]:
    """At least the engine's GEONEWS_SQLITE_WRITE_CACHE_MB of SQLite page cache while `session`'s
    connection stores a batch (app.db puts the size on the connection's info); the connection's own size
    again after.

    A batch of articles inserts into a dozen indexes of `articles` (four of them on random simhash bands),
    into `mentions`, FTS5 and the change log, and with a reader's READ_CACHE_KIB those pages were read
    again from the OS for nearly every article: 4,000 fresh articles with `geonews ingest` made 106,793
    pread calls, 28,417 with this around each batch, 11,237 with 64 MiB kept (`geonews ingest` keeps it:
    app.db.make_sync_engine's `cache_mib`). Given back after, so that a pooled connection of the server
    does not keep the memory (SQLite frees the pages past the new size). Nothing on PostgreSQL."""
    conn = session.connection()
    mib = int(conn.info.get(WRITE_CACHE_MIB, 0)) if conn.dialect.name == "sqlite" else 0
    if mib <= 0:
        yield
        return
    raw = conn.connection.dbapi_connection  # pysqlite, or SQLAlchemy's aiosqlite adapter (in its greenlet)
    cursor = raw.cursor()
    try:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])  # negative: KiB; positive: pages
        if (-before if before < 0 else before * 4) >= mib * 1024:
            yield
            return
        cursor.execute(f"PRAGMA cache_size=-{int(mib) * 1024}")
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a connection that failed is discarded by the pool anyway
                cursor.execute(f"PRAGMA cache_size={before}")
    finally:
        with contextlib.suppress(Exception):
            cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database or another engine."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


# -- in_list's construct -------------------------------------------------------------------------------
class _ValueList(TypeDecorator[list[Any]]):
    """A list of values bound as one parameter: an array of ``item_type`` on PostgreSQL, JSON text on
    SQLite."""

    impl = String
    cache_ok = True

    def __init__(self, item_type: TypeEngine[Any]) -> None:
        super().__init__()
        self.item_type = item_type

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.item_type))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return list(value)
        return json.dumps(list(value))


class _InList(ColumnElement[bool]):
    __visit_name__ = "geonews_in_list"
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: never rendered as "… = 1" where booleans are integers
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, values: Any, key: str | None = None) -> None:
        self.column: ColumnElement[Any] = (
            column.__clause_element__() if hasattr(column, "__clause_element__") else column
        )
        self.values = bindparam(key, list(values), type_=_ValueList(self.column.type))

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(_InList)
def _in_list_json(element: _InList, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(_InList, "postgresql")
def _in_list_array(element: _InList, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY ({compiler.process(element.values, **kw)})"


class in_subquery(ColumnElement[bool]):  # noqa: N801 - reads as an SQL operator
    """``column IN (subquery)``, evaluated once, whatever the planner's statistics.

    On PostgreSQL it is ``column = ANY(ARRAY(subquery))``: the subquery runs once (an InitPlan) and the
    outer rows are filtered against its array. A plain IN is a semi-join there, and with statistics
    that lag behind a fast load (a fresh database, a bulk import before autovacuum's ANALYZE) the
    planner chose a nested loop over a materialised subquery: 26-48 ms instead of 1 ms for the story
    candidates (bench/stories.py). For subqueries known to be small: the array is held in memory."""

    inherit_cache = True
    type = Boolean()
    # Without these the statement has no cache key and was compiled again on every execution (0.4 ms of
    # each story candidates query, run once per ingested article).
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("subquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, subquery: Any) -> None:
        self.column = column.__clause_element__() if hasattr(column, "__clause_element__") else column
        self.subquery = subquery.scalar_subquery() if hasattr(subquery, "scalar_subquery") else subquery

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(in_subquery)
def _in_subquery(element: in_subquery, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} IN ({compiler.process(element.subquery.element, **kw)})"


@compiles(in_subquery, "postgresql")
def _in_subquery_array(element: in_subquery, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(element.subquery.element, **kw)
    return f"{compiler.process(element.column, **kw)} = ANY (ARRAY({inner}))"


# -- the rows of a small SELECT as one JSON value (a detail and its children in one statement) -------------


class json_rows(ColumnElement[str]):  # noqa: N801 - reads as an SQL function
    """The rows of `inner` (a small, ordered SELECT) as one JSON array of arrays, in the order of the
    inner SELECT, as a scalar subquery: ``[[c1, c2, …], …]``, ``[]`` for none. A detail and its child rows
    then come back in one statement (one round trip on PostgreSQL). SQLite: json_group_array(json_array(…))
    over the ordered subquery; PostgreSQL: json_agg(json_build_array(…) ORDER BY the row's position)."""

    __visit_name__ = "geonews_json_rows"
    type = String()
    inherit_cache = True
    _traverse_internals = [("inner", InternalTraversal.dp_clauseelement)]

    def __init__(self, inner: Any) -> None:
        self.inner = inner.subquery()


@compiles(json_rows)
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    sub = element.inner
    agg = select(func.json_group_array(func.json_array(*sub.c))).select_from(sub).scalar_subquery()
    return compiler.process(agg, **kw)  # type: ignore[no-any-return]


@compiles(json_rows, "postgresql")
def _json_rows_pg(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # json_agg keeps the order of an ordered subquery (PostgreSQL aggregates its input in scan order).
    sub = element.inner
    rows = func.coalesce(func.json_agg(func.json_build_array(*sub.c)), literal_column("'[]'::json"))
    agg = select(cast(rows, Text)).select_from(sub).scalar_subquery()
    return compiler.process(agg, **kw)  # type: ignore[no-any-return]


# -- transactions the database aborted ---------------------------------------------------------------


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
