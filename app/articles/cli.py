"""`geonews ingest`: files into a server (bulk HTTP) or straight into the database (same pipeline)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..config import get_settings
from ..ingestion.pipeline import prepare
from ..ingestion.readers import read_records
from .schemas import ArticleCreate
from .service import record_stored, store, to_input

_ADAPTER = TypeAdapter(ArticleCreate)


def _batches(files: list[Path], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for path in files:
        for record in read_records(path):
            chunk.append(record)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _count(files: list[Path]) -> int:
    return sum(1 for path in files for _ in read_records(path))


def run_ingest(
    files: list[Path], *, server: str | None, key: str | None, batch: int, console: Console
) -> dict[str, int]:
    total = _count(files)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    columns = (TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = time.perf_counter()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("articles", total=total)
        if server:
            _to_server(files, server, key, batch, counts, progress, task, console)
        else:
            _to_database(files, batch, counts, progress, task, console)
    elapsed = time.perf_counter() - started
    console.print(f"{total} records in {elapsed:.1f} s ({total / elapsed if elapsed else 0:.0f}/s)")
    return counts


def _to_server(files, server, key, batch, counts, progress, task, console) -> None:  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/x-ndjson"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    with httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120) as client:
        for chunk in _batches(files, batch):
            lines = [b"{" if isinstance(r, Exception) else orjson.dumps(r) for r in chunk]
            r = client.post("/v1/articles/bulk", content=b"\n".join(lines))
            if r.status_code != 200:
                raise SystemExit(f"server answered {r.status_code}: {r.text[:500]}")
            report = r.json()
            for k in ("created", "updated", "unchanged"):
                counts[k] += report[k]
            counts["failed"] += len(report["failed"])
            for f in report["failed"][:5]:
                console.print(f"[yellow]record {f['index']} of the batch: {f['status']} {f['detail']}[/]")
            progress.advance(task, len(chunk))


_worker_gazetteer: Any = None


def _init_worker(entries: list[Any]) -> None:
    global _worker_gazetteer
    from ..ingestion.language import preload
    from ..ingestion.linker import Gazetteer

    _worker_gazetteer = Gazetteer(entries)
    preload()


def _prepare_chunk(chunk: list[tuple[int, Any]]) -> list[Any]:
    """In a worker process: clean, fingerprint, detect and link (the CPU-heavy part)."""
    return [prepare(index, item, _worker_gazetteer) for index, item in chunk]


def _to_database(files, batch, counts, progress, task, console, workers: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Validate in this process, prepare in `workers` processes (all cores by default), store here."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from sqlalchemy.orm import Session

    from .. import migrate
    from ..actors.gazetteer import load_entries
    from ..db import make_sync_engine

    settings = get_settings()
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    workers = workers or min(4, os.cpu_count() or 1)
    with Session(engine) as session:
        entries = load_entries(session)  # each worker process builds its own linker from these
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(entries,))
    try:
        offset = 0
        for chunk in _batches(files, batch):
            valid = []
            for i, record in enumerate(chunk):
                index = offset + i
                try:
                    if isinstance(record, Exception):
                        raise record
                    valid.append((index, to_input(_ADAPTER.validate_python(record))))
                except (ValidationError, ValueError) as exc:
                    counts["failed"] += 1
                    console.print(f"[yellow]record {index}: {str(exc).splitlines()[0][:200]}[/]")
            step = max(1, len(valid) // (workers * 2))
            parts = [valid[k : k + step] for k in range(0, len(valid), step)]
            prepared = [p for part in pool.map(_prepare_chunk, parts) for p in part]
            with Session(engine) as session, session.begin():
                outcomes = store(session, prepared) if prepared else []
                record_stored(session, prepared, outcomes)
                for outcome in outcomes:
                    counts[outcome.status] += 1
            offset += len(chunk)
            progress.advance(task, len(chunk))
    finally:
        pool.shutdown(cancel_futures=True)
        engine.dispose()
