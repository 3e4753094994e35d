"""The near-duplicate lookup of a stored batch on a large SQLite database: the statements the repository
runs (`app.articles.repository.near_duplicate_candidates`: per band, at most NEAR_DUPLICATE_BUCKET of the
oldest holders of each value, since the eighth session) against the shapes it had before (until the
seventh session of 2026-12-02 `duplicate_of_id IS NULL` in its WHERE clause; then one statement reading
every holder of every value), on a table of --rows articles with random (uniform) 16-bit simhash bands
and 2 % near-duplicates, before and after ANALYZE. On uniform bands the three find the same originals.

    python bench/near_duplicates.py                 # 1,000,000 rows (about a minute to build)
    python bench/near_duplicates.py --rows 200000

The scratch database is built through the app's migrations (the real indexes), its rows inserted in
bulk with the full-text trigger dropped; each shape runs --repeat times with the bands of a batch of
--batch articles and the best time is printed with SQLite's plan.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))


def build(path: Path, rows: int, seed: int) -> None:
    import sqlite3

    from app import migrate
    from app.config import Settings

    migrate.upgrade(Settings(database_url=f"sqlite:///{path}", _env_file=None))  # type: ignore[call-arg]
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS articles_fts_ai")
        conn.execute("BEGIN")
        sql = (
            "INSERT INTO articles (id, url, canonical_url, content_hash, simhash, duplicate_of_id, title, body,"
            " source, published_at, is_stub, sh0, sh1, sh2, sh3) VALUES (?, ?, ?, ?, ?, ?, 't', 'b', 's',"
            " '2024-01-01 00:00:00.000000', 0, ?, ?, ?, ?)"
        )

        def row(i: int) -> tuple[Any, ...]:
            bands = [rng.randrange(1 << 16) for _ in range(4)]
            sim = bands[0] | bands[1] << 16 | bands[2] << 32 | bands[3] << 48
            sim = sim - (1 << 64) if sim >> 63 else sim
            dup = i - 1 if i > 1 and rng.random() < 0.02 else None
            return (i, f"u{i}", f"u{i}", f"h{i}", sim, dup, *bands)

        for start in range(1, rows + 1, 50_000):
            conn.executemany(sql, (row(i) for i in range(start, min(rows, start + 49_999) + 1)))
        conn.execute("COMMIT")
    finally:
        conn.close()


def measure(path: Path, batch: int, repeat: int, seed: int) -> list[dict[str, Any]]:
    import orjson
    from sqlalchemy import event, or_, select
    from sqlalchemy.orm import Session

    from app.articles import repository
    from app.config import Settings
    from app.db import make_sync_engine
    from app.models import Article

    engine = make_sync_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))  # type: ignore[call-arg]
    rng = random.Random(seed + 1)
    bands = [{rng.randrange(1 << 16) for _ in range(batch)} for _ in range(4)]
    seen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    old_shape = select(
        Article.id,
        Article.duplicate_of_id,
        Article.simhash,
        Article.sh0,
        Article.sh1,
        Article.sh2,
        Article.sh3,
    )

    def sixth(session: Session) -> list[Any]:
        conds = [getattr(Article, f"sh{b}").in_(values) for b, values in enumerate(bands)]
        return session.execute(
            old_shape.where(or_(*conds), Article.duplicate_of_id.is_(None)).order_by(Article.id)
        ).all()

    def seventh(session: Session) -> list[Any]:
        conds = [getattr(Article, f"sh{b}").in_(values) for b, values in enumerate(bands)]
        rows = session.execute(old_shape.where(or_(*conds)).order_by(Article.id))
        return [r for r in rows if r.duplicate_of_id is None]

    def now(session: Session) -> list[Any]:
        # One row per (article, band) that matched: counted per article, as the shapes before. Since
        # 2026-12-03 (eleventh session) the statement reads the (shN, id, simhash) index alone and its
        # rows include the near-duplicates (2 % here): the service drops them among the few within reach.
        held = repository.near_duplicate_candidates(session, bands)
        # Read on the driver's cursor: the last band's statement is recorded here for its plan.
        last = orjson.dumps(sorted(bands[3])).decode()
        seen.append(
            (repository._band_statement(3, False), {"vals": last, "cap": repository.NEAR_DUPLICATE_BUCKET})
        )
        return sorted(set(held[:, 2].tolist()))

    out = []
    try:
        with Session(engine) as session:
            shapes = (
                ("sixth session (dup IS NULL in SQL)", sixth),
                ("seventh session (one OR statement)", seventh),
                (f"now (<= {repository.NEAR_DUPLICATE_BUCKET} per value, covering)", now),
            )
            for name, run in shapes:
                best, found = float("inf"), 0
                for _ in range(repeat):
                    seen.clear()
                    t = time.perf_counter()
                    found = len(run(session))
                    best = min(best, time.perf_counter() - t)
                statement, parameters = seen[-1]
                raw = session.connection().connection.driver_connection
                plan = [r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
                out.append({"shape": name, "ms": best * 1000, "originals": found, "plan": plan[:2]})
    finally:
        engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--batch", type=int, default=500, help="articles whose bands are looked up (default 500)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geonews-neardup-") as tmp:
        path = Path(tmp) / "neardup.db"
        t = time.perf_counter()
        build(path, args.rows, args.seed)
        print(f"{args.rows:,} articles built in {time.perf_counter() - t:.0f} s")
        for stage in ("no statistics", "after ANALYZE"):
            if stage == "after ANALYZE":
                import sqlite3

                with sqlite3.connect(path) as conn:
                    conn.execute("ANALYZE")
            for r in measure(path, args.batch, args.repeat, args.seed):
                print(f"{stage:14s} {r['shape']:40s} {r['ms']:8.1f} ms  {r['originals']:6d} originals  "
                      f"plan: {' / '.join(r['plan'])}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
