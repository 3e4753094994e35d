"""Fixtures for the graph tests: the graph routes (until app/main.py registers them) and a corpus builder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import NoMatchFound

from app.config import Settings
from app.db import make_sync_engine
from app.graph.router import actor_router, router
from app.main import create_app
from tests.graph.support import Corpus


@pytest.fixture
def app(settings: Settings) -> Any:
    app = create_app(settings)
    try:
        app.url_path_for("graph_path")
    except NoMatchFound:
        app.include_router(actor_router)
        app.include_router(router)
    return app


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def corpus(client: TestClient, write_headers: dict[str, str], engine: Engine) -> Corpus:
    return Corpus(client, write_headers, engine)
