"""Run Alembic migrations from code (the CLI and the test suite use this), and prepare a database for use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from .config import Settings
from .dialect import sqlite_file

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(settings: Settings) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", settings.sync_url.replace("%", "%%"))
    return cfg


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)


def prepare_database(settings: Settings, *, seed_if_empty: bool, say: Callable[[str], Any] = print) -> None:
    """What every command does before touching the database: make the SQLite file's folder, migrate to
    head, and seed an empty database (from GEONEWS_SEED_DIR when set)."""
    # Imported here: `geonews db upgrade` and the test suite use this module without the engine or the
    # seed (which load FastAPI and the ingestion pipeline).
    from .db import make_sync_engine
    from .seed.loader import is_empty, seed, seed_dir_of

    path = sqlite_file(settings.sync_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings)
    if not seed_if_empty:
        return
    engine = make_sync_engine(settings)
    try:
        if is_empty(engine):
            say("seeding an empty database from seed_data/ …")
            say(seed(engine, seed_dir_of(settings)).summary())
    finally:
        engine.dispose()
