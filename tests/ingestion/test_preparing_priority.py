"""The preparing processes run at GEONEWS_INGEST_NICE more niceness than the process that starts them:
the server's (its pool, GEONEWS_INGEST_PROCESSES) and `geonews ingest`'s, so that the one process that
stores (and a server's reads) keeps the CPU first on a machine with fewer cores than busy processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from app.config import get_settings
from app.ingestion.workers import init_worker
from app.main import create_app

BASE = os.nice(0)
pytestmark = pytest.mark.skipif(BASE >= 19, reason="this process already runs at the lowest priority")


def _niceness_of_a_worker(*initargs: Any) -> int:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn, initializer=init_worker, initargs=initargs) as pool:
        return pool.submit(os.nice, 0).result(120)


def test_a_preparing_process_takes_the_niceness_it_is_given():
    assert _niceness_of_a_worker([], [], 7) == min(19, BASE + 7)
    assert _niceness_of_a_worker([], []) == BASE  # 0, or not given: the starting process's own


def test_the_servers_preparing_processes_run_at_the_setting(settings):
    pooled = settings.model_copy(update={"ingest_processes": 1, "ingest_nice": 5})
    app = create_app(pooled)
    with TestClient(app, raise_server_exceptions=False):
        preparer = app.state.preparer
        deadline = time.monotonic() + 120
        while not (preparer.started and preparer._pool is not None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert preparer.started, "the preparing process did not start"
        assert preparer._pool.submit(os.nice, 0).result(60) == min(19, BASE + 5)


def test_geonews_ingest_starts_its_preparing_processes_at_the_setting(settings, tmp_path, monkeypatch):
    import concurrent.futures

    from app.articles import cli

    started: list[tuple[Any, ...]] = []
    real = concurrent.futures.ProcessPoolExecutor

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(kwargs["initargs"])
            super().__init__(*args, **kwargs)

    # `_to_database` imports it when it runs.
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    monkeypatch.setenv("GEONEWS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GEONEWS_INGEST_NICE", "3")
    get_settings.cache_clear()
    try:
        path = tmp_path / "a.ndjson"
        item = {
            "url": "https://nice.example.com/1",
            "title": "Seoul and Tokyo",
            "body": "Officials in Seoul and Tokyo met in Canberra.",
            "published_at": "2024-10-18T00:00:00Z",
        }
        path.write_bytes(orjson.dumps(item) + b"\n")
        report = cli.run_ingest([Path(path)], server=None, key=None, batch=10, console=Console(quiet=True))
    finally:
        get_settings.cache_clear()
    assert report.counts()["created"] == 1
    assert [args[2] for args in started] == [3]
