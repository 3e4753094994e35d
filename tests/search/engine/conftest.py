"""One seeded database per engine with a generated corpus, its index built by `rebuild`,
and the live API on the same database: the SQL implementation of GET /v1/articles is the oracle the
engine's answers are compared with.

Session scope (not the suite's per-test copies): building the corpus and the index once keeps
these tests quick; every test using `world` only reads it (tests that write use their own database)."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import NoMatchFound

from app.config import Settings
from app.db import make_sync_engine
from app.graph.router import actor_router, router
from app.main import create_app
from app.search.engine import Reader, rebuild
from tests.conftest import ENGINES, RUN_ID, pg_database
from tests.search.engine.corpus import Built, build


@dataclass
class World:
    engine_name: str
    url: str
    sync: Engine
    client: TestClient
    index_dir: Path
    reader: Reader
    corpus: Built


def copy_database(engine_name: str, templates: dict[str, str], where: Path) -> tuple[str, Any]:
    """A fresh copy of the seeded template; returns (url, cleanup)."""
    template = templates[engine_name]
    if engine_name == "sqlite":
        dst = where / f"{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(Path(template.split("///", 1)[1]), dst)
        return f"sqlite:///{dst}", lambda: None
    stack = contextlib.ExitStack()
    return stack.enter_context(pg_database(f"gn_e_{RUN_ID}", template)), stack.close


def make_app(url: str) -> Any:
    # The oracle is the SQL implementation: this app never answers from a search index of its own.
    app = create_app(Settings(database_url=url, search_engine=False, _env_file=None))  # type: ignore[call-arg]
    try:
        app.url_path_for("actor_timeline")
    except NoMatchFound:
        app.include_router(actor_router)
        app.include_router(router)
    return app


@pytest.fixture(scope="session", params=ENGINES)
def world(
    request: pytest.FixtureRequest, templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    where = tmp_path_factory.mktemp("engine")
    url, cleanup = copy_database(request.param, templates, where)
    sync = make_sync_engine(Settings(database_url=url, _env_file=None))  # type: ignore[call-arg]
    try:
        corpus = build(sync)
        index_dir = where / "index"
        # Small batches and commits: the index has several segments, as a real one does.
        rebuild(sync, index_dir, batch=50, commit_every=100, progress=False, heap_bytes=20_000_000, threads=1)
        with TestClient(make_app(url), raise_server_exceptions=False) as client:
            yield World(request.param, url, sync, client, index_dir, Reader(index_dir), corpus)
    finally:
        sync.dispose()
        cleanup()
