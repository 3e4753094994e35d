"""Storing's CPU per article: what the storing process of `geonews ingest` (and a server's bulk request,
after preparing) spends on a prepared batch - duplicate checks, the inserts, story assignment, the change
log - and where it goes.

    python bench/store.py                       # 4,000 generated articles, batches of 500, best of 3
    python bench/store.py --articles 6000 --rounds 5

The articles are bench/ingest.py's (dates spread over the corpus's five years: the worst case of story
assignment), prepared once; each round stores them all, batch after batch, each in one transaction
(BEGIN IMMEDIATE, SQLite's write cache, as `geonews ingest` does), into a fresh copy of a seeded SQLite
file. Times are this thread's CPU (time.thread_time); the split is each part's own CPU, timed around it.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.prepare import generated  # noqa: E402

PARTS = {
    "app.articles.service": ["_classify", "_near_duplicates", "record_stored"],
    "app.articles.repository": ["insert_new", "store_mentions", "store_places"],
    "app.stories.service": ["assign", "match"],
    "app.stories.repository": ["merge", "set_stories", "refresh"],
    "app.outbox": ["write"],
}


def timed(spent: dict[str, float], label: str, f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.thread_time()
        try:
            return f(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.thread_time() - t

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    import importlib

    from sqlalchemy.orm import Session

    from app.articles import service
    from app.config import Settings
    from app.db import make_sync_engine
    from app.dialect import immediate_writes
    from app.ingestion import pipeline as p

    with tempfile.TemporaryDirectory() as tmp:
        seeded = Path(tmp) / "seeded.db"
        items, gazetteer, places = generated(seeded, args.articles)
        prepared = [r for r in p.prepare_many(items, gazetteer, places) if isinstance(r, p.Prepared)]
        n = len(prepared)

        rounds: list[tuple[float, dict[str, float]]] = []
        for r in range(args.rounds):
            spent: dict[str, float] = {}
            originals = []
            for name, parts in PARTS.items():
                module = importlib.import_module(name)
                for part in parts:
                    originals.append((module, part, getattr(module, part)))
                    setattr(
                        module,
                        part,
                        timed(spent, f"{name.removeprefix('app.')}.{part}", getattr(module, part)),
                    )
            target = Path(tmp) / f"round{r}.db"
            shutil.copy(seeded, target)
            settings = Settings(database_url=f"sqlite:///{target}")
            engine = make_sync_engine(settings, cache_mib=settings.sqlite_write_cache_mb)
            try:
                t = time.thread_time()
                for start in range(0, n, args.batch):
                    batch = prepared[start : start + args.batch]
                    with Session(immediate_writes(engine)) as session, session.begin():
                        outcomes = service.store(session, batch)
                        service.record_stored(session, batch, outcomes)
                total = time.thread_time() - t
            finally:
                engine.dispose()
                for module, part, original in originals:
                    setattr(module, part, original)
            rounds.append((total, spent))

    total, spent = min(rounds, key=lambda x: x[0])
    print(
        f"## Storing {n:,} prepared articles, batches of {args.batch}, CPU µs an article (best of {args.rounds})\n"
    )
    print("| | µs | share |\n| --- | ---: | ---: |")
    print(f"| storing, commit included | {total / n * 1e6:.0f} | |")
    for label, t in sorted(spent.items(), key=lambda x: -x[1]):
        print(f"| {label} | {t / n * 1e6:.0f} | {t / total:.0%} |")
    print(
        "\n(stories.service.assign includes match, merge, set_stories and refresh, and inserting its new stories;"
    )
    print("outbox.write runs at commit)")


if __name__ == "__main__":
    main()
