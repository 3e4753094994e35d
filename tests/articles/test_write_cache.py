"""A batch of articles is stored with a larger SQLite page cache, given back after (dialect.write_cache).

With the readers' 2 MiB the indexes of `articles` were read again from the OS for nearly every article
(106,793 pread calls for 4,000 articles, 11,237 with 64 MiB). Checked here on the connection itself:
while the batch's rows are inserted, and after `store` returns (a pooled connection keeps no more than
a reader's cache).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import migrate
from app.articles import repository, service
from app.config import Settings
from app.db import make_sync_engine
from app.dialect import READ_CACHE_KIB
from app.ingestion.linker import Gazetteer
from app.ingestion.pipeline import ArticleInput, prepare


def _batch(n: int) -> list[Any]:
    gazetteer = Gazetteer([])
    return [
        prepare(
            i,
            ArticleInput(
                url=f"https://wire.example.com/cache/{i}",
                title=f"Harbour talks, day {i}",
                body=f"Delegations met at the harbour for the {i}th round of talks on shipping lanes.",
                published_at=datetime(2024, 5, 1 + i % 28, 9),
                language="en",
            ),
            gazetteer,
        )
        for i in range(n)
    ]


def _cache_size(session: Session) -> int:
    return int(session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one())


@pytest.mark.parametrize(
    ("size", "mib", "during"), [(20, 64, -64 * 1024), (3, 64, -READ_CACHE_KIB), (20, 0, -READ_CACHE_KIB)]
)
def test_a_batch_is_stored_with_the_write_cache_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, mib: int, during: int
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path}/cache.db", sqlite_write_cache_mb=mib, _env_file=None
    )
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    seen: list[int] = []
    insert_new = repository.insert_new

    def spy(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
        seen.append(_cache_size(session))
        return insert_new(session, rows)

    monkeypatch.setattr(repository, "insert_new", spy)
    try:
        with Session(engine) as session, session.begin():
            assert _cache_size(session) == -READ_CACHE_KIB
            outcomes = service.store(session, _batch(size))
            assert [o.status for o in outcomes] == ["created"] * size
            assert _cache_size(session) == -READ_CACHE_KIB  # given back, in the same transaction
        assert seen == [during]
    finally:
        engine.dispose()


def test_a_writer_engine_keeps_its_cache_and_a_batch_leaves_it(tmp_path: Path) -> None:
    """`geonews ingest`'s engine has a larger cache on every connection, and storing a batch gives back the
    connection's own size afterwards, not a reader's."""
    settings = Settings(database_url=f"sqlite:///{tmp_path}/writer.db", _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings, cache_mib=32)
    try:
        with Session(engine) as session, session.begin():
            assert _cache_size(session) == -32 * 1024
            service.store(session, _batch(20))  # asks for 64 MiB by default: more than the engine's
            assert _cache_size(session) == -32 * 1024
    finally:
        engine.dispose()


def test_a_bulk_post_is_stored_with_the_write_cache(client, write_headers, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Over HTTP the batch is stored on the server's writer (aiosqlite's adapter in its greenlet): the
    cache is raised there too, and the batch is stored. PostgreSQL has no such cache: stored as before."""
    sqlite = settings.database_url.startswith("sqlite")
    seen: list[int] = []
    insert_new = repository.insert_new

    def spy(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
        if sqlite:
            seen.append(_cache_size(session))
        return insert_new(session, rows)

    monkeypatch.setattr(repository, "insert_new", spy)
    items = [
        {
            "url": f"https://wire.example.com/bulk-cache/{i}",
            "title": f"Port talks resume, round {i}",
            "body": f"Negotiators resumed port talks for a {i}th round on Tuesday.",
            "published_at": "2024-05-02T09:00:00Z",
        }
        for i in range(20)
    ]
    r = client.post("/v1/articles/bulk", json=items, headers=write_headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 20
    assert seen == ([-settings.sqlite_write_cache_mb * 1024] if sqlite else [])
