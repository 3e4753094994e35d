"""Which paths of a workload are slow: each path of bench/http.py's workloads served once, in order, by
one in-process worker (uvicorn, as `geonews serve` runs it), its latency measured by the client; prints
the percentiles and the slowest paths.

    python bench/tails.py bench/data/1m.db fts_rank,q_window,q_actor,q_member_of --paths 300

wrk's p99 says how slow the tail is; this says which requests make it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))


from bench.steps import _workload_paths, served  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    p.add_argument("workloads", help="comma list of bench/http.py workload names")
    p.add_argument("--paths", type=int, default=300, help="paths per workload (default 300)")
    p.add_argument("--show", type=int, default=8, help="slowest paths shown per workload")
    args = p.parse_args(argv)

    with served(args.db) as client:
        # "off": GEONEWS_SEARCH_ENGINE=false, to see what SQL makes of the same paths.
        while client.get("/readyz").json().get("index", {}).get("state") not in ("ready", "off", None):
            time.sleep(0.5)
        for name in args.workloads.split(","):
            paths = _workload_paths(args.db, name)[: args.paths]
            for path in paths[:30]:  # warm-up, not counted
                client.get(path)
            timed = []
            for path in paths:
                started = time.perf_counter()
                status = client.get(path).status_code
                timed.append(((time.perf_counter() - started) * 1000, status, path))
            ms = sorted(t for t, _, _ in timed)

            def at(q: float, ms: list[float] = ms) -> float:
                return ms[min(len(ms) - 1, int(len(ms) * q))]

            print(
                f"{name}: {len(ms)} paths, p50 {at(0.5):.1f} ms, p90 {at(0.9):.1f}, p99 {at(0.99):.1f}, "
                f"max {ms[-1]:.1f}"
            )
            for t, status, path in sorted(timed, reverse=True)[: args.show]:
                print(f"  {t:8.1f} ms  {status}  {path[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
