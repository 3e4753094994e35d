"""`geonews ingest`: files into a server (bulk HTTP) or straight into the database (same pipeline).

Every failure names its file, record (line, entry) and reason ("entry 3 of feeds/x.xml: no link and no
title"); files that cannot give articles (an empty or ill-formed feed, a corrupt archive) are warnings.
The run ends with a summary table: created, updated, already stored, failed by reason, and the warnings.
"""

from __future__ import annotations

import contextlib
import gc
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..config import get_settings
from ..ingestion.pipeline import Prepared
from ..ingestion.readers import Input, Record, Warning_, count_records, expand, read_input
from ..ingestion.workers import chunks, init_worker, prepare_chunk
from .schemas import ArticleCreate
from .service import record_stored, store, to_input

_ADAPTER = TypeAdapter(ArticleCreate)
SHOWN_FAILURES = 50  # failures printed one by one; the summary counts them all

# A server that is busy (503), asks the client to slow down (429) or cannot be reached for a moment (a
# restart, a dropped connection) is asked again, after its Retry-After or a doubling wait, up to RETRIES
# times (`geonews ingest --retries`) before the run stops. Storing is idempotent by canonical URL and
# content: a body the server stored before its answer was lost comes back "unchanged" when sent again,
# and nothing is stored twice.
RETRIES = 6
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0
_RETRIED = frozenset({429, 502, 503, 504})


class RunStopped(Exception):
    """The run cannot go on: the database refused a batch (disk full, locked past its timeout, read-only,
    damaged), or the server refused a body or stayed away past the retries. What earlier batches stored
    stays stored; the summary says what was not, and the command exits 1."""


@dataclass
class IngestReport:
    created: int = 0
    near_duplicates: int = 0  # created, and marked as a near-copy of a stored article
    updated: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (where, reason)
    warnings: list[Warning_] = field(default_factory=list)
    records: int = 0
    total: int = 0  # records in the files (the counting pass)
    stopped: str | None = None  # why the run stopped before its end (RunStopped)

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def not_stored(self) -> int:
        """Records whose outcome the run did not learn: the failing batch's and those after it."""
        return max(0, self.total - self.created - self.updated - self.unchanged - self.failed)

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }

    def file_problems(self) -> list[Warning_]:
        """The warnings that make the run fail unless --allow-empty: empty, ill-formed, unreadable."""
        return [w for w in self.warnings if w.reason != "skipped"]


def describe(exc: ValidationError) -> str:
    """One line for a validation error, one message per field: "published_at: Input should be …"."""
    parts: dict[str, str] = {}
    for e in exc.errors():
        loc = e.get("loc", ())
        name = str(loc[0]) if loc else ""  # not "published_at.datetime": the union member adds nothing
        msg = str(e.get("msg", "")).removeprefix("Value error, ")
        parts.setdefault(name, f"{name}: {msg}" if name else msg)
    return "; ".join(list(parts.values())[:3])


def _records(inputs: list[Input], warnings: list[Warning_], undated_as_ingested: bool) -> Iterator[Record]:
    for item in inputs:
        yield from read_input(item, warnings, undated_as_ingested=undated_as_ingested)


def _batches(
    inputs: list[Input], warnings: list[Warning_], size: int, undated_as_ingested: bool
) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in _records(inputs, warnings, undated_as_ingested):
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_ingest(
    files: list[Path],
    *,
    server: str | None,
    key: str | None,
    batch: int,
    console: Console,
    undated_as_ingested: bool = False,
    in_flight: int = 1,
    retries: int = RETRIES,
) -> IngestReport:
    report = IngestReport()
    inputs = expand(files, report.warnings)
    # A first pass counts the records for the progress bar (NDJSON's lines without parsing them); its
    # warnings are the second pass's too.
    total = report.total = sum(count_records(i, undated_as_ingested=undated_as_ingested) for i in inputs)
    columns = (TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = time.perf_counter()
    batches = _batches(inputs, report.warnings, batch, undated_as_ingested)
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("articles", total=total)
        try:
            if server:
                _to_server(batches, server, key, report, progress, task, console, in_flight, retries)
            else:
                _to_database(batches, report, progress, task, console)
        except RunStopped as exc:
            report.stopped = str(exc)
    elapsed = time.perf_counter() - started
    console.print(
        f"{report.records} records in {elapsed:.1f} s ({report.records / elapsed if elapsed else 0:.0f}/s)"
    )
    print_summary(report, console)
    return report


def _fail(report: IngestReport, console: Console, where: str, reason: str) -> None:
    report.failures.append((where, reason))
    if len(report.failures) <= SHOWN_FAILURES:
        console.print(f"[yellow]{where}: {reason}[/]", highlight=False, soft_wrap=True)
    elif len(report.failures) == SHOWN_FAILURES + 1:
        console.print("[yellow]… more failures: see the summary[/]")


def _readable(records: list[Record], report: IngestReport, console: Console) -> list[Record]:
    """The records that hold a JSON object (each counted; the others fail with their reader's reason)."""
    readable = []
    for record in records:
        report.records += 1
        if record.reason is not None:
            _fail(report, console, record.where, record.reason)
        elif not isinstance(record.data, dict):
            _fail(report, console, record.where, "not a JSON object")
        else:
            readable.append(record)
    return readable


def _validate(
    records: list[Record], report: IngestReport, console: Console
) -> list[tuple[Record, ArticleCreate]]:
    valid = []
    for record in _readable(records, report, console):
        try:
            valid.append((record, _ADAPTER.validate_python(record.data)))
        except ValidationError as exc:
            _fail(report, console, record.where, describe(exc))
    return valid


def validate_and_prepare(chunk: list[tuple[int, Any]]) -> list[Prepared | tuple[int, str]]:
    """A preparing process's task: validate each (index, JSON object) against the API's schema, then
    prepare the valid ones; (index, reason) for each that fails either step. Validation (~0.15 ms an
    article) runs here, not in the storing process: with cores to spare that process is the run's
    bottleneck. On 2 cores all the processes' CPU together bounds the rate, which did not move."""
    items: list[tuple[int, Any]] = []
    failed: list[Prepared | tuple[int, str]] = []
    for index, data in chunk:
        try:
            items.append((index, to_input(_ADAPTER.validate_python(data))))
        except ValidationError as exc:
            failed.append((index, describe(exc)))
    return failed + prepare_chunk(items)


def _index(result: Prepared | tuple[int, str]) -> int:
    return result[0] if isinstance(result, tuple) else result.index


def _count(report: IngestReport, status: str, duplicate_of: int | None) -> None:
    if status == "created":
        report.created += 1
        report.near_duplicates += duplicate_of is not None
    elif status == "updated":
        report.updated += 1
    else:
        report.unchanged += 1


# Bodies stay under this many bytes unless the server says its limit is lower: the server's default
# (GEONEWS_MAX_BODY_BYTES) is 10 MiB, and 1,000 whole pages of 20 kB are 20 MB.
BODY_LIMIT = 8 * 1024 * 1024
_LIMIT_SAID = re.compile(r"larger than (\d+) bytes")


class _BodyLimit:
    """The most bytes a body may have: BODY_LIMIT until a 413 answer names the server's own limit (the
    senders' threads lower it; the next bodies are packed to it)."""

    def __init__(self, limit: int = BODY_LIMIT) -> None:
        self.value = limit

    def learn(self, detail: str) -> None:
        said = _LIMIT_SAID.search(detail)
        if said:
            self.value = min(self.value, int(said.group(1)))


def _parts(lines: list[bytes], limit: int) -> list[tuple[int, list[bytes]]]:
    """`lines` cut into runs whose NDJSON body (lines and newlines) is at most `limit` bytes, each with
    the position of its first line; a line longer than that alone makes a run."""
    parts: list[tuple[int, list[bytes]]] = []
    start, size = 0, -1
    for k, line in enumerate(lines):
        if k > start and size + 1 + len(line) > limit:
            parts.append((start, lines[start:k]))
            start, size = k, -1
        size += 1 + len(line)
    if lines:
        parts.append((start, lines[start:]))
    return parts


def _shifted(answer: dict[str, Any], by: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    results = [{**item, "index": item["index"] + by} for item in answer["results"]]
    return results, [{**f, "index": f["index"] + by} for f in answer["failed"]]


def _wait_s(r: Any, attempt: int) -> float:
    """The server's Retry-After (seconds) if it gives one, else 0.5, 1, 2, … s; at most RETRY_MAX_S."""
    said = r.headers.get("retry-after") if r is not None else None
    if said is not None and said.strip().isdigit():
        return min(float(said), RETRY_MAX_S)
    return min(RETRY_FIRST_S * 2**attempt, RETRY_MAX_S)


def _post(
    client: Any, body: bytes, say: Callable[[str], None] | None, sleep: Callable[[float], None], retries: int
) -> Any:
    """One bulk body posted; retried on a busy or unreachable server, `retries` times (see RETRIES)."""
    import httpx

    for attempt in range(retries + 1):
        try:
            r = client.post("/v1/articles/bulk", content=body)
        except httpx.TransportError as exc:
            if attempt == retries:
                raise RunStopped(
                    f"server unreachable after {retries} retries: {type(exc).__name__}: {exc}"
                ) from exc
            r, why = None, f"{type(exc).__name__}: {exc}"
        else:
            if r.status_code not in _RETRIED or attempt == retries:
                return r
            why = f"server answered {r.status_code}"
        wait = _wait_s(r, attempt)
        if say is not None:
            say(f"{why}; sending again in {wait:g} s (retry {attempt + 1} of {retries})")
        sleep(wait)
    raise AssertionError("unreachable")


def post_lines(
    client: Any,
    lines: list[bytes],
    limit: _BodyLimit,
    say: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    retries: int = RETRIES,
) -> dict[str, Any]:
    """POST NDJSON lines to /v1/articles/bulk in bodies under `limit`: one answer for all of them, every
    index counted from the first line. A body the server finds too large (413) is sent again as two
    halves, packed to the limit its answer names; a single line still too large fails alone, with the
    server's reason, and the others go on. A busy or unreachable server is asked again (`_post`); `say`
    hears of each retry."""
    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for start, part in _parts(lines, limit.value):
        r = _post(client, b"\n".join(part), say, sleep, retries)
        if r.status_code == 413:
            detail = _detail(r)
            limit.learn(detail)
            if len(part) == 1:
                answer: dict[str, Any] = {
                    "results": [],
                    "failed": [{"index": 0, "status": 413, "detail": f"too large for the server: {detail}"}],
                }
            else:
                half = len(part) // 2
                first = post_lines(client, part[:half], limit, say, sleep, retries)
                second = post_lines(client, part[half:], limit, say, sleep, retries)
                later, later_failed = _shifted(second, half)
                answer = {"results": first["results"] + later, "failed": first["failed"] + later_failed}
        elif r.status_code != 200:
            raise RunStopped(f"server answered {r.status_code}: {_detail(r)[:500]}")
        else:
            answer = r.json()
        shifted = _shifted(answer, start)
        results += shifted[0]
        failed += shifted[1]
    return {"results": results, "failed": failed}


def _detail(r: Any) -> str:
    """A problem+json answer's detail; a proxy's page or empty body: its start, or the status's phrase."""
    try:
        data = r.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("detail"):
        return str(data["detail"])
    return r.text[:200] or r.reason_phrase


def _to_server(
    batches, server, key, report, progress, task, console, in_flight: int = 1, retries: int = RETRIES
) -> None:  # type: ignore[no-untyped-def]
    """POST each batch to /v1/articles/bulk, `in_flight` requests at a time (a batch larger than the
    server's body limit goes as several bodies, see post_lines). Answers are read in the order the batches
    were sent; with more than one in flight the server may store them in another order."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    import httpx  # here: only --server needs it (~0.12 s of every `geonews` command's start)

    headers = {"Content-Type": "application/x-ndjson"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    sent: deque[tuple[list[tuple[Record, ArticleCreate]], int, Future[Any] | None]] = deque()
    limit = _BodyLimit()

    def warn(message: str) -> None:
        console.print(f"[yellow]{message}[/]", highlight=False, soft_wrap=True)

    def settle(valid: list[tuple[Record, ArticleCreate]], size: int, answer: Future[Any] | None) -> None:
        if answer is not None:
            try:
                body = answer.result()
            except RunStopped as exc:
                raise RunStopped(f"{exc} (the batch from {valid[0][0].where})") from exc
            for item in body["results"]:
                _count(report, item["status"], item.get("duplicate_of"))
            for f in body["failed"]:
                _fail(report, console, valid[f["index"]][0].where, f["detail"])
        progress.advance(task, size)

    with (
        httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=120) as client,
        ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="geonews-ingest-post") as senders,
    ):
        for chunk in batches:
            valid = _validate(chunk, report, console)  # while the batches before it are on their way
            while len(sent) >= max(1, in_flight):
                settle(*sent.popleft())
            lines = [orjson.dumps(r.data) for r, _ in valid]
            answer = (
                senders.submit(post_lines, client, lines, limit, warn, time.sleep, retries) if valid else None
            )
            sent.append((valid, len(chunk), answer))
        while sent:
            settle(*sent.popleft())


def _to_database(batches, report, progress, task, console, workers: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Validate and prepare in `workers` processes (all cores by default), store here.

    Pipelined: the next batch is prepared while this one is stored, so the storing process and the
    preparing ones work at the same time."""
    import os
    from concurrent.futures import Future, ProcessPoolExecutor

    from sqlalchemy.exc import DatabaseError, IntegrityError, ProgrammingError
    from sqlalchemy.orm import Session

    from .. import migrate
    from ..actors.gazetteer import load_entries
    from ..db import make_sync_engine
    from ..dialect import immediate_writes
    from ..places.gazetteer import load_records as load_places

    settings = get_settings()
    migrate.upgrade(settings)
    # This process exists to write: its connection keeps the batches' page cache warm from one to the next.
    engine = make_sync_engine(settings, cache_mib=settings.sqlite_write_cache_mb)
    workers = workers or min(4, os.cpu_count() or 1)
    with Session(engine) as session:
        entries = load_entries(session)  # each worker process builds its own linkers from these
        place_records = load_places(session)
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=init_worker, initargs=(entries, place_records, settings.ingest_nice)
    )

    def submit(chunk: list[Record], offset: int) -> tuple[int, int, dict[int, str], list[Future[Any]]]:
        readable = _readable(chunk, report, console)
        where = {offset + i: record.where for i, record in enumerate(readable)}
        items = [(offset + i, record.data) for i, record in enumerate(readable)]
        return (
            len(chunk),
            offset + len(readable),
            where,
            [pool.submit(validate_and_prepare, c) for c in chunks(items, workers)],
        )

    def finish(size: int, where: dict[int, str], futures: list[Future[Any]]) -> None:
        prepared = []
        for result in sorted((p for f in futures for p in f.result()), key=_index):
            if isinstance(result, tuple):
                _fail(report, console, where[result[0]], result[1])
            else:
                prepared.append(result)
        if prepared:
            # BEGIN IMMEDIATE on SQLite: wait for a running server's writers instead of failing to
            # upgrade a read lock half-way through the batch.
            try:
                with Session(immediate_writes(engine)) as session, session.begin():
                    outcomes = store(session, prepared)
                    record_stored(session, prepared, outcomes)
            except (IntegrityError, ProgrammingError):
                raise  # not the database's state: a fault of this code, with its traceback
            except DatabaseError as exc:  # OperationalError among them: locked, full, read-only, damaged
                # Rolled back whole: counted only once committed.
                raise RunStopped(
                    f"the database refused the batch from {where[prepared[0].index]}: {exc.orig}"
                ) from exc
            for outcome in outcomes:
                _count(report, outcome.status, outcome.duplicate_of)
        progress.advance(task, size)

    try:
        with _batch_garbage():
            offset = 0
            pending = None
            for chunk in batches:
                size, offset, where, futures = submit(chunk, offset)
                if pending is not None:
                    finish(*pending)
                pending = (size, where, futures)
            if pending is not None:
                finish(*pending)
    finally:
        pool.shutdown(cancel_futures=True)
        engine.dispose()


# The storing process's collector while it stores: a collection every GC_YOUNG new container objects
# instead of 700. A batch of 1,000 articles makes ~63,000 of them (the prepared values, mention rows, row
# tuples: ~90 young collections a batch at 700), which live until the batch is stored and are then freed
# by their reference counts, not by the collector; at 700 each was walked by a young collection and
# again by an older one, and every few batches a full collection walked the whole heap. 16,000 articles
# (the storing thread's collections, timed with gc.callbacks): 0.69 s by default, 0.37 with the heap
# frozen, 0.16 with both.
GC_YOUNG = 20_000


@contextlib.contextmanager
def _batch_garbage() -> Iterator[None]:
    """What this process holds once set up lives as long as the run (modules, SQLAlchemy's tables and
    compiled statements, the gazetteer's entries): frozen, the full collections no longer walk it (as
    the server's workers do, app/main.py); and young collections are rarer (GC_YOUNG). Both are undone
    at the end (the freeze only if nothing was frozen before: `run_ingest` may run in a server's or a
    test's process)."""
    threshold = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if not frozen_before:
            gc.unfreeze()


def print_summary(report: IngestReport, console: Console) -> None:
    table = Table(title="ingest summary", show_header=True, header_style="bold")
    table.add_column("outcome")
    table.add_column("articles", justify="right")
    table.add_row("created", str(report.created))
    if report.near_duplicates:
        table.add_row("  of which near-duplicates of stored articles", str(report.near_duplicates))
    table.add_row("updated", str(report.updated))
    table.add_row("unchanged (already stored: duplicates)", str(report.unchanged))
    table.add_row("failed", str(report.failed))
    for reason, n in Counter(_reason_key(r) for _, r in report.failures).most_common():
        table.add_row(f"  {reason}", str(n))
    if report.stopped:
        table.add_row("not confirmed stored: the run stopped", str(report.not_stored))
    console.print(table)
    if report.stopped:
        console.print(
            f"[red]stopped: {report.stopped}[/]\nWhat the batches before it stored is kept. Once that is "
            "mended, the same command stores the rest: what is already stored is recognised (unchanged).",
            highlight=False,
            soft_wrap=True,
        )
    if report.warnings:
        files = Table(title="files with warnings", show_header=True, header_style="bold")
        files.add_column("file")
        files.add_column("warning")
        for w in report.warnings:
            files.add_row(w.file, f"{w.reason}" + (f": {w.detail}" if w.detail else ""))
        console.print(files)


def _reason_key(reason: str) -> str:
    """The reason without what varies between records (the JSON parser's position), for counting."""
    return reason.split(" (", 1)[0] if reason.startswith("not valid JSON") else reason
