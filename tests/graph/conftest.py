"""Fixtures for the graph tests: a sync engine and a corpus builder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.db import make_sync_engine
from tests.graph.support import Corpus


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_sync_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def corpus(client: TestClient, write_headers: dict[str, str], engine: Engine) -> Corpus:
    return Corpus(client, write_headers, engine)
