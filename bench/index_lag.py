"""Search-index lag during full-speed ingestion: how long after a bulk batch is stored does a search find it?

    python bench/index_lag.py                      # 10,000 articles, batches of 500, 2 workers, SQLite
    python bench/index_lag.py --pg postgresql://postgres@127.0.0.1/postgres --articles 5000

A fresh database (migrated and seeded through the app) is served by `geonews serve --workers N`; once its
index is ready, one client posts NDJSON bulk batches back to back as fast as the server takes them (the
ingestion benchmark's articles). The last article of every batch carries a word found nowhere else
(`lagprobeN`) in its title. A second client asks `GET /v1/articles?q=lagprobeN&consistency=eventual` for
every batch whose answer came back, every 20 ms, until the index answers with the article
(`X-Answered-By: index`, one hit). Lag = the time from the batch's 200 to the first such answer: commit,
the change log, the indexer's commit (at least every GEONEWS_INDEX_COMMIT_INTERVAL), the reader's reload
in whichever worker answered. Target (issue 16): p99 < 2 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import OUT, geonews_server, load_average  # noqa: E402
from bench.ingest import BULK, create_key, drop_database, fresh_database, write_ndjson  # noqa: E402

POLL = 0.02


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def probe_records(ndjson: Path, batch: int) -> list[bytes]:
    """The batches' bodies, the last record of each titled with its probe word."""
    lines = ndjson.read_bytes().splitlines()
    bodies = []
    for n, i in enumerate(range(0, len(lines), batch)):
        chunk = [json.loads(x) for x in lines[i : i + batch]]
        chunk[-1]["title"] += f" lagprobe{n}"
        bodies.append(b"".join(json.dumps(r).encode() + b"\n" for r in chunk))
    return bodies


def wait_ready(base: str, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        index = httpx.get(base + "/readyz", timeout=5).json().get("index", {})
        if index.get("state") == "ready":
            return
        time.sleep(0.5)
    raise RuntimeError("the index was not ready in time")


def measure(base: str, key: str, bodies: list[bytes]) -> dict[str, Any]:
    import httpx

    stored: dict[int, float] = {}  # batch -> when its 200 came back
    lags: dict[int, float] = {}
    done = threading.Event()
    lock = threading.Lock()

    def ingest() -> None:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            for n, body in enumerate(bodies):
                r = client.post(BULK, content=body)
                if r.status_code != 200:
                    raise RuntimeError(f"batch {n}: {r.status_code} {r.text[:200]}")
                with lock:
                    stored[n] = time.perf_counter()
        done.set()

    started = time.perf_counter()
    writer = threading.Thread(target=ingest, daemon=True)
    writer.start()
    with httpx.Client(base_url=base, timeout=30) as client:
        deadline = None
        while True:
            with lock:
                pending = [n for n in stored if n not in lags]
            for n in pending:
                r = client.get(
                    "/v1/articles", params={"q": f"lagprobe{n}", "consistency": "eventual", "limit": 1}
                )
                if r.headers.get("x-answered-by") == "index" and len(r.json()["items"]) == 1:
                    lags[n] = time.perf_counter() - stored[n]
            if done.is_set():
                ingest_s = time.perf_counter() - started
                deadline = deadline or time.perf_counter() + 60
                if len(lags) == len(bodies) or time.perf_counter() > deadline:
                    break
            time.sleep(POLL)
    writer.join()
    values = list(lags.values())
    articles = sum(b.count(b"\n") for b in bodies)
    return {
        "batches": len(bodies),
        "articles": articles,
        "ingest_seconds": round(ingest_s, 2),
        "articles_per_s": round(articles / ingest_s, 1),
        "seen": len(values),
        "lag_p50_s": round(_percentile(values, 0.5), 3) if values else None,
        "lag_p99_s": round(_percentile(values, 0.99), 3) if values else None,
        "lag_max_s": round(max(values), 3) if values else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--pg", help="a PostgreSQL server URL whose user may create databases (else SQLite)")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="geonews-lag-") as tmp:
        tmpdir = Path(tmp)
        if args.pg:
            url = args.pg.rsplit("/", 1)[0] + "/geonews_bench_lag"
        else:
            url = f"sqlite:///{tmpdir / 'lag.db'}"
        fresh_database(url)
        ndjson = tmpdir / "articles.ndjson"
        write_ndjson(ndjson, args.articles, seed=5, db_url=url)
        bodies = probe_records(ndjson, args.batch)
        key = create_key(url)
        env = {"GEONEWS_INDEX_DIR": str(tmpdir / "index")}
        server = geonews_server(url, workers=args.workers, log=OUT / "index_lag.log", extra_env=env)
        try:
            with server:
                wait_ready(server.url)
                result = measure(server.url, key, bodies)
        finally:
            if args.pg:
                drop_database(url)
    result.update(
        engine="postgresql" if args.pg else "sqlite",
        workers=args.workers,
        batch=args.batch,
        load_average_end=load_average(),
    )
    (OUT / f"index_lag-{result['engine']}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0 if result["seen"] == result["batches"] else 1


if __name__ == "__main__":
    sys.exit(main())
