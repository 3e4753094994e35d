"""A bulk body is prepared outside the worker's write turn: while one is being prepared, another write
of the same worker (a single article here; the next bulk body of a client with two in flight in
`bench/bulk_cpu.py --in-flight 2`) is stored, instead of queueing behind the whole request. Before the
twenty-seventh session the turn was taken for the whole request on SQLite, preparing included."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import orjson
from fastapi.testclient import TestClient

from app.articles.preparer import Preparer
from app.main import create_app
from tests.conftest import index_ready


def _article(i: int) -> dict:
    return {
        "url": f"https://turn.example.com/a/{i}",
        "title": f"Turn article {i}",
        "body": f"Article {i}: Seoul and Tokyo met in Canberra. Number {i * 7919}.",
        "published_at": "2024-10-18T00:00:00Z",
    }


def test_a_bulk_body_being_prepared_holds_no_write_turn(settings, write_headers, monkeypatch):
    # With the turn held while the bulk body is prepared, the single POST below would queue for it for
    # this budget and then be refused (503 busy): it must be stored meanwhile instead.
    settings = settings.model_copy(update={"sqlite_write_budget": 3.0})
    preparing, release = threading.Event(), threading.Event()
    original = Preparer.prepare_raw

    async def held(self, session, objects):
        preparing.set()
        await anyio.to_thread.run_sync(release.wait, 60)
        return await original(self, session, objects)

    monkeypatch.setattr(Preparer, "prepare_raw", held)
    payload = b"\n".join(orjson.dumps(_article(i)) for i in range(3))
    with (
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
        ThreadPoolExecutor(1) as ex,
    ):
        index_ready(client.app)
        bulk = ex.submit(
            client.post,
            "/v1/articles/bulk",
            content=payload,
            headers={**write_headers, "content-type": "application/x-ndjson"},
        )
        try:
            assert preparing.wait(30), "the bulk body never reached its preparing"
            single = client.post("/v1/articles", json=_article(99), headers=write_headers)
            assert not bulk.done()  # still held in its preparing
            assert single.status_code == 201, single.text
        finally:
            release.set()
        report = bulk.result(60)
        assert report.status_code == 200, report.text
        assert report.json()["created"] == 3
        got = client.get("/v1/articles", params={"source": "turn.example.com", "limit": 10}).json()
        assert sorted(a["url"] for a in got["items"]) == sorted(_article(i)["url"] for i in (0, 1, 2, 99))
