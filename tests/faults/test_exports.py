"""Exports hold nothing of the database while they wait for a client: clients that request an export and
stop reading neither exhaust the PostgreSQL pool (other requests still answer 200, and no connection is
left "idle in transaction") nor pin SQLite's WAL (checkpoints complete while articles are ingested beside
them); a client that takes no bytes is dropped after the send timeout, and each address may run only so
many exports at once (429 past it). Chunked reads yield every row once, in order."""

from __future__ import annotations

import csv
import errno
import io
import json
import socket
import sqlite3
import time
from pathlib import Path

import httpx
import orjson
from sqlalchemy import create_engine, text

from app.config import Settings
from app.main import create_app
from tests.conftest import make_key

from .support import Server

SUMMARY = " ".join(
    ["Ministers met in the capital to discuss the grain corridor and sanctions."] * 40
)  # ~3 KB


def _ndjson(tag: str, n: int, summary: str = "") -> bytes:
    return "\n".join(
        json.dumps(
            {
                "url": f"https://{tag}.example.org/story/{i}",
                "title": f"{tag} story {i} about trade talks",
                "body": f"The delegation met officials to discuss the agreement. Item {i}.",
                **({"summary": f"{summary} {i}"} if summary else {}),
                "published_at": f"2024-06-{1 + i % 28:02d}T10:00:00Z",
            }
        )
        for i in range(n)
    ).encode()


def _bulk(server: Server, key: str, payload: bytes) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    r = httpx.post(f"{server.base}/v1/articles/bulk", content=payload, headers=headers, timeout=300)
    assert r.status_code == 200 and not r.json()["failed"], r.text[:500]


def _stalled_reader(server: Server, path: str) -> socket.socket:
    """A client that asks for an export, reads the response's first bytes, then never reads again (with
    a small receive window, so that the server soon has to wait for it)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", server.port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    s.settimeout(30)
    head = s.recv(1024)
    assert head.startswith(b"HTTP/1.1 200"), head[:300]
    return s


def _was_reset(s: socket.socket) -> bool:
    """Whether the peer reset the connection (seen without reading what is still buffered)."""
    return s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET or s.fileno() < 0


def _server(settings: Settings, **env: str) -> Server:
    return Server(
        settings.database_url,
        workers=1,
        GEONEWS_SEARCH_ENGINE="false",
        GEONEWS_WEBHOOKS_ENABLED="false",
        **env,
    ).start()


def _idle_in_transaction(settings: Settings) -> int:
    engine = create_engine(settings.sync_url)
    try:
        with engine.connect() as c:
            return c.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'geonews' AND state LIKE 'idle in transaction%'"
                )
            ).scalar_one()
    finally:
        engine.dispose()


def _checkpoint_completes(db_file: Path) -> tuple[int, int, int]:
    """A PASSIVE checkpoint that copies every frame of the WAL (a reader pinning an old snapshot stops it
    short). The server may be between two statements: a few attempts."""
    conn = sqlite3.connect(db_file, timeout=5)
    try:
        for _ in range(50):
            busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if busy == 0 and log == done:
                return busy, log, done
            time.sleep(0.1)
        return busy, log, done
    finally:
        conn.close()


def test_stalled_export_readers_hold_no_connection_and_no_snapshot(settings):
    """30 stalled readers (PostgreSQL, one worker whose pool has 20 connections) or 5 (SQLite); 2,000
    articles are ingested beside them, and other requests still answer 200."""
    key = make_key(settings, "write")
    stalled = 5 if settings.is_sqlite else 30
    server = _server(settings, GEONEWS_EXPORT_MAX_PER_CLIENT="0", GEONEWS_EXPORT_SEND_TIMEOUT="300")
    socks: list[socket.socket] = []
    try:
        _bulk(server, key, _ndjson("base", 1500, SUMMARY))  # 4.5 MB: more than one chunk and the buffers
        for i in range(stalled):
            path = "/v1/articles?format=ndjson" if i % 2 else "/v1/articles?format=csv&sort=published_at"
            socks.append(_stalled_reader(server, path))
        for i in range(4):
            _bulk(server, key, _ndjson(f"beside{i}", 500))
        with httpx.Client(base_url=server.base, timeout=10) as c:
            for path in ("/readyz", "/v1/actors?limit=5", "/v1/articles?limit=5", "/v1/events?limit=5") * 5:
                r = c.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text[:300], server.output()[-3000:])
            assert len(
                c.get("/v1/articles?format=ndjson&source=beside0.example.org").content.splitlines()
            ) in (
                0,
                500,
            )
        if settings.is_sqlite:
            db_file = Path(settings.database_url.split("///", 1)[1])
            busy, log, done = _checkpoint_completes(db_file)
            assert busy == 0 and log == done, f"checkpoint stopped at {done} of {log} frames: WAL pinned"
        else:
            assert _idle_in_transaction(settings) == 0
        # A stalled client that reads again gets its whole export (all 600 rows of the time it began).
        socks[1].settimeout(30)
        received = b""
        while not received.endswith(b"0\r\n\r\n"):
            chunk = socks[1].recv(65536)
            assert chunk, "the server closed a stalled export early"
            received += chunk
        assert received.count(b"base.example.org") >= 1500
    finally:
        for s in socks:
            s.close()
        server.stop()


def test_a_client_that_stops_reading_is_dropped_and_exports_per_address_are_capped(settings):
    key = make_key(settings, "write")
    server = _server(settings, GEONEWS_EXPORT_MAX_PER_CLIENT="2", GEONEWS_EXPORT_SEND_TIMEOUT="2")
    socks: list[socket.socket] = []
    try:
        _bulk(server, key, _ndjson("base", 1500, SUMMARY))
        socks = [_stalled_reader(server, "/v1/articles?format=ndjson") for _ in range(2)]
        with httpx.Client(base_url=server.base, timeout=10) as c:
            r = c.get("/v1/actors?format=csv")
            assert r.status_code == 429, r.text[:300]
            assert r.headers["content-type"].startswith("application/problem+json")
            assert int(r.headers["retry-after"]) >= 1
            assert c.get("/v1/actors?limit=5").status_code == 200  # only exports are capped
            # Each stalled client is dropped (reset) after the send timeout, and its slot is free again.
            deadline = time.monotonic() + 30
            while not all(_was_reset(s) for s in socks) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert c.get("/v1/actors?format=csv").status_code == 200
            for s in socks:
                s.settimeout(30)
                received = b""
                try:
                    while chunk := s.recv(65536):
                        received += chunk
                except ConnectionResetError:
                    pass
                assert not received.endswith(b"0\r\n\r\n"), "a stalled export was completed"
            exported = c.get("/v1/articles?format=ndjson&source=base.example.org")
            assert len(exported.content.splitlines()) == 1500
    finally:
        for s in socks:
            s.close()
        server.stop()


def _items(client, path: str, params: dict) -> list[dict]:
    out, cursor = [], None
    while True:
        body = client.get(path, params={**params, "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert body.status_code == 200, body.text
        out += body.json()["items"]
        if not (cursor := body.json()["next_cursor"]):
            return out


def test_chunked_exports_yield_every_row_once_in_order(settings, write_headers):
    from fastapi.testclient import TestClient

    settings = settings.model_copy(update={"export_chunk_rows": 3, "search_engine": False})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for i in range(11):  # ties on published_at: the id breaks them
            r = client.post(
                "/v1/articles",
                json={
                    "url": f"https://chunks.example.org/{i}",
                    "title": f"Chunk {i} on grain talks" + (" and grain" * (i % 3)),
                    "published_at": f"2024-05-0{1 + i % 2}T08:00:00Z",
                },
                headers=write_headers,
            )
            assert r.status_code == 201, r.text
        cases = [
            ("/v1/articles", {"source": "chunks.example.org"}),
            ("/v1/articles", {"source": "chunks.example.org", "sort": "published_at"}),
            ("/v1/articles", {"q": "grain", "sort": "relevance"}),
            ("/v1/actors", {"kind": "country"}),
            ("/v1/actors", {"q": "united"}),
            ("/v1/events", {}),
        ]
        for path, params in cases:
            lines = client.get(path, params={**params, "format": "ndjson"})
            assert lines.status_code == 200, lines.text
            exported = [orjson.loads(x)["id"] for x in lines.content.splitlines()]
            assert len(exported) > 3, (path, params)  # more than one chunk
            assert len(set(exported)) == len(exported), (path, params)
            if params.get("sort") == "relevance":  # JSON pages rank their own way: the same set
                assert sorted(exported) == sorted(i["id"] for i in _items(client, path, params))
                continue
            assert exported == [i["id"] for i in _items(client, path, params)], (path, params)
        rows = list(csv.DictReader(io.StringIO(client.get("/v1/actors?format=csv&kind=country").text)))
        assert [int(r["id"]) for r in rows] == [
            i["id"] for i in _items(client, "/v1/actors", {"kind": "country"})
        ]
        header = client.get("/v1/events?format=csv").text.splitlines()[0]
        empty = client.get("/v1/events?format=csv&source=nowhere")
        assert empty.status_code == 200 and empty.text.splitlines() == [header]
