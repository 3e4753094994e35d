from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import migrate
from app.config import Settings

from .support import Cluster, postgres_available


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A migrated PostgreSQL cluster of this module's own, to stop, freeze and restart."""
    if not postgres_available():
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    c = Cluster()
    try:
        c.start()
        c.create_database()
        migrate.upgrade(Settings(database_url=c.url, _env_file=None))  # type: ignore[call-arg]
        yield c
    finally:
        c.destroy()
