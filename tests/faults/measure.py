"""Figures for the fault guarantees (printed, not asserted): how long a client waits for its answer while
a throw-away PostgreSQL is stopped or frozen, and how soon service is back.

    python -m tests.faults.measure
"""

from __future__ import annotations

import time

import httpx

from app import migrate
from app.config import Settings

from .support import Cluster, Server


def _timed(c: httpx.Client, path: str) -> tuple[int, float]:
    t = time.perf_counter()
    r = c.get(path)
    return r.status_code, time.perf_counter() - t


def _back(c: httpx.Client) -> float:
    t = time.perf_counter()
    while c.get("/v1/actors?limit=1").status_code != 200:
        time.sleep(0.02)
    return time.perf_counter() - t


def main() -> None:
    cluster = Cluster()
    cluster.start()
    cluster.create_database()
    migrate.upgrade(Settings(database_url=cluster.url, _env_file=None))  # type: ignore[call-arg]
    server = Server(cluster.url).start()
    c = httpx.Client(base_url=server.base, timeout=60)
    try:
        for label, enter, leave, paths in (
            ("stopped", cluster.stop, cluster.start, ("/readyz", "/v1/actors?limit=1", "/v1/articles")),
            (
                "frozen (SIGSTOP), /readyz first",
                None,
                None,
                ("/readyz", "/v1/actors?limit=1", "/v1/articles"),
            ),
            ("frozen (SIGSTOP), a list first", None, None, ("/v1/actors?limit=1", "/v1/articles", "/readyz")),
        ):
            c.get("/v1/actors?limit=1")
            if enter is None:
                ctx = cluster.frozen()
                ctx.__enter__()
            else:
                enter()
            time.sleep(0.05)
            rows = [_timed(c, p) for p in paths]
            if enter is None:
                ctx.__exit__(None, None, None)
            else:
                leave()
            back = _back(c)
            print(
                f"{label}: "
                + ", ".join(f"{s} in {t:.2f} s" for s, t in rows)
                + f"; 200 again {back:.2f} s after"
            )
    finally:
        server.stop()
        cluster.destroy()


if __name__ == "__main__":
    main()
