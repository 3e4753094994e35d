"""The search engine alone, in-process: rebuild speed, index size and single-request latency.

    python bench/engine.py                         # 10k and 1m (bench/data/{size}.db, generated if missing)
    python bench/engine.py --sizes 10k --repeat 100
    python bench/engine.py --sizes 1m --reuse-index   # keep bench/data/1m.index if it is complete

For each size: `rebuild` from the SQLite corpus into bench/data/SIZE.index (wall docs/s and the process's
CPU seconds, which do not depend on what else the machine runs), the index's size on disk beside the
database's, then every workload `--repeat` times after a warm-up, one request at a time, timing the engine
call alone (p50/p99 in ms, and the p50 of the calling thread's CPU time, which does not depend on what else
the machine runs). The hydrate row is the SQL query that turns 20 ids into list rows (summary
columns and body, for snippets). Last, the indexer on the same index: `--commits` rounds of re-reading 500
articles from SQL, upserting them and committing (the change-feed path), and a reader's reload after each.
A markdown table goes to stdout and bench/out/engine.md (the raw figures to engine.json).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from sqlalchemy import Engine, func, select  # noqa: E402

from app.articles.repository import SUMMARY_COLUMNS  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_sync_engine  # noqa: E402
from app.models import Actor, Article  # noqa: E402
from app.search.engine import (  # noqa: E402
    SCHEMA_VERSION,
    Filters,
    Indexer,
    Reader,
    member_spans,
    rebuild,
    snippets,
    status,
)
from app.search.query import parse  # noqa: E402

DATA = BENCH_DIR / "data"
OUT = BENCH_DIR / "out"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def db_bytes(path: Path) -> int:
    return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())


def ensure_corpus(size: str) -> Path:
    db = DATA / f"{size}.db"
    cmd = [
        sys.executable,
        str(BENCH_DIR / "generate.py"),
        "--articles",
        str(SIZES[size]),
        "--db",
        f"sqlite:///{db}",
    ]
    # Reuses an identical corpus (exit 0 at once); generates it otherwise.
    subprocess.run(cmd, check=True)
    return db


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def build_index(engine: Engine, index_dir: Path, reuse: bool, articles: int) -> dict[str, Any]:
    st = status(index_dir)
    if reuse and st.exists and st.schema_ok and st.meta is not None and st.meta.docs == articles:
        return {"reused": True, "docs": st.meta.docs}
    if index_dir.exists():
        shutil.rmtree(index_dir)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    report = rebuild(engine, index_dir, progress=sys.stderr.isatty())
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    return {
        "reused": False,
        "docs": report.docs,
        "seconds": round(wall, 1),
        "docs_per_s": round(report.docs / wall),
        "cpu_seconds": round(cpu, 1),
        "docs_per_cpu_s": round(report.docs / cpu) if cpu else None,
    }


def timed(fn: Callable[[], Any], repeat: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        cpu.append((time.thread_time_ns() - c0) / 1e6)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p99": samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))],
        "cpu_p50": statistics.median(cpu),
    }


def workloads(reader: Reader, engine: Engine) -> dict[str, Callable[[], Any]]:
    with engine.connect() as conn:
        slugs = dict(
            conn.execute(
                select(Actor.slug, Actor.id).where(Actor.slug.in_(["iran", "nato", "ukraine"]))
            ).all()
        )
        nato = member_spans(conn, slugs["nato"])
    sanctions = parse("sanctions")
    y2022 = Filters(published_after=datetime(2022, 1, 1), published_before=datetime(2023, 1, 1))
    top20 = [h.id for h in reader.search(sanctions, limit=20).hits]
    hydrate = select(*SUMMARY_COLUMNS, Article.body).where(Article.id.in_(top20))
    with engine.connect() as conn:
        texts = {r.id: (r.title, r.body) for r in conn.execute(hydrate)}

    def hydrate_20() -> Any:
        with engine.connect() as conn:
            return conn.execute(hydrate).all()

    return {
        "ranked q `sanctions` (top 20)": lambda: reader.search(sanctions, limit=20),
        "newest-first q `sanctions`": lambda: reader.search(sanctions, sort="-published_at", limit=20),
        "q + date window (2022)": lambda: reader.search(sanctions, y2022, limit=20),
        "q + actor (iran)": lambda: reader.search(sanctions, Filters(actor_ids=[slugs["iran"]]), limit=20),
        "q + member_of (nato)": lambda: reader.search(sanctions, Filters(member_of=nato), limit=20),
        'phrase `"ceasefire talks"`': lambda: reader.search(parse('"ceasefire talks"'), limit=20),
        "hybrid q `sanctions`": lambda: reader.search(sanctions, sort="hybrid", limit=20),
        "count of `sanctions`": lambda: reader.count(sanctions),
        "facets source,actor,language over `sanctions`": lambda: reader.facets(
            sanctions, None, ["source", "actor", "language"]
        ),
        "facets source, no q": lambda: reader.facets(None, None, ["source"]),
        "monthly timeline of ukraine (60 months)": lambda: reader.histogram(
            None, Filters(actors_all=[slugs["ukraine"]]), "month", date(2021, 1, 1), date(2025, 12, 31)
        ),
        "hydrate 20 ids (SQL)": hydrate_20,
        "snippets for 20 hits": lambda: snippets(sanctions, texts),
        "reload (nothing changed)": reader.reload,
    }


def indexing(engine: Engine, index_dir: Path, reader: Reader, rounds: int) -> dict[str, dict[str, float]]:
    """The change-feed path on the same index: re-read 500 articles from SQL, upsert them, commit, and
    let a reader see it. The articles are unchanged, so the index's content stays the same."""
    rng = random.Random(1)
    with engine.connect() as conn:
        top = int(conn.execute(select(func.max(Article.id))).scalar() or 0)
    refresh, commit, reload = [], [], []
    ix = Indexer.open(index_dir)
    try:
        seq = ix.seq
        for _ in range(rounds):
            ids = [rng.randint(1, top) for _ in range(500)]
            t0 = time.perf_counter()
            with engine.connect() as conn:
                ix.refresh(conn, ids, seq)
            t1 = time.perf_counter()
            ix.commit(seq)
            t2 = time.perf_counter()
            reader.reload()
            t3 = time.perf_counter()
            refresh.append((t1 - t0) * 1e3)
            commit.append((t2 - t1) * 1e3)
            reload.append((t3 - t2) * 1e3)
    finally:
        ix.close()

    def stats(samples: list[float]) -> dict[str, float]:
        samples.sort()
        return {"p50": statistics.median(samples), "p99": samples[-1], "cpu_p50": float("nan")}

    return {
        "refresh 500 articles from SQL (indexer)": stats(refresh),
        "commit (indexer; p99 = max)": stats(commit),
        "reader reload after a commit": stats(reload),
    }


def run_size(size: str, args: argparse.Namespace) -> dict[str, Any]:
    db = ensure_corpus(size)
    engine = make_sync_engine(Settings(database_url=f"sqlite:///{db}", _env_file=None))  # type: ignore[call-arg]
    index_dir = DATA / f"{size}.index"
    print(f"[{size}] index {index_dir}", file=sys.stderr)
    build = build_index(engine, index_dir, args.reuse_index, _count(engine))
    reader = Reader(index_dir)
    matches = reader.count(parse("sanctions"))
    results = {name: timed(fn, args.repeat, args.warmup) for name, fn in workloads(reader, engine).items()}
    index_mb = round(dir_bytes(index_dir) / 1e6)
    results.update(indexing(engine, index_dir, reader, args.commits))
    engine.dispose()
    return {
        "size": size,
        "docs": reader.num_docs,
        "sanctions_matches": matches,
        "build": build,
        "index_mb": index_mb,
        "db_mb": round(db_bytes(db) / 1e6),
        "latency_ms": results,
        "load_average": list(os.getloadavg()),
        "schema_version": SCHEMA_VERSION,
    }


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Article)).scalar() or 0)


def _cell(t: dict[str, float]) -> str:
    cell = f"{t['p50']:.2f} / {t['p99']:.2f}"
    return cell if math.isnan(t["cpu_p50"]) else f"{cell} / {t['cpu_p50']:.2f}"


def table(runs: list[dict[str, Any]]) -> str:
    sizes = [r["size"] for r in runs]
    lines = [
        "| | " + " | ".join(sizes) + " |",
        "| --- | " + " | ".join("---" for _ in sizes) + " |",
        "| articles | " + " | ".join(f"{r['docs']:,}" for r in runs) + " |",
        "| rebuild (docs/s wall; docs per CPU-s) | "
        + " | ".join(
            "reused"
            if r["build"]["reused"]
            else f"{r['build']['docs_per_s']:,}; {r['build']['docs_per_cpu_s']:,}"
            for r in runs
        )
        + " |",
        "| rebuild time | "
        + " | ".join("—" if r["build"]["reused"] else f"{r['build']['seconds']} s" for r in runs)
        + " |",
        "| index size (database) | "
        + " | ".join(f"{r['index_mb']:,} MB ({r['db_mb']:,} MB)" for r in runs)
        + " |",
        "| matches of `sanctions` | " + " | ".join(f"{r['sanctions_matches']:,}" for r in runs) + " |",
        "| **ms: p50 / p99 wall / p50 CPU** | " + " | ".join("" for _ in runs) + " |",
    ]
    for name in runs[0]["latency_ms"]:
        cells = [_cell(r["latency_ms"][name]) for r in runs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    loads = ", ".join(f"{r['size']}: {r['load_average'][0]:.1f}" for r in runs)
    lines.append(f"\nLoad average (1 min) during the runs: {loads} (2 cores).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10k,1m", help="comma list of 10k, 100k, 1m")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--commits", type=int, default=20, help="indexer rounds of 500 articles + commit")
    parser.add_argument("--reuse-index", action="store_true", help="keep a complete index of the same size")
    args = parser.parse_args()
    runs = [run_size(size.strip(), args) for size in args.sizes.split(",") if size.strip()]
    out = table(runs)
    print(out)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "engine.md").write_text(out + "\n")
    (OUT / "engine.json").write_text(json.dumps(runs, indent=2, default=str))


if __name__ == "__main__":
    main()
