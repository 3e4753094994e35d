"""Geographic filters: latency of near=/bbox= on articles and events, in-process (ASGI), on a seeded SQLite
file (or PostgreSQL with --pg) holding N synthetic articles that each name two gazetteer cities, and
events with coordinates.

    .venv/bin/python bench/places_queries.py [--articles 5000] [--pg postgresql://postgres@127.0.0.1/bench_places]

Prints the median wall time of 15 requests per query (first page, limit 50; geojson streams every match).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

QUERIES = [
    ("articles, no filter", "/v1/articles"),
    ("articles near Brussels 100 km", "/v1/articles?near=50.85,4.35,100"),
    ("articles near Brussels 100 km, q", "/v1/articles?near=50.85,4.35,100&q=talks"),
    ("articles bbox Europe", "/v1/articles?bbox=-10,35,30,60"),
    ("articles bbox Europe, geojson", "/v1/articles?bbox=-10,35,30,60&format=geojson"),
    ("events bbox Europe", "/v1/events?bbox=-10,35,30,60"),
    ("events near Lagos 500 km", "/v1/events?near=6.45,3.4,500"),
    ("events bbox Europe, geojson", "/v1/events?bbox=-10,35,30,60&format=geojson"),
]


def build(url: str, n: int) -> None:
    from sqlalchemy.orm import Session

    from app import migrate
    from app.actors.gazetteer import load_entries
    from app.articles.service import store
    from app.config import Settings
    from app.db import make_sync_engine
    from app.ingestion.linker import Gazetteer
    from app.ingestion.pipeline import ArticleInput, prepare
    from app.ingestion.places import PlaceLinker
    from app.models import Event
    from app.places.gazetteer import load_records
    from app.seed.loader import seed

    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    seed(engine)
    rnd = random.Random(7)
    with Session(engine) as s:
        gazetteer, records = Gazetteer(load_entries(s)), load_records(s)
    linker = PlaceLinker(records)
    names = [r.name for r in records if " " not in r.name and r.population > 1_000_000]
    from datetime import datetime, timedelta

    base = datetime(2024, 1, 1)
    for k in range(0, n, 500):
        batch = []
        for i in range(k, min(n, k + 500)):
            a, b = rnd.sample(names, 2)
            body = f"Delegations met in {a} on Monday for talks. Later the envoys flew to {b} for a second round."
            item = ArticleInput(
                url=f"https://bench.example.com/{i}",
                title=f"Talks {i}",
                body=body,
                published_at=base + timedelta(minutes=i),
                source="bench",
                language="en",
            )
            batch.append(prepare(i, item, gazetteer, linker))
        with Session(engine) as s, s.begin():
            store(s, batch)
    with Session(engine) as s, s.begin():
        for i in range(n):
            r = rnd.choice(records)
            s.add(
                Event(
                    title=f"Event {i}",
                    start_date=(base + timedelta(hours=i)).date(),
                    lat=r.lat,
                    lon=r.lon,
                    source="bench",
                )
            )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL instead of a SQLite file")
    args = parser.parse_args(argv)
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg or f"sqlite:///{tmp}/places.db"
        t = time.perf_counter()
        build(url, args.articles)
        print(f"built {args.articles} articles and events in {time.perf_counter() - t:.1f} s")
        settings = Settings(database_url=url, dev_mode=True, rate_limit_enabled=False, _env_file=None)  # type: ignore[call-arg]
        with TestClient(create_app(settings)) as client:
            for label, path in QUERIES:
                times, size = [], 0
                for _ in range(15):
                    t = time.perf_counter()
                    r = client.get(
                        path + ("&" if "?" in path else "?") + "limit=50" if "geojson" not in path else path
                    )
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.text
                    size = len(r.json().get("items", r.json().get("features", [])))
                print(f"{label:40s} {statistics.median(times) * 1000:7.1f} ms  ({size} items)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
