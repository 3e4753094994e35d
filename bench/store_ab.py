"""Storing's CPU per article for two (or more) versions of the code: the same generated articles, prepared
once per version, stored in batches (as `geonews ingest` and POST /v1/articles/bulk store them) into a
fresh copy of one seeded SQLite database; each --src in a fresh process, alternating --rounds times. The
figure is the storing thread's CPU time (SQLite's work included), which other processes on a shared
machine inflate less than wall time; prints each version's runs, best and median.

    git worktree add /tmp/before HEAD~3
    python bench/store_ab.py --src /tmp/before --src . --articles 4000 --rounds 6

Storing runs on an engine made as the server makes its (a reader's page cache, raised around each batch
where the version does so). Preparing (cleaning, fingerprints, language, linking) is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))


def child(tree: str, seeded: Path, ndjson: Path, batch: int) -> dict[str, Any]:
    """In a process of its own, with the version's tree first on sys.path: store every article, time each
    batch."""
    sys.path.insert(0, tree)
    from sqlalchemy.orm import Session

    from app.actors.gazetteer import load_entries
    from app.articles.schemas import ArticleCreate
    from app.articles.service import record_stored, store, to_input
    from app.config import Settings
    from app.db import make_sync_engine
    from app.dialect import immediate_writes
    from app.ingestion.linker import Gazetteer
    from app.ingestion.pipeline import prepare
    from app.ingestion.places import PlaceLinker
    from app.places.gazetteer import load_records

    target = seeded.with_name("store.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copy(seeded, target)
    engine = make_sync_engine(Settings(database_url=f"sqlite:///{target}", _env_file=None))  # type: ignore[call-arg]
    try:
        with Session(engine) as session:
            gazetteer, places = Gazetteer(load_entries(session)), PlaceLinker(load_records(session))
        records = [json.loads(line) for line in ndjson.open()]
        prepared = [
            prepare(i, to_input(ArticleCreate.model_validate(r)), gazetteer, places)
            for i, r in enumerate(records)
        ]
        cpu = wall = 0.0
        for start in range(0, len(prepared), batch):
            part = prepared[start : start + batch]
            t, w = time.thread_time(), time.perf_counter()
            with Session(immediate_writes(engine)) as session, session.begin():
                record_stored(session, part, store(session, part))
            cpu += time.thread_time() - t
            wall += time.perf_counter() - w
    finally:
        engine.dispose()
    n = len(prepared)
    return {"cpu_us": cpu / n * 1e6, "wall_us": wall / n * 1e6, "articles": n}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", action="append", default=[], help="a source tree (repeat: the versions)")
    p.add_argument("--articles", type=int, default=4000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--child", nargs=4, metavar=("TREE", "SEEDED", "NDJSON", "BATCH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        tree, seeded, ndjson, batch = args.child
        print(json.dumps(child(tree, Path(seeded), Path(ndjson), int(batch))))
        return 0
    if not args.src:
        p.error("give at least one --src")
    from bench.ingest import fresh_database, write_ndjson

    os.environ.setdefault("GEONEWS_DEV_MODE", "true")
    os.environ.setdefault("GEONEWS_LOG_LEVEL", "warning")
    runs: dict[str, list[dict[str, Any]]] = {src: [] for src in args.src}
    with tempfile.TemporaryDirectory(prefix="geonews-store-ab-") as tmp:
        seeded = Path(tmp) / "seeded.db"
        fresh_database(f"sqlite:///{seeded}")
        ndjson = Path(tmp) / "articles.ndjson"
        write_ndjson(ndjson, args.articles)
        for _ in range(args.rounds):
            for src in args.src:
                tree = str(Path(src).resolve())
                out = subprocess.run(
                    [sys.executable, __file__, "--child", tree, str(seeded), str(ndjson), str(args.batch)],
                    capture_output=True, text=True, check=True, cwd=tree,
                )  # fmt: skip
                runs[src].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for src, results in runs.items():
        cpu = [r["cpu_us"] for r in results]
        wall = [r["wall_us"] for r in results]
        print(
            f"{src}: CPU µs/article {', '.join(f'{x:.0f}' for x in cpu)} (best {min(cpu):.0f}, median "
            f"{statistics.median(cpu):.0f}); wall best {min(wall):.0f}, median {statistics.median(wall):.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
