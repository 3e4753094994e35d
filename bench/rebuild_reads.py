"""Searches while a server rebuilds its index: what GEONEWS_INDEX_REBUILD_NICE buys the reads that the
previous index keeps answering.

    python bench/rebuild_reads.py bench/data/1M.db                    # fts_rank, niceness 0 and 10, twice
    python bench/rebuild_reads.py bench/data/1M.db --workload q_window --nice 0,10,19 --rounds 1

Each run copies the database's index (built: `geonews index rebuild`) and marks the copy as built by the
previous readable schema version (its files are the current version's, so its answers are too), then
serves the database from it with two workers: a worker finds a rebuild due and runs it in a process of its
own (50,000 articles and more) while the copy answers. Once /readyz says `building`, wrk sends the
workload's paths (4 connections); the run counts only if the rebuild was still going when wrk ended.
Niceness values alternate across rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import geonews_server, have_wrk, run_wrk, sqlite_url  # noqa: E402
from bench.steps import _workload_paths  # noqa: E402


def _state(url: str) -> str:
    import httpx

    return str(httpx.get(url + "/readyz", timeout=5).json()["index"]["state"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py, its index built")
    ap.add_argument("--workload", default="fts_rank", help="a bench/http.py workload (default fts_rank)")
    ap.add_argument("--nice", default="0,10", help="comma list of GEONEWS_INDEX_REBUILD_NICE values")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=8, help="seconds of wrk a run (default 8)")
    args = ap.parse_args()
    if not have_wrk():
        sys.exit("wrk is not installed")

    from app.search.engine import READABLE_VERSIONS, SCHEMA_VERSION, layout

    older = sorted(READABLE_VERSIONS - {SCHEMA_VERSION})
    if not older:
        sys.exit("no earlier schema version is readable by this one: nothing serves during a rebuild")
    source = args.db.resolve().with_name(args.db.name + ".index")
    gen = layout.current(source)
    meta = layout.read_meta(gen) if gen is not None else None
    if gen is None or meta is None or meta.schema_version != SCHEMA_VERSION:
        sys.exit(f"build the index first: GEONEWS_DATABASE_URL={sqlite_url(args.db)} geonews index rebuild")
    paths = _workload_paths(args.db, args.workload)
    niceness = [int(n) for n in args.nice.split(",")]
    rows: dict[int, list[dict[str, float]]] = {n: [] for n in niceness}
    with tempfile.TemporaryDirectory(prefix="geonews-rebuild-reads-", dir=args.db.resolve().parent) as tmp:
        scratch = Path(tmp)
        for round_no in range(args.rounds):
            for nice in niceness if round_no % 2 == 0 else niceness[::-1]:
                index = scratch / f"index-{round_no}-{nice}"
                copy = index / gen.name
                shutil.copytree(gen, copy)
                layout.write_meta(copy, dataclasses.replace(meta, schema_version=older[-1]))
                (index / layout.CURRENT).symlink_to(copy.name)
                env = {"GEONEWS_INDEX_DIR": str(index), "GEONEWS_INDEX_REBUILD_NICE": str(nice)}
                srv = geonews_server(sqlite_url(args.db), workers=2, extra_env=env).start(timeout=120)
                try:
                    deadline = time.monotonic() + 60
                    while _state(srv.url) != "building":
                        if time.monotonic() > deadline:
                            sys.exit("the server did not start a rebuild")
                        time.sleep(0.2)
                    time.sleep(2)  # the rebuild process under way
                    r = run_wrk(
                        srv.url, paths, duration=args.duration, connections=4, threads=2, scratch=scratch
                    )
                    still = _state(srv.url) == "building"
                finally:
                    srv.stop()
                    shutil.rmtree(index, ignore_errors=True)
                print(f"  nice {nice:2d}: {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.2f}  p99 {r['p99_ms']:6.2f} ms"
                      + ("" if still else "  (the rebuild ended first: not counted)"), flush=True)  # fmt: skip
                if still:
                    rows[nice].append(r)
    print(f"\n## {args.workload} at 4 connections while a server rebuilds its index ({args.db.name})\n")
    print("| GEONEWS_INDEX_REBUILD_NICE | req/s | p50 ms | p99 ms |")
    print("| ---: | --- | --- | --- |")
    for nice, runs in rows.items():
        cells = [
            ", ".join(f"{r[k]:,.{d}f}" for r in runs) or "—"
            for k, d in (("rps", 0), ("p50_ms", 2), ("p99_ms", 2))
        ]
        print(f"| {nice} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
