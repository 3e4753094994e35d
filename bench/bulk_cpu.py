"""Where a bulk-ingesting server's CPU goes: the server process and its preparing pool, per article, and the
server's busiest threads — what tells whether HTTP bulk is bound by CPU or by waiting.

    python bench/bulk_cpu.py                          # 16,000 generated articles, GEONEWS_INGEST_PROCESSES=2
    python bench/bulk_cpu.py --articles 8000 --processes 0 --code /tmp/base
    python bench/bulk_cpu.py --in-flight 2           # the client keeps two requests in flight

One server (one worker) on a copy of a freshly seeded SQLite file; one client posts NDJSON batches of --batch (1000)
one after another (as bench/ingest.py does), or --in-flight of them at a time. The first two batches warm
up (the pool's caches, SQLite's pages); the CPU of the rest is read off /proc (utime + stime of the server
process and of its children, and of each of the server's threads) and divided by the articles they
stored. Linux only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import ROOT, geonews_server, process_tree, stat_cpu_s  # noqa: E402
from bench.ingest import BULK, create_key, fresh_database, pool_started, write_ndjson  # noqa: E402


def _cpu(pid: int) -> float:
    return stat_cpu_s(Path(f"/proc/{pid}/stat")) or 0.0


def _threads(pid: int) -> dict[int, float]:
    """Each thread's CPU in seconds (Python's threads carry no OS names to tell them by)."""
    return {int(t.name): stat_cpu_s(t / "stat") or 0.0 for t in Path(f"/proc/{pid}/task").glob("*")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=16000)
    ap.add_argument(
        "--language",
        help="each article declares this language (e.g. en: no detection); default none declared",
    )
    ap.add_argument("--processes", type=int, default=2, help="GEONEWS_INGEST_PROCESSES (0: inline)")
    ap.add_argument("--in-flight", type=int, default=1, help="requests the client keeps in flight")
    ap.add_argument(
        "--batch", type=int, default=1000, help="articles a request (default 1000: geonews ingest --server's)"
    )
    ap.add_argument(
        "--code", type=Path, default=ROOT, help="the checkout whose app/ runs (default: this one)"
    )
    args = ap.parse_args()
    import httpx

    code = args.code.resolve()
    with tempfile.TemporaryDirectory(prefix="geonews-bulk-cpu-") as tmpdir:
        tmp = Path(tmpdir)
        seeded = fresh_database(f"sqlite:///{tmp / 'seeded.db'}")
        ndjson = tmp / "articles.ndjson"
        write_ndjson(ndjson, args.articles, language=args.language, db_url=seeded)
        shutil.copy(tmp / "seeded.db", tmp / "run.db")
        url = f"sqlite:///{tmp / 'run.db'}"
        key = create_key(url)
        env = {"GEONEWS_INGEST_PROCESSES": str(args.processes), "PYTHONPATH": str(code)}
        srv = geonews_server(url, extra_env=env).start(timeout=120)
        try:
            pool_started(srv.url, 120)
            with httpx.Client(base_url=srv.url, timeout=120) as client:
                deadline = time.monotonic() + 120
                while client.get("/readyz").json().get("index", {}).get("state") != "ready":
                    if time.monotonic() > deadline:
                        raise SystemExit("the server's index did not become ready")
                    time.sleep(0.2)
                lines = ndjson.read_bytes().splitlines()
                batches = [b"\n".join(lines[i : i + args.batch]) for i in range(0, len(lines), args.batch)]
                headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {key}"}

                def post(batch: bytes) -> None:
                    r = client.post(BULK, content=batch, headers=headers)
                    if r.status_code != 200:
                        raise SystemExit(f"bulk answered {r.status_code}: {r.text[:300]}")

                for batch in batches[:2]:
                    post(batch)
                time.sleep(1.5)  # the indexer's commit of the warm-up batches
                kids = [p for p in process_tree(srv.pid) if p != srv.pid]
                before = (_cpu(srv.pid), {k: _cpu(k) for k in kids}, _threads(srv.pid))
                started = time.perf_counter()
                with ThreadPoolExecutor(max(1, args.in_flight)) as senders:  # one connection each
                    list(senders.map(post, batches[2:]))
                n = sum(batch.count(b"\n") + 1 for batch in batches[2:])
                elapsed = time.perf_counter() - started
                time.sleep(1.5)  # the indexer's last commit
                main_cpu = _cpu(srv.pid) - before[0]
                pool_cpu = sum(_cpu(k) - c for k, c in before[1].items())
                after_threads = _threads(srv.pid)
        finally:
            srv.stop()
    us = 1e6 / max(n, 1)
    print(
        f"## HTTP bulk, {n:,} articles after two warm-up batches, GEONEWS_INGEST_PROCESSES={args.processes}, "
        f"{args.in_flight} in flight, {args.batch} a request\n"
    )
    print(f"- {n / elapsed:,.0f} articles/s; CPU µs an article: server process {main_cpu * us:,.0f}, "
          f"preparing pool {pool_cpu * us:,.0f}, in all {(main_cpu + pool_cpu) * us:,.0f}")  # fmt: skip
    busiest = sorted((cpu - before[2].get(tid, 0.0) for tid, cpu in after_threads.items()), reverse=True)
    print(
        "- the server's busiest threads, µs an article: "
        + ", ".join(f"{c * us:,.0f}" for c in busiest[:6] if c > 0)
    )


if __name__ == "__main__":
    main()
