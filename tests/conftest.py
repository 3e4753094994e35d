"""Test fixtures: a real database per test, seeded, served through httpx as a client sees it.

The suite runs on SQLite and, when GEONEWS_TEST_POSTGRES_URL is set (a server URL whose user may create
databases), on PostgreSQL too: every database test is parametrised over the engines. Migrations and the
seed run once per engine into a template; each test gets a fresh copy (a file copy on SQLite, CREATE
DATABASE … TEMPLATE on PostgreSQL), so tests are isolated and may commit, run concurrent writers, or
restart the app.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import migrate
from app.config import Settings
from app.db import make_sync_engine
from app.keys.service import create_key_sync
from app.main import create_app
from app.seed.loader import SEED_DIR, seed

PG_URL = os.environ.get("GEONEWS_TEST_POSTGRES_URL")
os.environ.setdefault("GEONEWS_DEV_MODE", "true")  # test servers run with the development cursor secret
ENGINES = ["sqlite"] + (["postgres"] if PG_URL else [])
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"


def bench_module(name: str) -> Any:
    """A module of bench/ (`bench_module("common")`), imported the way its scripts do: bench/ is not a
    package on the tests' path, and must not be on sys.path itself (bench/http.py would shadow http)."""
    import importlib

    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module(f"bench.{name}")


def _pg_admin_engine() -> Any:
    url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_url(database: str) -> str:
    return (
        make_url(PG_URL).set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    )


@contextlib.contextmanager
def pg_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A throw-away PostgreSQL database named `prefix`_<random> (a copy of the database of the URL
    `template`, else empty); its URL; dropped afterwards, whoever is still connected."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin_engine()
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield _pg_url(name)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _prepare(settings: Settings) -> None:
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    try:
        seed(engine, Path(os.environ.get("GEONEWS_TEST_SEED_DIR", SEED_DIR)))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated and seeded template database per engine, built lazily."""
    built: dict[str, str] = {}

    class Lazy(dict):  # type: ignore[type-arg]
        def __missing__(self, engine: str) -> str:
            if engine == "sqlite":
                path = tmp_path_factory.mktemp("template") / "template.db"
                url = f"sqlite:///{path}"
                _prepare(Settings(database_url=url))
                e = make_sync_engine(Settings(database_url=url))
                with e.connect() as c:
                    c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                e.dispose()
            else:
                name = f"gn_tpl_{RUN_ID}"
                admin = _pg_admin_engine()
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                    c.execute(text(f'CREATE DATABASE "{name}"'))
                admin.dispose()
                url = _pg_url(name)
                _prepare(Settings(database_url=url))
            built[engine] = url
            self[engine] = url
            return url

    yield Lazy()
    if "postgres" in built:
        admin = _pg_admin_engine()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "gn_tpl_{RUN_ID}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A fresh, seeded database for this test."""
    engine = request.param
    template = templates[engine]
    if engine == "sqlite":
        src = Path(template.split("///", 1)[1])
        dst = tmp_path / "test.db"
        shutil.copyfile(src, dst)
        yield f"sqlite:///{dst}"
        return
    with pg_database(f"gn_t_{RUN_ID}", template) as url:
        yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    # Tests read their own writes: `strong` makes a search wait for the index (or fall back to SQL).
    return Settings(  # type: ignore[call-arg]
        database_url=db_url,
        max_body_bytes=1_000_000,
        index_dir=str(tmp_path / "index"),
        search_consistency="strong",
        search_strong_wait_s=15.0,  # a loaded test machine must not turn index answers into SQL ones
        _env_file=None,
    )


@pytest.fixture
def app(settings: Settings) -> Any:
    return create_app(settings)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        index_ready(app)
        yield c


def index_ready(app: Any, within: float = 60.0) -> None:
    """Wait until the app's search index is built and followed (/readyz's `ready`; it starts empty and
    builds in the background), or has failed.

    Until then every search is answered by SQL, which is right for a client but makes a test's answer
    depend on how fast the machine built the index: the same request could be answered by SQL in one
    run and by the index in another, and a build that overlaps a test's first writes has the follower
    index those articles again, which moves BM25's statistics until Tantivy merges the copies away (CI
    once saw two walks of one ranked search order tied articles differently)."""
    index = getattr(app.state, "search", None)
    deadline = time.monotonic() + within
    while index is not None and index.state not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"the search index is still {index.state} after {within} s"
        time.sleep(0.01)


def make_key(settings: Settings, scope: str, name: str = "test") -> str:
    engine = make_sync_engine(settings)
    with Session(engine) as session, session.begin():
        _, key = create_key_sync(session, name, scope)
    engine.dispose()
    return key


@pytest.fixture
def write_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(settings, 'write')}"}


@pytest.fixture
def admin_headers(settings: Settings) -> dict[str, str]:
    return {"X-API-Key": make_key(settings, "admin")}


@pytest.fixture
def read_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(settings, 'read')}"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    settings: Settings, workers: int = 2, env: dict[str, str] | None = None, port: int | None = None
) -> tuple[Any, str]:
    """A real `geonews serve` on this database: (the process, its base URL), ready to answer."""
    port = port or _port()
    env = {
        **os.environ,
        "GEONEWS_DATABASE_URL": settings.database_url,
        "GEONEWS_LOG_LEVEL": "warning",
        "GEONEWS_INDEX_DIR": settings.index_dir or "",
        "GEONEWS_SEARCH_CONSISTENCY": settings.search_consistency,
        "GEONEWS_SEARCH_STRONG_WAIT_S": str(settings.search_strong_wait_s),
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "serve",
            "--no-seed",
            "--workers",
            str(workers),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: a kill reaches the workers too
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        stop_server(proc, kill=True)
        raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server did not start")
    return proc, base


def stop_server(proc: Any, kill: bool = False) -> None:
    """Stop the server; `kill`: SIGKILL the whole process group at once (a crash, workers included)."""
    if kill:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """A real `geonews serve --workers 2` on this test's database."""
    proc, base = start_server(settings)
    yield base
    stop_server(proc)
