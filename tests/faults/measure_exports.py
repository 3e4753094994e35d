"""Figures for exports (printed, not asserted): how long a whole export of 3,500 articles (4.8 MB of
NDJSON) takes, and how long other requests take while 30 clients hold exports they do not read.

    GEONEWS_DEV_MODE=true python -m tests.faults.measure_exports [postgresql://postgres@127.0.0.1/postgres]

Without an argument it runs on a temporary SQLite file; with a PostgreSQL server URL it creates (and
drops) a database of its own there.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import migrate
from app.config import Settings
from tests.conftest import make_key

from .support import Server
from .test_exports import SUMMARY, _bulk, _ndjson


def _stall(server: Server) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", server.port))
    s.sendall(b"GET /v1/articles?format=ndjson HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(30)
    s.recv(1024)
    return s


def run(url: str) -> None:
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    key = make_key(settings, "write")
    server = Server(
        url,
        workers=1,
        GEONEWS_SEARCH_ENGINE="false",
        GEONEWS_WEBHOOKS_ENABLED="false",
        GEONEWS_EXPORT_MAX_PER_CLIENT="0",
        GEONEWS_EXPORT_SEND_TIMEOUT="300",
    ).start()
    socks: list[socket.socket] = []
    try:
        _bulk(server, key, _ndjson("base", 1500, SUMMARY))
        _bulk(server, key, _ndjson("more", 2000))
        with httpx.Client(base_url=server.base, timeout=120) as c:
            times, size = [], 0
            for _ in range(3):
                t = time.perf_counter()
                size = len(c.get("/v1/articles?format=ndjson").content)
                times.append(time.perf_counter() - t)
            print(f"whole export: {size / 1e6:.1f} MB in {statistics.median(times):.2f} s (median of 3)")
            socks = [_stall(server) for _ in range(30)]
            lat, failed = [], 0
            for _ in range(50):
                t = time.perf_counter()
                failed += c.get("/v1/articles?limit=20").status_code != 200
                lat.append((time.perf_counter() - t) * 1000)
            lat.sort()
            print(
                f"30 stalled exports: /v1/articles?limit=20 p50 {lat[25]:.1f} ms, max {lat[-1]:.1f} ms, "
                f"{failed} of 50 not 200"
            )
    finally:
        for s in socks:
            s.close()
        server.stop()


def main() -> None:
    if len(sys.argv) > 1:
        name = f"gn_measure_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            make_url(sys.argv[1]).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(make_url(sys.argv[1]).set(database=name).render_as_string(hide_password=False))
        finally:
            with admin.connect() as c, contextlib.suppress(Exception):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    d = tempfile.mkdtemp(prefix="gn_measure_")
    try:
        run(f"sqlite:///{d}/measure.db")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
