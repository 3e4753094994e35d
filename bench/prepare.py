"""Preparing's CPU per article (cleaning, language, URL, fingerprints, story sketch, actor and place linking):
article by article (`prepare`, what the pipeline did until the nineteenth session) against stage by stage
(`prepare_many`, what bulk bodies and `geonews ingest` run), and each stage's share.

    python bench/prepare.py                      # 3,000 generated articles, best of 3 rounds
    python bench/prepare.py --articles 6000 --rounds 5

The articles are bench/ingest.py's (the generator's, without `language`: it is detected), validated as
the API validates them; the linkers are built from a freshly seeded SQLite file. Times are this thread's
CPU (time.thread_time), after one warm-up round (the hash caches filled, as in a long ingest): what to
compare two versions with on a noisy machine. Stage times come from timing each stage alone over every
article (stage by stage, as prepare_many runs them); the article-by-article total has no split.
"""

from __future__ import annotations

import argparse
import json
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

from bench.ingest import fresh_database, write_ndjson  # noqa: E402


def best(rounds: int, n: int, f: Callable[[], Any]) -> float:
    """Best thread CPU of `rounds` calls of f, in µs per article (after one call to warm up)."""
    f()
    times = []
    for _ in range(rounds):
        t = time.thread_time()
        f()
        times.append(time.thread_time() - t)
    return min(times) / n * 1e6


def generated(db: Path, articles: int) -> tuple[list[tuple[int, Any]], Any, Any]:
    """`articles` of bench/ingest.py's generated articles as (index, ArticleInput), validated as the API
    validates them, and the actor and place linkers of a freshly seeded SQLite file written at `db` (left
    there: bench/store.py copies it); the language model loaded."""
    from sqlalchemy.orm import Session

    from app.actors.gazetteer import load_entries
    from app.articles.schemas import ArticleCreate
    from app.articles.service import to_input
    from app.config import Settings
    from app.db import make_sync_engine
    from app.ingestion.language import preload
    from app.ingestion.linker import Gazetteer
    from app.ingestion.places import PlaceLinker
    from app.places.gazetteer import load_records

    url = fresh_database(f"sqlite:///{db}")
    ndjson = db.with_suffix(".ndjson")
    write_ndjson(ndjson, articles, db_url=url)
    engine = make_sync_engine(Settings(database_url=url))
    with Session(engine) as session:
        gazetteer, places = Gazetteer(load_entries(session)), PlaceLinker(load_records(session))
    engine.dispose()
    lines = ndjson.read_text().splitlines()
    items = [(k, to_input(ArticleCreate.model_validate(json.loads(line)))) for k, line in enumerate(lines)]
    preload()
    return items, gazetteer, places


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from app.ingestion import pipeline as p

    with tempfile.TemporaryDirectory() as tmp:
        items, gazetteer, places = generated(Path(tmp) / "prepare.db", args.articles)
    n = len(items)

    def one_by_one() -> None:
        for index, item in items:
            p.prepare(index, item, gazetteer, places)

    alone = best(args.rounds, n, one_by_one)
    batch = best(args.rounds, n, lambda: p.prepare_many(items, gazetteer, places))

    drafts = []
    for index, item in items:
        d = p._Draft(index, item)
        p._read(d)
        drafts.append(d)
    samples = [f"{d.title}. {d.body[: p.LANGUAGE_SAMPLE]}" for d in drafts]
    matches = [gazetteer.find(d.body) for d in drafts]
    stages: dict[str, Callable[[], Any]] = {
        "clean (title, body, dates)": lambda: [p._read(p._Draft(i, item)) for i, item in items],
        "language": lambda: [p.detect(s) for s in samples],
        "canonical URL": lambda: [p.canonicalize_url(d.item.url) for d in drafts],
        "fingerprints": lambda: [p.fingerprints(d.title, d.body) for d in drafts],
        "story sketch": lambda: [p.sketch(d.title, d.body) for d in drafts],
        "actor linking": lambda: [gazetteer.find(d.body) for d in drafts],
        "place linking": lambda: [places.find(d.body, m) for d, m in zip(drafts, matches, strict=True)],
        "mention rows": lambda: [p.mention_rows(m) for m in matches],
    }
    times = {name: best(args.rounds, n, f) for name, f in stages.items()}
    print(f"## Preparing {n:,} articles, CPU µs an article (best of {args.rounds})\n")
    print("| | µs | share |\n| --- | ---: | ---: |")
    print(f"| article by article (`prepare`) | {alone:.0f} | |")
    print(f"| stage by stage (`prepare_many`) | {batch:.0f} | |")
    total = sum(times.values())
    for name, t in times.items():
        print(f"| {name} | {t:.0f} | {t / total:.0%} |")
    print(f"| sum of the stages alone | {total:.0f} | |")


if __name__ == "__main__":
    main()
