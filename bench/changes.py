"""Change-feed benchmarks: commit-to-delivery latency over SSE while ingesting at full speed with idle
subscribers connected, server memory with 1,000 idle SSE subscribers, webhook delivery throughput to a
local receiver, and the cost of writing the change log during ingestion.

    python bench/changes.py                         # SQLite
    python bench/changes.py --pg postgresql://postgres@127.0.0.1/postgres
    python bench/changes.py --subscribers 200 --idle 1000 --articles 5000
    python bench/changes.py --only memory --baseline main   # idle streams' memory, now and at a commit

Latency is measured from a change's `at` (stamped by the server just before the commit that writes it) to
the moment a client holding an open stream receives it. The idle subscribers follow `member_of=ip4`, as a
frontend's live strip would, and read what arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402 - after the path fix

from bench.common import OUT, geonews_server, load_average  # noqa: E402
from bench.ingest import create_key, fresh_database, post_batches, write_ndjson  # noqa: E402


def _checkout(ref: str, into: Path) -> Path:
    """The source tree of a commit (for --baseline), without touching the working tree."""
    archive = subprocess.run(
        ["git", "-C", str(BENCH_DIR.parent), "archive", ref], check=True, capture_output=True
    )
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p * len(values)))], 1)


async def _subscriber(base: str, params: dict[str, str], ready: asyncio.Event, sink: list[float] | None,
                      stop: asyncio.Event, counter: list[int]) -> None:  # fmt: skip
    import httpx

    c = httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None))
    async with c, c.stream("GET", "/v1/changes/stream", params=params) as r:
        counter[0] += 1
        if counter[0] >= counter[1]:
            ready.set()
        async for line in r.aiter_lines():
            if stop.is_set():
                return
            if sink is not None and line.startswith("data:"):
                change = json.loads(line[5:])
                at = datetime.fromisoformat(change["at"].replace("Z", "+00:00"))
                sink.append((time.time() - at.timestamp()) * 1000)


def latency(url: str, ndjson: Path, subscribers: int, workers: int) -> dict[str, Any]:
    """p50/p99 commit-to-delivery with `subscribers` idle member_of=ip4 streams, ingesting at full speed."""
    key = create_key(url)
    with geonews_server(url, workers=workers, log=OUT / "logs" / "changes-latency.log") as srv:
        lat: list[float] = []
        done = threading.Event()
        result: dict[str, Any] = {}

        async def listen() -> None:
            stop, ready = asyncio.Event(), asyncio.Event()
            counter = [0, subscribers + 1]
            tasks = [asyncio.create_task(_subscriber(srv.url, {"member_of": "ip4"}, ready, None, stop, counter))
                     for _ in range(subscribers)]  # fmt: skip
            tasks.append(
                asyncio.create_task(_subscriber(srv.url, {"entity": "article"}, ready, lat, stop, counter))
            )
            await asyncio.wait_for(ready.wait(), 120)
            result["connected"] = counter[0]
            started.set()
            await asyncio.to_thread(done.wait)
            await asyncio.sleep(2)  # the last changes arrive
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        started = threading.Event()
        th = threading.Thread(target=lambda: asyncio.run(listen()))
        th.start()
        assert started.wait(180), "subscribers did not connect"
        ingest = post_batches(srv.url, key, ndjson, 500, 600)
        done.set()
        th.join(60)
        rss = srv.rss()
    return {
        "subscribers": subscribers,
        "connected": result.get("connected"),
        "workers": workers,
        "ingest": ingest,
        "delivered": len(lat),
        "p50_ms": _pct(lat, 0.5),
        "p99_ms": _pct(lat, 0.99),
        "max_ms": round(max(lat), 1) if lat else None,
        "rss_mib": rss["total_mib"],
    }


def idle_memory(url: str, idle: int, app_dir: Path | None = None) -> dict[str, Any]:
    """Server RSS (1 worker) before and with `idle` open SSE streams that receive nothing; `app_dir`: serve
    the app of that source tree instead (another commit's, see --baseline)."""
    env = (
        {"PYTHONPATH": os.pathsep.join(filter(None, [str(app_dir), os.environ.get("PYTHONPATH")]))}
        if app_dir
        else None
    )
    with geonews_server(url, workers=1, log=OUT / "logs" / "changes-memory.log", extra_env=env) as srv:
        import httpx

        for _ in range(200):  # warm the routes
            httpx.get(srv.url + "/v1/changes", params={"limit": 1})
        time.sleep(1)
        before = srv.rss()["total_mib"]
        out: dict[str, Any] = {}
        hold, measured = threading.Event(), threading.Event()

        async def connect() -> None:
            stop, ready = asyncio.Event(), asyncio.Event()
            counter = [0, idle]
            tasks = [asyncio.create_task(_subscriber(srv.url, {"source": "nobody.example"}, ready, None, stop, counter))
                     for _ in range(idle)]  # fmt: skip
            await asyncio.wait_for(ready.wait(), 300)
            out["connected"] = counter[0]
            await asyncio.sleep(3)
            hold.set()
            await asyncio.to_thread(measured.wait)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        th = threading.Thread(target=lambda: asyncio.run(connect()))
        th.start()
        assert hold.wait(360), "idle subscribers did not connect"
        during = srv.rss()["total_mib"]
        measured.set()
        th.join(60)
    return {"idle": idle, "connected": out.get("connected"), "rss_before_mib": before, "rss_with_mib": during,
            "added_mib": round(during - before, 1)}  # fmt: skip


class _Receiver:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.count += len(json.loads(body)["data"]["changes"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def webhooks(url: str, ndjson: Path, n: int) -> dict[str, Any]:
    """Changes/s delivered to a local receiver: the backlog of `n` articles, after the receiver comes up."""
    import httpx

    key, adm = create_key(url), create_key(url, "admin")
    env = {"GEONEWS_WEBHOOKS_ALLOW_PRIVATE": "true", "GEONEWS_WEBHOOKS_ENABLED": "false"}
    with geonews_server(url, workers=1, log=OUT / "logs" / "changes-webhooks.log", extra_env=env) as srv:
        receiver = _Receiver()
        httpx.post(srv.url + "/v1/webhooks", json={"url": receiver.url, "entity": ["article"]},
                   headers={"X-API-Key": adm}).raise_for_status()  # fmt: skip
        ingest = post_batches(srv.url, key, ndjson, 500, 600)
    env["GEONEWS_WEBHOOKS_ENABLED"] = "true"
    with geonews_server(url, workers=1, log=OUT / "logs" / "changes-webhooks.log", extra_env=env):
        started = time.perf_counter()
        while receiver.count < ingest["created"] and time.perf_counter() - started < 300:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    receiver.server.shutdown()
    return {"changes": receiver.count, "seconds": round(elapsed, 2),
            "changes_per_s": round(receiver.count / elapsed, 1) if elapsed else None}  # fmt: skip


def outbox_cost(url: str, ndjson: Path, n: int) -> dict[str, Any]:
    """Storing prepared articles with and without writing their changes, in-process (best of 3 each)."""
    import orjson
    from sqlalchemy.orm import Session

    from app.actors.gazetteer import load_entries
    from app.articles.schemas import ArticleCreate
    from app.articles.service import record_stored, store, to_input
    from app.config import Settings
    from app.db import make_sync_engine
    from app.ingestion.linker import Gazetteer
    from app.ingestion.pipeline import prepare

    records = [orjson.loads(line) for line in ndjson.read_bytes().splitlines()[:n]]
    engine = make_sync_engine(Settings(database_url=url))
    with Session(engine) as s:
        gazetteer = Gazetteer(load_entries(s))
    prepared = [prepare(i, to_input(ArticleCreate(**r)), gazetteer) for i, r in enumerate(records)]
    engine.dispose()
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(3):
        for mode in ("without", "with"):
            fresh_database(url)
            engine = make_sync_engine(Settings(database_url=url))
            t = time.perf_counter()
            for k in range(0, len(prepared), 500):
                chunk = prepared[k : k + 500]
                with Session(engine) as s, s.begin():
                    outcomes = store(s, chunk)
                    if mode == "with":
                        record_stored(s, chunk, outcomes)
            times[mode].append(time.perf_counter() - t)
            engine.dispose()
    best = {m: min(v) for m, v in times.items()}
    return {"articles": len(prepared), "store_s": round(best["without"], 3), "store_and_log_s": round(best["with"], 3),
            "overhead_pct": round(100 * (best["with"] / best["without"] - 1), 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pg", help="a PostgreSQL server URL whose user may create databases")
    p.add_argument("--articles", type=int, default=5000)
    p.add_argument("--subscribers", type=int, default=200)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--only", default="latency,memory,webhooks,outbox")
    p.add_argument(
        "--baseline",
        metavar="REF",
        help="also measure idle memory with the app of this git commit, in the same run (its packages must "
        "be importable: add what it needs to PYTHONPATH)",
    )
    args = p.parse_args(argv)
    _raise_file_limit()
    (OUT / "logs").mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    results: dict[str, Any] = {
        "load_start": load_average(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        ndjson = Path(tmp) / "articles.ndjson"
        write_ndjson(ndjson, args.articles, seed=7)
        engines = [("sqlite", f"sqlite:///{tmp}/changes.db")]
        if args.pg:
            from sqlalchemy.engine import make_url

            engines.append(
                ("postgresql", make_url(args.pg).set(database="gn_bench_changes").render_as_string(False))
            )
        for name, url in engines:
            r: dict[str, Any] = {}
            if "latency" in only:
                r["latency"] = latency(fresh_database(url), ndjson, args.subscribers, args.workers)
            if "memory" in only:
                r["memory"] = idle_memory(fresh_database(url), args.idle)
                if args.baseline:
                    tree = _checkout(args.baseline, Path(tmp) / f"baseline-{name}")
                    r["memory_baseline"] = {
                        "ref": args.baseline,
                        **idle_memory(fresh_database(url), args.idle, tree),
                    }
            if "webhooks" in only:
                r["webhooks"] = webhooks(fresh_database(url), ndjson, args.articles)
            if "outbox" in only:
                r["outbox"] = outbox_cost(fresh_database(url), ndjson, min(args.articles, 3000))
            results[name] = r
            print(json.dumps({name: r}, indent=1), flush=True)
            if name == "postgresql":
                from bench.ingest import drop_database

                with contextlib.suppress(Exception):
                    drop_database(url)
    results["load_end"] = load_average()
    (OUT / "changes.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
