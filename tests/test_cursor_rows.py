"""`db.cursor_rows`: a statement sent on SQLite's own cursor restarts the statement deadline, as
SQLAlchemy's statements do; without that the progress handler judged it by the last of those."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import RawStatement, cursor_rows, make_sync_engine

LONG = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :upto) SELECT count(*) FROM n"
)


def test_a_statement_on_the_cursor_gets_a_fresh_deadline(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/c.db", db_statement_timeout_ms=5_000, _env_file=None
    )  # type: ignore[call-arg]
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")  # SQLAlchemy starts the clock
            deadline = conn.info["deadline"]
            deadline[0] = time.monotonic() - 1  # as if that statement had started long ago
            long = RawStatement.of(text(LONG), conn.dialect)
            assert cursor_rows(conn, long, {"upto": 300_000}) == [(300_000,)]
            # The same statement on a bare cursor is judged by the stale deadline: the check bites.
            deadline[0] = time.monotonic() - 1
            cursor = conn.connection.dbapi_connection.cursor()
            with pytest.raises(sqlite3.OperationalError, match="interrupted"):
                cursor.execute(LONG, {"upto": 300_000})
            cursor.close()
            # No rows from a write; a write's statement runs too.
            assert (
                cursor_rows(conn, RawStatement.of(text("CREATE TABLE t (x INTEGER)"), conn.dialect), {}) == []
            )
    finally:
        engine.dispose()
