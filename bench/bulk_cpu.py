"""Where a bulk-ingesting server's CPU goes: the server process and its preparing pool, per article, and the
server's busiest threads — what tells whether HTTP bulk is bound by CPU or by waiting.

    python bench/bulk_cpu.py                          # 16,000 generated articles, GEONEWS_INGEST_PROCESSES=2
    python bench/bulk_cpu.py --articles 8000 --processes 0 --code /tmp/base

One server (one worker) on a copy of a freshly seeded SQLite file; one client posts NDJSON batches of 500
one after another (as bench/ingest.py does). The first two batches warm up (the pool's caches, SQLite's
pages); the CPU of the rest is read off /proc (utime + stime of the server process and of its children,
and of each of the server's threads) and divided by the articles they stored. Linux only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import ROOT, free_port, tool  # noqa: E402
from bench.ingest import BULK, create_key, fresh_database, write_ndjson  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """utime + stime of a process, in seconds (0 when it is gone)."""
    return _cpu_of(Path(f"/proc/{pid}/stat"))


def _threads(pid: int) -> dict[int, float]:
    """Each thread's utime + stime, in seconds (Python's threads carry no OS names to tell them by)."""
    return {int(task.name): _cpu_of(task / "stat") for task in Path(f"/proc/{pid}/task").glob("*")}


def _cpu_of(stat: Path) -> float:
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(proc.name))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=16000)
    ap.add_argument("--processes", type=int, default=2, help="GEONEWS_INGEST_PROCESSES (0: inline)")
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
        write_ndjson(ndjson, args.articles, db_url=seeded)
        shutil.copy(tmp / "seeded.db", tmp / "run.db")
        url = f"sqlite:///{tmp / 'run.db'}"
        key = create_key(url)
        port = free_port()
        env = {**os.environ, "GEONEWS_DATABASE_URL": url, "GEONEWS_LOG_LEVEL": "warning", "GEONEWS_DEV_MODE": "true",
               "GEONEWS_RATE_LIMIT_ENABLED": "false", "GEONEWS_INGEST_PROCESSES": str(args.processes),
               "PYTHONPATH": str(code)}  # fmt: skip
        server = subprocess.Popen(
            [tool("geonews"), "serve", "--no-seed", "--port", str(port), "--workers", "1"],
            env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        body = client.get("/readyz").json()
                        pool = body.get("ingest_pool") or {}
                        if body.get("index", {}).get("state") == "ready" and (
                            not pool.get("processes") or pool.get("started")
                        ):
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("the server did not become ready")
                    time.sleep(0.2)
                lines = ndjson.read_bytes().splitlines()
                batches = [b"\n".join(lines[i : i + 500]) for i in range(0, len(lines), 500)]
                headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {key}"}

                def post(batch: bytes) -> None:
                    r = client.post(BULK, content=batch, headers=headers)
                    if r.status_code != 200:
                        raise SystemExit(f"bulk answered {r.status_code}: {r.text[:300]}")

                for batch in batches[:2]:
                    post(batch)
                time.sleep(1.5)  # the indexer's commit of the warm-up batches
                kids = _children(server.pid)
                before = (_cpu(server.pid), {k: _cpu(k) for k in kids}, _threads(server.pid))
                started = time.perf_counter()
                n = 0
                for batch in batches[2:]:
                    post(batch)
                    n += batch.count(b"\n") + 1
                elapsed = time.perf_counter() - started
                time.sleep(1.5)  # the indexer's last commit
                main_cpu = _cpu(server.pid) - before[0]
                pool_cpu = sum(_cpu(k) - c for k, c in before[1].items())
                after_threads = _threads(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    us = 1e6 / max(n, 1)
    print(
        f"## HTTP bulk, {n:,} articles after two warm-up batches, GEONEWS_INGEST_PROCESSES={args.processes}\n"
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
