"""Statements have a deadline, the pool has a wait limit and SQLite writers a budget: past any of them the
client gets a 503 problem document with Retry-After, and the worker is free again."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import SessionDep
from app.main import create_app
from tests.conftest import make_key

RUNAWAY = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(30)",
}


def _with_test_routes(settings):
    app = create_app(settings)

    @app.get("/_test/runaway")
    async def runaway(session: SessionDep) -> dict:
        await session.execute(text(RUNAWAY[session.get_bind().dialect.name]))
        return {"finished": True}

    @app.get("/_test/sleep")
    async def sleep(session: SessionDep) -> dict:
        await session.execute(text("SELECT pg_sleep(1.5)"))
        return {"slept": True}

    @app.post("/_test/write")
    async def write(session: SessionDep) -> dict:
        await session.execute(text("UPDATE api_keys SET name = name WHERE id = -1"))
        return {"written": True}

    return app


def _assert_503(r, words: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    assert words in r.json()["detail"]


def test_a_runaway_query_is_503_and_the_worker_is_free(settings):
    app = _with_test_routes(settings.model_copy(update={"db_statement_timeout_ms": 300}))
    with TestClient(app, raise_server_exceptions=False) as c:
        _assert_503(c.get("/_test/runaway"), "longer than the server allows")
        assert c.get("/v1/actors?limit=3").status_code == 200
        _assert_503(c.get("/_test/runaway"), "longer than the server allows")
        assert c.get("/readyz").status_code == 200


def test_pool_exhaustion_is_a_fast_503(settings):
    if settings.is_sqlite:
        pytest.skip("SQLite reads do not wait for a pool")
    tight = settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout": 0.3})
    app = _with_test_routes(tight)
    statuses: list[int] = []
    with TestClient(app, raise_server_exceptions=False) as c:
        threads = [
            threading.Thread(target=lambda: statuses.append(c.get("/_test/sleep").status_code))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert c.get("/v1/actors?limit=3").status_code == 200
    assert sorted(statuses) == [200, 200, 503, 503], statuses


def test_sqlite_write_lock_held_elsewhere_is_503_busy(settings):
    if not settings.is_sqlite:
        pytest.skip("SQLite only")
    key = make_key(settings, "write")
    app = _with_test_routes(
        settings.model_copy(update={"sqlite_write_budget": 1.0, "sqlite_busy_timeout_ms": 200})
    )
    holder = sqlite3.connect(settings.database_url.split("///", 1)[1], isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.post("/_test/write", headers={"X-API-Key": key})
            _assert_503(r, "busy")
            holder.execute("ROLLBACK")
            assert c.post("/_test/write", headers={"X-API-Key": key}).status_code == 200
    finally:
        holder.close()
