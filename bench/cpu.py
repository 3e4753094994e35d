"""Server CPU per request for the workloads of bench/http.py: one worker, sequential requests, the CPU time
of the server's processes (utime + stime from /proc) divided by the requests. On a shared machine whose
host steals CPU, wall-clock latencies move with the neighbours; CPU per request does not, so this is the
figure to compare two versions with, back to back in one run.

    python bench/cpu.py bench/data/1m.db                                  # this checkout
    git worktree add /tmp/before HEAD~3
    python bench/cpu.py bench/data/1m.db --src /tmp/before --src .        # before and after, same paths

Each --src is a source tree of geonews (its `app` package is imported from there; the environment is
this one), served on the same database and index.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

import httpx  # noqa: E402

from bench.common import OUT, Server, geonews_server, process_tree, sqlite_url, stat_cpu_s  # noqa: E402


def _http_module() -> Any:
    spec = importlib.util.spec_from_file_location("bench_http", Path(__file__).with_name("http.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module
    spec.loader.exec_module(module)
    return module


def cpu_ms(pid: int) -> float:
    return 1000 * sum(stat_cpu_s(Path(f"/proc/{p}/stat")) or 0.0 for p in process_tree(pid))


def server(src: Path, db: Path, index: Path | None) -> Server:
    """bench/http.py's geonews server with one worker, its `app` imported from `src`."""
    srv = geonews_server(sqlite_url(db), extra_env={"GEONEWS_INDEX_DIR": str(index)} if index else None)
    argv = ["geonews", *srv.argv[1:]]
    code = (
        f"import sys; sys.path.insert(0, {str(src)!r}); sys.argv = {argv!r}; from app.cli import main; main()"
    )
    srv.argv = [sys.executable, "-c", code]
    return srv


def measure(srv: Server, paths: list[str], n: int) -> dict[str, float]:
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        for p in paths[:20]:  # warm-up
            client.get(p)
        before, started = cpu_ms(srv.pid), time.perf_counter()
        for i in range(n):
            r = client.get(paths[i % len(paths)])
            if r.status_code != 200:
                raise RuntimeError(f"{paths[i % len(paths)]} answered {r.status_code}: {r.text[:200]}")
        wall = time.perf_counter() - started
        return {"cpu_ms": (cpu_ms(srv.pid) - before) / n, "wall_ms": wall * 1000 / n}


def idle_cpu(srv: Server, seconds: float = 10.0) -> float:
    before = cpu_ms(srv.pid)
    time.sleep(seconds)
    return (cpu_ms(srv.pid) - before) / seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    p.add_argument("--src", type=Path, action="append", help="geonews source trees to compare (default .)")
    p.add_argument("--index", type=Path, help="the index directory (default: the database's)")
    p.add_argument("--requests", type=int, default=300, help="requests per workload (default 300)")
    p.add_argument("--only", help="comma list of workloads")
    args = p.parse_args(argv)
    http = _http_module()
    info = http.introspect(args.db)
    workloads = [w for w in http.build_workloads(info, args.db.stem, True) if w.geonews]
    if args.only:
        workloads = [w for w in workloads if w.name in args.only.split(",")]
    srcs = [s.resolve() for s in (args.src or [Path(".")])]
    results: dict[str, dict[str, Any]] = {}
    for src in srcs:
        with server(src, args.db.resolve(), args.index.resolve() if args.index else None) as srv:
            res: dict[str, Any] = {"idle_cpu_ms_per_s": None}
            for w in workloads:
                res[w.name] = measure(srv, w.geonews, args.requests)
                print(
                    f"{src.name or src}: {w.name:<13} {res[w.name]['cpu_ms']:7.2f} ms CPU/request", flush=True
                )
            res["idle_cpu_ms_per_s"] = idle_cpu(srv)
            results[str(src)] = res
    lines = [
        "| workload | " + " | ".join(f"CPU ms/request ({Path(s).name})" for s in results) + " |",
        "| --- |" + " ---: |" * len(results),
    ]
    for w in workloads:
        lines.append(
            f"| {w.name} | " + " | ".join(f"{r[w.name]['cpu_ms']:.2f}" for r in results.values()) + " |"
        )
    lines.append("| idle worker, ms CPU a second | " + " | ".join(f"{r['idle_cpu_ms_per_s']:.0f}" for r in results.values()) + " |")  # fmt: skip
    table = "\n".join(lines) + "\n"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"cpu-{args.db.stem}.md").write_text(table)
    print("\n" + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
