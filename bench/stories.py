"""Stories: how well articles are grouped, and what grouping costs at ingestion.

    python bench/stories.py                     # quality on tests/data/stories + cost on 1,500 generated articles
    python bench/stories.py --articles 3000 --batch 250
    python bench/stories.py --pg postgresql://postgres@127.0.0.1/postgres   # the cost on PostgreSQL

Quality: the labelled set (tests/data/stories/labelled.jsonl: articles written in the style of different
outlets, each labelled with its story; `single-*` labels are stories of one article) is ingested into a
fresh, migrated and seeded SQLite database through the ingestion write path (prepare + store, as
`geonews ingest` does), in a shuffled arrival order and in batches; then every pair of articles is
judged: "same story" predicted vs labelled. Pairwise precision, recall and F1 are printed.

Cost: generated articles (bench/corpus.py, as bench/ingest.py makes them) are prepared once, their dates
squeezed into three days (so that almost every article finds its full quota of candidates: the worst
case), and stored in batches into two fresh databases: one with story assignment, one with it replaced
by a no-op. Printed: ms per article of the storage pass with and without, and their ratio (same run), and
the cost of computing the story signature in the pipeline.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

LABELLED = BENCH_DIR.parent / "tests" / "data" / "stories" / "labelled.jsonl"


def load_labelled(path: Path = LABELLED) -> list[dict[str, Any]]:
    """The labelled records, each with a unique URL made from its outlet and position."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            rec = json.loads(line)
            rec["url"] = f"https://{rec['source']}/news/{rec['story']}-{i}"
            out.append(rec)
    return out


def pairwise(labels: dict[Any, str], predicted: dict[Any, Any]) -> dict[str, float]:
    """Pairwise precision / recall / F1 of "same story" over every pair of articles."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(labels), 2):
        truth = labels[a] == labels[b]
        guess = predicted[a] is not None and predicted[a] == predicted[b]
        tp += truth and guess
        fp += guess and not truth
        fn += truth and not guess
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def fresh_database(url: str) -> Any:
    from app import migrate
    from app.config import Settings
    from app.db import make_sync_engine
    from app.seed.loader import SEED_DIR, seed

    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    seed(engine, SEED_DIR)
    return engine


def prepare_all(engine: Any, records: Iterable[dict[str, Any]]) -> list[Any]:
    from sqlalchemy.orm import Session

    from app.actors.gazetteer import current_gazetteer
    from app.articles.schemas import ArticleCreate
    from app.articles.service import to_input
    from app.ingestion.pipeline import prepare

    with Session(engine) as session:
        gazetteer = current_gazetteer(session)
    fields = ("url", "title", "body", "published_at", "source")
    return [
        prepare(i, to_input(ArticleCreate(**{k: r[k] for k in fields})), gazetteer)
        for i, r in enumerate(records)
    ]


def store_batches(engine: Any, prepared: list[Any], batch: int) -> tuple[list[Any], float]:
    """Store in batches, one transaction each, as `geonews ingest` does; returns the outcomes and seconds."""
    from sqlalchemy.orm import Session

    from app.articles.service import record_stored, store

    outcomes = []
    spent = 0.0
    for k in range(0, len(prepared), batch):
        part = prepared[k : k + batch]
        t0 = time.perf_counter()
        with Session(engine) as session, session.begin():
            done = store(session, part)
            record_stored(session, part, done)
        spent += time.perf_counter() - t0
        outcomes += done
    return outcomes, spent


def quality(batch: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import select

    from app.models import Article

    records = load_labelled()
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    with tempfile.TemporaryDirectory() as tmp:
        engine = fresh_database(f"sqlite:///{tmp}/quality.db")
        try:
            prepared = prepare_all(engine, [records[i] for i in order])
            outcomes, _ = store_batches(engine, prepared, batch)
            ids = {o.index: o.id for o in outcomes}
            with engine.connect() as conn:
                story = dict(conn.execute(select(Article.id, Article.story_id)).all())
        finally:
            engine.dispose()
    labels = {pos: records[i]["story"] for pos, i in enumerate(order)}
    predicted = {pos: story.get(ids[pos]) for pos in labels}
    stories = len({records[i]["story"] for i in order})
    return {
        "articles": len(records),
        "labelled_stories": stories,
        "predicted_stories": len(set(predicted.values())),
        **pairwise(labels, predicted),
    }


def generated(n: int) -> list[dict[str, Any]]:
    from bench.ingest import write_ndjson

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "articles.ndjson"
        write_ndjson(path, n, seed=5)
        recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    start = datetime(2026, 3, 1)
    for i, r in enumerate(recs):  # three days of news: a full window of candidates for almost every article
        r["published_at"] = (start + timedelta(seconds=i * 3 * 86400 // n)).isoformat() + "Z"
    return recs


@contextlib.contextmanager
def databases(pg: str | None, names: list[str]) -> Iterator[dict[str, str]]:
    """Fresh database URLs: SQLite files, or throw-away databases on the PostgreSQL server `pg`."""
    if pg is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield {n: f"sqlite:///{tmp}/{n}.db" for n in names}
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(
        make_url(pg).set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    dbs = {n: f"gn_bench_stories_{os.getpid()}_{n}" for n in names}
    try:
        with admin.connect() as c:
            for db in dbs.values():
                c.execute(text(f'CREATE DATABASE "{db}"'))
        yield {
            n: make_url(pg).set(drivername="postgresql", database=db).render_as_string(hide_password=False)
            for n, db in dbs.items()
        }
    finally:
        with admin.connect() as c:
            for db in dbs.values():
                c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def cost(n: int, batch: int, pg: str | None = None) -> dict[str, Any]:
    from app.ingestion.storysig import sketch
    from app.stories import service as stories

    recs = generated(n)
    out: dict[str, Any] = {"articles": n, "batch": batch, "engine": "PostgreSQL" if pg else "SQLite"}
    real_assign = stories.assign
    with databases(pg, ["without", "with"]) as urls:
        for mode in ("without", "with"):
            engine = fresh_database(urls[mode])
            try:
                t0 = time.perf_counter()
                prepared = prepare_all(engine, recs)
                out[f"prepare_ms_per_article_{mode}"] = round((time.perf_counter() - t0) * 1000 / n, 3)
                stories.assign = real_assign if mode == "with" else (lambda session, arts: None)
                _, spent = store_batches(engine, prepared, batch)
            finally:
                stories.assign = real_assign
                engine.dispose()
            out[f"store_ms_per_article_{mode}"] = round(spent * 1000 / n, 3)
    out["ratio"] = round(out["store_ms_per_article_with"] / out["store_ms_per_article_without"], 2)
    # The whole ingestion of an article: the pipeline (its signature included) and the storage pass.
    prep = out["prepare_ms_per_article_without"]
    out["ingest_ms_per_article_without"] = round(prep + out["store_ms_per_article_without"], 3)
    out["ingest_ms_per_article_with"] = round(prep + out["store_ms_per_article_with"], 3)
    out["ingest_ratio"] = round(out["ingest_ms_per_article_with"] / out["ingest_ms_per_article_without"], 2)
    t0 = time.perf_counter()
    for r in recs:
        sketch(r["title"], r["body"])
    out["signature_ms_per_article"] = round((time.perf_counter() - t0) * 1000 / n, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1500, help="generated articles for the cost measurement")
    ap.add_argument("--batch", type=int, default=100, help="articles per transaction")
    ap.add_argument("--seed", type=int, default=7, help="arrival order of the labelled set")
    ap.add_argument("--no-cost", action="store_true", help="quality only")
    ap.add_argument(
        "--pg", help="measure the cost on this PostgreSQL server (a URL whose user may create databases)"
    )
    args = ap.parse_args(argv)
    q = quality(batch=10, seed=args.seed)
    print(
        f"quality  articles={q['articles']} stories labelled={q['labelled_stories']} predicted={q['predicted_stories']}"
        f"  pairwise precision={q['precision']:.3f} recall={q['recall']:.3f} F1={q['f1']:.3f}"
        f"  (tp={q['tp']} fp={q['fp']} fn={q['fn']})"
    )
    if not args.no_cost:
        c = cost(args.articles, args.batch, args.pg)
        print(
            f"cost     {c['articles']} articles, batches of {c['batch']}, {c['engine']}: storage pass "
            f"{c['store_ms_per_article_without']} ms/article without stories, {c['store_ms_per_article_with']} with "
            f"(x{c['ratio']}); story signature in the pipeline {c['signature_ms_per_article']} ms/article"
        )
        print(
            f"cost     whole ingestion (pipeline + storage): {c['ingest_ms_per_article_without']} ms/article "
            f"without stories, {c['ingest_ms_per_article_with']} with (x{c['ingest_ratio']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
