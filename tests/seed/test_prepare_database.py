"""prepare_database, which every command runs first: make the SQLite folder, migrate, seed an empty database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from app.config import Settings
from app.db import make_sync_engine
from app.migrate import prepare_database
from app.models import Actor, EventType

from ..conftest import ENGINES, pg_database


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet (SQLite, in a folder that does not exist either) or is empty."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/not/yet/there.db"
        return
    with pg_database("gn_prep") as url:
        yield url


def _counts(settings: Settings) -> tuple[int, int]:
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as c:
            actors = c.scalar(select(func.count()).select_from(Actor))
            types = c.scalar(select(func.count()).select_from(EventType))
        return int(actors or 0), int(types or 0)
    finally:
        engine.dispose()


def test_an_empty_database_is_migrated_and_seeded_once(empty_url):
    settings = Settings(database_url=empty_url, _env_file=None)  # type: ignore[call-arg]
    said: list[str] = []
    prepare_database(settings, seed_if_empty=True, say=said.append)
    assert said and said[0].startswith("seeding an empty database")
    assert "actors +" in said[1]
    actors, types = _counts(settings)
    assert actors > 200 and types > 200

    said.clear()
    prepare_database(settings, seed_if_empty=True, say=said.append)
    assert said == []  # not empty any more: not seeded again
    assert _counts(settings) == (actors, types)


def test_no_seed_only_migrates(empty_url):
    settings = Settings(database_url=empty_url, _env_file=None)  # type: ignore[call-arg]
    said: list[str] = []
    prepare_database(settings, seed_if_empty=False, say=said.append)
    assert said == []
    engine = make_sync_engine(settings)
    try:
        assert "actors" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    assert _counts(settings) == (0, 0)


def test_migrating_a_given_database_leaves_the_process_settings_alone(tmp_path, monkeypatch):
    """Migrating the database of a Settings object must not read (and cache) the environment's settings:
    a caller that migrates a database and then points GEONEWS_DATABASE_URL at it (bench/steps.py ingest)
    wrote to the default database before migrations/env.py stopped calling get_settings()."""
    from app import migrate
    from app.config import get_settings

    monkeypatch.setenv("GEONEWS_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    get_settings.cache_clear()
    try:
        target = f"sqlite:///{tmp_path}/target.db"
        migrate.upgrade(Settings(database_url=target, _env_file=None))  # type: ignore[call-arg]
        monkeypatch.setenv("GEONEWS_DATABASE_URL", target)
        assert get_settings().database_url == target
        assert not (tmp_path / "elsewhere.db").exists()
    finally:
        get_settings.cache_clear()
