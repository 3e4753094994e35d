"""PostgreSQL stopped, frozen (SIGSTOP) and restarted under a running server: every request is answered
with 200 or a 503 problem document (never a 500, never a hang), and service comes back by itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from app.config import Settings
from tests.conftest import make_key

from .support import Cluster, Server

READS = ("/readyz", "/v1/actors", "/v1/articles", "/v1/events?limit=5", "/v1/relations")


@pytest.fixture(scope="module")
def server(cluster: Cluster) -> Iterator[Server]:
    s = Server(cluster.url, GEONEWS_DB_STATEMENT_TIMEOUT_MS="5000").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def write_key(cluster: Cluster) -> str:
    return make_key(Settings(database_url=cluster.url, _env_file=None), "write")  # type: ignore[call-arg]


def _assert_unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, (r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["status"] == 503


def _wait_ready(c: httpx.Client, within: float = 20) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within:
        try:
            if c.get("/readyz").status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not become ready again")


def test_stopped_database_is_503_then_recovers_without_restart(cluster, server, write_key):
    c = httpx.Client(base_url=server.base, timeout=15)
    auth = {"Authorization": f"Bearer {write_key}"}
    assert c.get("/v1/actors").status_code == 200
    cluster.stop()
    try:
        for path in READS:
            _assert_unavailable(c.get(path))
        _assert_unavailable(c.post("/v1/actors", json={"kind": "person", "name": "Nobody"}, headers=auth))
    finally:
        cluster.start()
    _wait_ready(c)
    assert c.get("/v1/actors").status_code == 200
    r = c.post("/v1/actors", json={"kind": "person", "name": "Back Again"}, headers=auth)
    assert r.status_code == 201, r.text


def test_frozen_database_is_503_then_recovers(cluster, server):
    # The client timeout only turns a hang into a failure; the server's own budget is ~2 s.
    c = httpx.Client(base_url=server.base, timeout=15)
    assert c.get("/v1/actors").status_code == 200
    with cluster.frozen():
        # A plain request first: it meets the frozen database itself (ping, reconnect), before any probe.
        for path in (*READS[1:], READS[0]):
            _assert_unavailable(c.get(path))
    _wait_ready(c)
    for path in READS:
        assert c.get(path).status_code == 200


def test_restart_under_load_never_500(cluster, server):
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.base, timeout=15) as c:
            while not stop.is_set():
                try:
                    statuses.append(c.get("/v1/actors?limit=5").status_code)
                except httpx.HTTPError:
                    statuses.append(-1)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        cluster.restart()
        time.sleep(1.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses[-1] == 200 or _wait_ready(httpx.Client(base_url=server.base, timeout=15)) >= 0
