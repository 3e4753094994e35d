"""Time the GDELT 2.0 import of the shared sample into a fresh, migrated and seeded database.

    .venv/bin/python bench/gdelt_import.py [--data DIR] [--postgres postgresql://user@host/postgres] [--runs N]

SQLite always (a new file in a temporary directory); PostgreSQL too when a server URL is given (a scratch
database is created from it and dropped afterwards). Each run imports the export (and mentions) files
into a fresh database and then once more, to time the idempotent re-import that changes nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import migrate  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_sync_engine  # noqa: E402
from app.importers.gdelt import ImportReport, import_gdelt, is_mentions_file  # noqa: E402
from app.seed.loader import seed  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "gdelt"


def prepare(url: str) -> None:
    settings = Settings(database_url=url)
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    try:
        seed(engine)
    finally:
        engine.dispose()


@contextmanager
def sqlite_db() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


@contextmanager
def postgres_db(server: str) -> Iterator[str]:
    name = f"gn_bench_gdelt_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(server).set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(server).set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench(
    label: str, make_db: Callable[[], Any], exports: list[Path], mentions: list[Path], runs: int
) -> None:
    first: list[float] = []
    again: list[float] = []
    report: ImportReport | None = None
    for _ in range(runs):
        with make_db() as url:
            prepare(url)
            report = import_gdelt(url, exports, mentions)
            first.append(report.seconds)
            again.append(import_gdelt(url, exports, mentions).seconds)
    assert report is not None
    rows = report.rows_read
    best, median = min(first), statistics.median(first)
    print(
        f"{label:<10} import: best {best:.2f}s  median {median:.2f}s  ({rows / best:,.0f} rows/s)   "
        f"re-import: median {statistics.median(again):.2f}s   "
        f"[{report.events_created} events, {report.articles_stubbed} stubs, {report.rows_skipped} skipped]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="directory with *.export.CSV files")
    parser.add_argument("--postgres", help="PostgreSQL server URL whose user may create databases")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # alembic's migration chatter

    files = sorted(p for p in args.data.iterdir() if p.name.lower().endswith((".csv", ".csv.zip", ".zip")))
    exports = [p for p in files if ".export." in p.name.lower()]
    mentions = [p for p in files if is_mentions_file(p)]
    if not exports:
        sys.exit(f"no *.export.CSV files in {args.data}")
    print(f"files: {', '.join(p.name for p in exports + mentions)}")
    bench("sqlite", sqlite_db, exports, mentions, args.runs)
    if args.postgres:
        bench("postgresql", lambda: postgres_db(args.postgres), exports, mentions, args.runs)


if __name__ == "__main__":
    main()
