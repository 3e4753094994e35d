"""uvicorn (as `geonews serve` runs it) against granian, for the same app and the same requests.

    python bench/servers.py bench/data/100k.db [--duration 10] [--workers 1]

Four servers in turn, one worker each unless told: geonews under `geonews serve` (uvicorn + httptools and
geonews's protocol guard), the same app under granian (ASGI interface), and a bare ASGI hello world
under each (the ceiling). Each is driven by wrk with 4 and 16 connections over the same 1,000
`/v1/articles/{id}` paths (random ids). A markdown table goes to stdout and bench/out/servers.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import HOST, OUT, ROOT, Server, free_port, geonews_server, load_average, run_wrk  # noqa: E402

ENV = {"GEONEWS_LOG_LEVEL": "warning", "GEONEWS_DEV_MODE": "true", "GEONEWS_RATE_LIMIT_ENABLED": "false"}


def granian_server(target: str, workers: int, env: dict[str, str], ready: str, factory: bool) -> Server:
    port = free_port()
    argv = [
        str(Path(sys.executable).with_name("granian")), "--interface", "asgi", "--host", HOST,
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-ws",
    ]  # fmt: skip
    if factory:
        argv.append("--factory")
    return Server(f"granian {target}", [*argv, target], f"http://{HOST}:{port}", ready, env=env)


def uvicorn_hello(workers: int) -> Server:
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT), "bench.hello_asgi:app", "--host", HOST,
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return Server("uvicorn hello", argv, f"http://{HOST}:{port}", "/")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args()
    db = Path(args.db).resolve()
    with sqlite3.connect(db) as conn:
        top = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    rng = random.Random(7)
    paths = [f"/v1/articles/{rng.randint(1, top)}" for _ in range(1000)]
    scratch = Path(tempfile.mkdtemp(prefix="geonews-servers-"))
    env = {**ENV, "GEONEWS_DATABASE_URL": f"sqlite:///{db}"}
    servers = [
        ("geonews: uvicorn (geonews serve)", geonews_server(f"sqlite:///{db}", args.workers), paths),
        (
            "geonews: granian",
            granian_server("app.main:create_app", args.workers, env, "/readyz", True),
            paths,
        ),
        ("hello: uvicorn", uvicorn_hello(args.workers), ["/"]),
        ("hello: granian", granian_server("bench.hello_asgi:app", args.workers, {}, "/", False), ["/"]),
    ]
    results = []
    for name, srv, wanted in servers:
        srv.start()
        try:
            run_wrk(srv.url, wanted, duration=2, connections=4, threads=2, scratch=scratch)  # warm-up
            for c in (4, 16):
                load = load_average()
                r = run_wrk(
                    srv.url, wanted, duration=args.duration, connections=c, threads=2, scratch=scratch
                )
                results.append({"server": name, "connections": c, "load": load, **r})
                print(f"{name:<34} c{c:<3} {r['rps']:>9,.0f} req/s  p50 {r['p50_ms']:.2f}  p99 {r['p99_ms']:.2f} ms",
                      flush=True)  # fmt: skip
        finally:
            srv.stop()
    lines = [
        f"`python bench/servers.py {db.name} --duration {args.duration} --workers {args.workers}`",
        "",
        "| server | connections | req/s | p50 ms | p99 ms | load before |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(f"| {r['server']} | {r['connections']} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['load']} |")  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "servers.md").write_text("\n".join(lines) + "\n")
    (OUT / "servers.json").write_text(json.dumps(results, indent=1))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
