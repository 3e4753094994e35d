"""Run every benchmark for a list of corpus sizes and write bench/out/results.md (`make bench`).

    python bench/run.py                       # 10k and 100k articles
    python bench/run.py --full                # 10k, 100k and 1M
    python bench/run.py --sizes 10k --duration 5 --pg postgresql://postgres@127.0.0.1/postgres

For each size: generate the corpus (reused when bench/data/SIZE.db already holds it), then the HTTP read
workloads at 4 and 16 connections (bench/http.py: geonews with 2 workers, Datasette on the same file, the
bare ASGI ceiling). Then the search index's lag during full-speed ingestion (bench/index_lag.py) and
ingestion once (bench/ingest.py). With --pg, the corpus is also generated into PostgreSQL (database
geonews_bench_SIZE on that server), the read workloads run against geonews served from it, and ingestion
and the lag run there too (ingestion twice: as the server starts by default, and with two preparing
processes and two bulk requests in flight). Each step is a separate process; results.md gathers their Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import DATA, OUT, ROOT, WRK_HELP, have_wrk, load_average  # noqa: E402


def parse_size(s: str) -> tuple[str, int]:
    s = s.strip()
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1].lower(), 1)
    n = int(float(s[:-1] if mult > 1 else s) * mult)
    label = s if mult > 1 else str(n)
    return label, n


def step(argv: list[str], what: str, timeout: float) -> int:
    print(f"\n== {what}\n$ {' '.join(argv)}", flush=True)
    try:
        return subprocess.run(argv, cwd=ROOT, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"!! {what}: stopped after {timeout:.0f} s", flush=True)
        return -1


def environment() -> dict[str, Any]:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False) if have_wrk() else None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {
            p: version(p) for p in ("fastapi", "uvicorn", "sqlalchemy", "datasette", "aiosqlite", "asyncpg")
        },
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if wrk else "not installed",
        "commit": commit.stdout.strip() + ("+local changes" if dirty.stdout.strip() else ""),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10k,100k", help="comma list of corpus sizes (default 10k,100k)")
    p.add_argument("--full", action="store_true", help="10k, 100k and 1M")
    p.add_argument("--duration", type=int, default=10, help="seconds per HTTP run (default 10)")
    p.add_argument("--connections", default="4,16", help="comma list: one HTTP run per count (default 4,16)")
    p.add_argument("--workers", default="2", help="geonews/ceiling worker counts, comma list (default 2)")
    p.add_argument("--pg", help="PostgreSQL server URL whose user may create databases")
    p.add_argument("--ingest-articles", type=int, default=5000)
    p.add_argument("--no-ingest", action="store_true")
    p.add_argument("--no-gdelt", action="store_true", help="skip the GDELT sample import timing")
    p.add_argument("--no-http", action="store_true")
    args = p.parse_args(argv)
    if not have_wrk() and not args.no_http:
        print(WRK_HELP, file=sys.stderr)
        return 2
    sizes = [parse_size(s) for s in ("10k,100k,1M" if args.full else args.sizes).split(",")]
    py = sys.executable
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    env = environment()
    env["load_average_start"] = load_average()
    generated: dict[str, Any] = {}
    status: dict[str, int] = {}

    for label, n in sizes:
        db = DATA / f"{label}.db"
        status[f"generate {label}"] = step(
            [py, "bench/generate.py", "--articles", str(n), "--db", f"sqlite:///{db}", "--replace-stale"], f"generate {label} (SQLite)",
            timeout=3 * 3600,
        )  # fmt: skip
        mf = db.with_name(db.name + ".manifest.json")
        if mf.exists():
            generated[f"sqlite {label}"] = json.loads(mf.read_text())
        if args.pg:
            from sqlalchemy.engine import make_url

            url = (
                make_url(args.pg)
                .set(database=f"geonews_bench_{label.lower()}")
                .render_as_string(hide_password=False)
            )
            gen_json = OUT / f"generate-pg-{label}.json"
            status[f"generate {label} pg"] = step(
                [py, "bench/generate.py", "--articles", str(n), "--db", url, "--replace-stale", "--json", str(gen_json)],
                f"generate {label} (PostgreSQL)", timeout=3 * 3600,
            )  # fmt: skip
            if gen_json.exists():
                generated[f"postgresql {label}"] = json.loads(gen_json.read_text())
        if not args.no_http:
            for c in connections(args):
                status[f"http {label} c{c}"] = step(
                    [py, "bench/http.py", str(db), "--duration", str(args.duration), "--connections", str(c),
                     "--workers", args.workers, "--label", f"{label}-c{c}"],
                    f"HTTP reads {label}, {c} connections", timeout=3600,
                )  # fmt: skip
            if args.pg:  # the same workloads, geonews served from the PostgreSQL copy of the corpus
                c = connections(args)[0]
                status[f"http {label} pg c{c}"] = step(
                    [py, "bench/http.py", str(db), "--duration", str(args.duration), "--connections", str(c),
                     "--workers", args.workers, "--label", f"{label}-pg-c{c}", "--pg", url],
                    f"HTTP reads {label} on PostgreSQL, {c} connections", timeout=3600,
                )  # fmt: skip
    if not args.no_http:
        argv_l = [py, "bench/index_lag.py", *(["--pg", args.pg] if args.pg else [])]
        status["index lag"] = step(argv_l, "search-index lag during ingestion", timeout=1800)
    if not args.no_ingest:
        argv_i = [py, "bench/ingest.py", "--articles", str(args.ingest_articles)]
        if args.pg:
            argv_i += ["--pg", args.pg]
        status["ingest"] = step(argv_i, "ingestion", timeout=3600)
        # The HTTP bulk target's set-up: a server with its preparing processes, a client with two
        # requests in flight (the server prepares one body while it stores the other).
        argv_p = [*argv_i, "--ingest-processes", "2", "--in-flight", "2", "--label", "ingest-pool"]
        status["ingest (pool, 2 in flight)"] = step(argv_p, "ingestion, pool and 2 in flight", timeout=3600)

    if not args.no_gdelt:
        argv_g = [py, "bench/gdelt_import.py", *(["--postgres", args.pg] if args.pg else [])]
        print("\n== GDELT import", flush=True)
        try:
            done = subprocess.run(argv_g, cwd=ROOT, timeout=900, check=False, capture_output=True, text=True)
            (OUT / "gdelt.txt").write_text(done.stdout)
            print(done.stdout, done.stderr[-2000:], flush=True)
            status["gdelt"] = done.returncode
        except subprocess.TimeoutExpired:
            status["gdelt"] = 124

    env["load_average_end"] = load_average()
    write_results(sizes, env, generated, status, time.time() - started, args)
    return 0 if all(v == 0 for v in status.values()) else 1


def connections(args: argparse.Namespace) -> list[int]:
    return [int(c) for c in str(args.connections).split(",") if c.strip()]


def write_results(
    sizes: list[tuple[str, int]],
    env: dict[str, Any],
    generated: dict[str, Any],
    status: dict[str, int],
    seconds: float,
    args: argparse.Namespace,
) -> None:
    lines = [
        "# geonews benchmarks",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} in {seconds / 60:.1f} min on {env['cpus']} CPUs ({env['machine']}), "
        f"commit {env['commit']}; Python {env['python']}, SQLite {env['sqlite']}, "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items())
        + f"; {env['wrk']}. Load average at the start {env['load_average_start']}, at the end "
        f"{env['load_average_end']}: anything else running on the machine lowers every figure.",
        "",
        "## Corpus generation (bench/generate.py)",
        "",
        "| corpus | articles | mentions | events | articles/s (rows + indexes) | end to end s | full text s | file |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, g in generated.items():
        s = g.get("seconds", {})
        size = f"{g['bytes'] / 2**20:,.0f} MiB" if g.get("bytes") else ""
        lines.append(
            f"| {name} | {g['articles']:,} | {g.get('mentions', 0):,} | {g.get('events', 0):,} | "
            f"{g.get('articles_per_s') or 0:,} | {s.get('total', '')} | {s.get('fulltext', '')} ({g.get('fulltext', '')}) | {size} |"
        )
    lines += [
        "",
        "A corpus already on disk is reused; its figures are those of the run that made it.",
        "",
        "## HTTP reads (bench/http.py)",
        "",
    ]
    runs = [f"{label}-c{c}" for label, _ in sizes for c in connections(args)]
    if args.pg:
        runs += [f"{label}-pg-c{connections(args)[0]}" for label, _ in sizes]
    for run_label in runs:
        md = OUT / f"http-{run_label}.md"
        if md.exists() and not args.no_http:
            lines += [md.read_text().replace("### ", "### ", 1), ""]
    for lag in sorted(OUT.glob("index_lag-*.json")):
        if not args.no_http:
            r = json.loads(lag.read_text())
            lines += [f"Search-index lag during full-speed ingestion ({r['engine']}, bench/index_lag.py): "
                      f"p50 {r['lag_p50_s']} s, p99 {r['lag_p99_s']} s, max {r['lag_max_s']} s over {r['batches']} "
                      f"batches at {r['articles_per_s']} articles/s.", ""]  # fmt: skip
    largest = sizes[-1][0]
    hj = OUT / f"http-{largest}-c{connections(args)[0]}.json"
    if hj.exists() and not args.no_http:
        rss = json.loads(hj.read_text()).get("rss_after_load", {})
        if rss:
            lines += [f"Server memory after the read workloads at the largest size ({largest}):", ""]
            lines += ["| server | VmRSS MiB (all processes) | heap (RssAnon) MiB | mapped files MiB |",
                      "| --- | ---: | ---: | ---: |"]  # fmt: skip
            for k, v in rss.items():
                lines.append(
                    f"| {k} | {v['total_mib']:,.0f} | {v.get('anon_mib', 0):,.0f} | {v.get('file_mib', 0):,.0f} |"
                )
            lines.append("")
    im, ip = OUT / "ingest.md", OUT / "ingest-pool.md"
    if im.exists() and not args.no_ingest:
        lines += ["## Ingestion (bench/ingest.py)", "", im.read_text(), ""]
        if ip.exists():
            lines += ["With `--ingest-processes 2 --in-flight 2`:", "", ip.read_text(), ""]
    gd = OUT / "gdelt.txt"
    if gd.exists() and not args.no_gdelt:
        lines += [
            "## GDELT 2.0 sample import (bench/gdelt_import.py)",
            "",
            "```",
            gd.read_text().strip(),
            "```",
            "",
        ]
    failed = [k for k, v in status.items() if v != 0]
    if failed:
        lines += ["## Steps that failed", "", *[f"- {k} (exit {status[k]})" for k in failed], ""]
    (OUT / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"\nwritten: {OUT / 'results.md'}")


if __name__ == "__main__":
    sys.exit(main())
