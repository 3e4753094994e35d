"""app/dialect.py on both engines: the upsert, long IN-lists, the SQLite write lock, the SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, event, func, not_, select

from app import dialect
from app.config import Settings
from app.db import make_sync_engine

metadata = MetaData()
probe = Table(
    "dialect_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("n", Integer, nullable=False),
)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _fill(engine: Engine, count: int) -> None:
    with engine.begin() as c:
        c.execute(probe.insert(), [{"id": i, "name": f"n{i}", "n": 0} for i in range(1, count + 1)])


def _count(engine: Engine, *where: Any) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(probe).where(*where)).scalar_one())


def test_upsert_updates_or_skips_the_conflicting_rows(engine):
    _fill(engine, 3)
    rows = [{"id": 10, "name": "n1", "n": 7}, {"id": 11, "name": "new", "n": 8}]
    with engine.begin() as c:
        ins = dialect.insert(probe, c.dialect.name)
        c.execute(ins.on_conflict_do_update(index_elements=[probe.c.name], set_={"n": ins.excluded.n}), rows)
    with engine.connect() as c:
        assert dict(c.execute(select(probe.c.name, probe.c.n)).all()) == {"n1": 7, "n2": 0, "n3": 0, "new": 8}
        assert c.scalar(select(probe.c.id).where(probe.c.name == "n1")) == 1  # updated in place

    with engine.begin() as c:
        ins = dialect.insert(probe, c.dialect.name)
        c.execute(
            ins.on_conflict_do_nothing(),
            [{"id": 2, "name": "other", "n": 9}, {"id": 4, "name": "n4", "n": 9}],
        )
        c.execute(
            ins.on_conflict_do_nothing(index_elements=[probe.c.name]), [{"id": 20, "name": "n3", "n": 9}]
        )
    with engine.connect() as c:
        assert dict(c.execute(select(probe.c.id, probe.c.n)).all()) == {1: 7, 2: 0, 3: 0, 4: 9, 11: 8}


def test_in_list_of_5000_ids_is_one_parameter(engine):
    _fill(engine, 6000)
    ids = list(range(2, 10001, 2))  # 5,000 ids, 3,000 of them stored
    params: list[Any] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        params.append(parameters)

    assert _count(engine, dialect.in_list(probe.c.id, ids)) == 3000
    in_list_params = params[-1]
    assert len(in_list_params) == 1
    event.remove(engine, "before_cursor_execute", capture)

    assert _count(engine, not_(dialect.in_list(probe.c.id, ids))) == 3000
    assert _count(engine, dialect.in_list(probe.c.id, [])) == 0
    assert _count(engine, dialect.in_list(probe.c.id, iter({5, 6000, 6001}))) == 2


def test_in_list_longer_than_sqlites_parameter_limit(engine):
    _fill(engine, 100)
    names = [f"n{i}" for i in range(50, 40050)]  # SQLite binds at most 32,766 parameters
    assert _count(engine, dialect.in_list(probe.c.name, names)) == 51
    orm_column = dialect.in_list(probe.c.name, ["n1", "n2", "nope"])
    with engine.connect() as c:
        assert sorted(c.execute(select(probe.c.id).where(orm_column)).scalars()) == [1, 2]


def test_in_list_statement_is_cached_whatever_the_values():
    short = select(probe.c.id).where(dialect.in_list(probe.c.id, [1]))
    long = select(probe.c.id).where(dialect.in_list(probe.c.id, range(10_000)))
    other = select(probe.c.id).where(dialect.in_list(probe.c.name, ["a"]))
    key = short._generate_cache_key()
    assert key is not None and key.key == long._generate_cache_key().key
    assert key.key != other._generate_cache_key().key


def test_immediate_writes_take_sqlites_write_lock_at_begin(engine):
    statements: list[str] = []
    writer = dialect.immediate_writes(engine)

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with writer.begin() as c:
        c.execute(probe.insert(), {"id": 1, "name": "a", "n": 1})
    event.remove(engine, "before_cursor_execute", capture)
    if engine.dialect.name == "sqlite":
        assert statements[0] == "BEGIN IMMEDIATE"
    else:
        assert writer is engine
    assert _count(engine) == 1


def _lock_for(path: str, seconds: float, taken: Any) -> None:
    """Hold SQLite's write lock on `path` for `seconds` from another connection, as another process would."""
    import sqlite3
    import time

    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        other.execute("COMMIT")
    finally:
        other.close()


def test_a_plain_threads_write_waits_out_another_writer_within_the_budget(settings, tmp_path):
    """BEGIN IMMEDIATE from a thread without an event loop (a bulk body's store, `geonews ingest`, the
    other CLI writers) is retried past SQLite's busy timeout while the lock is held elsewhere, within
    GEONEWS_SQLITE_WRITE_BUDGET: another process holding the lock for 1.2 s does not fail a write whose
    busy timeout is 0.2 s; one holding it past the budget still does."""
    import threading
    import time

    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session

    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock")
    path = str(tmp_path / "locked.db")
    quick = settings.model_copy(
        update={
            "database_url": f"sqlite:///{path}",
            "sqlite_busy_timeout_ms": 200,
            "sqlite_write_budget": 4.0,
        }
    )
    engine = make_sync_engine(quick)
    try:
        metadata.create_all(engine)
        taken = threading.Event()
        holder = threading.Thread(target=_lock_for, args=(path, 1.2, taken))
        holder.start()
        assert taken.wait(5)
        started = time.monotonic()
        with Session(dialect.immediate_writes(engine)) as session, session.begin():
            session.execute(probe.insert(), {"id": 1, "name": "a", "n": 1})
        waited = time.monotonic() - started
        holder.join()
        assert waited >= 0.9  # it waited for the other writer, past its own busy timeout
        assert _count(engine) == 1

        taken.clear()
        holder = threading.Thread(target=_lock_for, args=(path, 6.0, taken))
        holder.start()
        assert taken.wait(5)
        started = time.monotonic()
        with (
            pytest.raises(sa_exc.OperationalError, match="locked"),
            Session(dialect.immediate_writes(engine)) as session,
            session.begin(),
        ):
            session.execute(probe.insert(), {"id": 2, "name": "b", "n": 1})
        assert 3.0 <= time.monotonic() - started < 5.9  # the budget, not the other writer's 6 s
        holder.join()
    finally:
        engine.dispose()


def test_sqlite_file_and_unsupported_dialects(tmp_path):
    assert dialect.sqlite_file(f"sqlite:///{tmp_path}/a/b.db") == tmp_path / "a" / "b.db"
    assert dialect.sqlite_file("sqlite+aiosqlite:///./data/geonews.db?mode=rwc") == Path("data/geonews.db")
    assert dialect.sqlite_file("sqlite://") is None
    assert dialect.sqlite_file("sqlite:///:memory:") is None
    assert dialect.sqlite_file("postgresql://postgres@127.0.0.1/geonews") is None
    with pytest.raises(NotImplementedError):
        dialect.insert(probe, "mysql")


def _twin(name: str, source: Table) -> Table:
    """A table with `source`'s columns, types and Python defaults (no constraints), in this module's metadata."""
    return Table(
        name,
        metadata,
        Column("rid", Integer, primary_key=True),
        *(
            Column(c.name, c.type, default=c.default and c.default._copy())
            for c in source.columns
            if not c.primary_key
        ),
        extend_existing=True,
    )


def test_insert_rows_stores_what_core_stores(engine):
    """insert_rows hands SQLite the values Core would (each column type's own bind processor): the rows
    read back raw are identical, datetimes, JSON (None included: JSON null), floats, text and NULLs."""
    from app.models import Change, Mention

    rows_by_table = {
        Change.__table__: [
            {
                "at": datetime(2026, 12, 4, 21, 0, 1, 5),
                "entity": "article",
                "entity_id": 7,
                "op": "created",
                "data": {"title": "Été", "ids": [1, 2], "at": "2026-01-01T00:00:00Z"},
                "source": "reuters.com",
                "published_at": datetime(2001, 2, 3),
            },
            {
                "at": datetime(2026, 12, 4),
                "entity": "story",
                "entity_id": 8,
                "op": "merged",
                "data": None,
                "source": None,
                "published_at": None,
            },
            {
                "at": datetime(2026, 12, 4, 0, 0, 0, 999_999),
                "entity": "x",
                "entity_id": -1,
                "op": "deleted",
                "data": [],
                "source": "",
                "published_at": datetime(1970, 1, 1, 0, 0, 1),
            },
        ],
        Mention.__table__: [
            {
                "article_id": 1,
                "actor_id": 2,
                "start_offset": 0,
                "end_offset": 4,
                "text": "NATO",
                "confidence": 1.0,
            },
            {
                "article_id": 1,
                "actor_id": 3,
                "start_offset": 9,
                "end_offset": 14,
                "text": "Kyiv's",
                "confidence": 0.25,
            },
        ],
    }
    for source, rows in rows_by_table.items():
        by_core, by_rows = _twin(f"core_{source.name}", source), _twin(f"rows_{source.name}", source)
        metadata.create_all(engine, tables=[by_core, by_rows])
        with engine.begin() as c:
            c.execute(by_core.insert(), rows)
            dialect.insert_rows(c, by_rows, rows)
            dialect.insert_rows(c, by_rows, [])  # nothing to do
        with engine.connect() as c:
            stored = [
                c.exec_driver_sql(f"SELECT * FROM {t.name} ORDER BY rid").all() for t in (by_core, by_rows)
            ]
        assert stored[0] == stored[1]
        assert len(stored[0]) == len(rows)


def test_insert_rows_leaves_a_python_default_to_core(engine):
    """A row without a column whose default Python computes goes through Core, which computes it."""
    from app.models import Change

    table = _twin("defaults_changes", Change.__table__)
    metadata.create_all(engine, tables=[table])
    with engine.begin() as c:
        dialect.insert_rows(c, table, [{"entity": "article", "entity_id": 1, "op": "created"}])
    with engine.connect() as c:
        assert c.execute(select(table.c.at)).scalar_one() is not None


def test_insert_rows_skips_conflicts_and_returns_what_it_inserted(engine, monkeypatch):
    """With skip_conflicts, a row breaking a unique constraint (stored before, or twice in the rows) is
    left out; `returning` gives the rows inserted, also when they take several statements."""
    _fill(engine, 3)  # n1..n3
    monkeypatch.setattr(dialect, "INSERT_ROWS", 4)  # 10 rows: three multi-row statements on SQLite
    rows = [{"id": 100 + i, "name": f"m{i}", "n": i} for i in range(8)]
    rows += [{"id": 200, "name": "n2", "n": 9}, {"id": 201, "name": "m3", "n": 9}]
    with engine.begin() as c:
        got = dialect.insert_rows(c, probe, rows, skip_conflicts=True, returning=("id", "name"))
    assert sorted(got) == [(100 + i, f"m{i}") for i in range(8)]
    with engine.connect() as c:
        assert dict(c.execute(select(probe.c.name, probe.c.n)).all()) == {
            "n1": 0, "n2": 0, "n3": 0, **{f"m{i}": i for i in range(8)}
        }  # fmt: skip
    with engine.begin() as c:
        assert dialect.insert_rows(c, probe, [{"id": 300, "name": "n1", "n": 1}], skip_conflicts=True) == []
    assert _count(engine) == 11
