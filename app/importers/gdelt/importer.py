"""``import_gdelt``: stream export files, then mentions files, into the database in batches.

Speed: the rows are streamed and written in batches with SQLAlchemy Core bulk statements on the sync engine;
actors and event types are read once into dictionaries, so nothing is queried per row. One transaction per
batch. A bad row is skipped and reported with its file and line number; the rest lands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Engine

from ...config import Settings
from ...db import make_sync_engine
from . import repository
from .actors import ActorIndex, ActorResolver
from .files import DEFAULT_BATCH, read_lines
from .parse import BadRow, EventParser, EventRecord, MentionRecord, parse_mention
from .report import ImportReport
from .write import Writer


class _Progress:
    """Bytes read, reported to the caller once per batch: cheap even for files of millions of rows."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.pending = 0

    def advance(self, n: int) -> None:
        self.pending += n

    def flush(self) -> None:
        if self.callback and self.pending:
            self.callback(self.pending)
        self.pending = 0


def import_gdelt(
    database: str | Settings | Engine,
    exports: Sequence[str | Path] = (),
    mentions: Sequence[str | Path] = (),
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import GDELT 2.0 export files (plain or .zip), then mentions files, into ``database`` (a URL, the
    Settings, or a sync Engine). ``progress`` is called with the number of bytes read since its last call.
    The schema must be migrated; the CAMEO table is loaded if event_types is empty."""
    start = time.perf_counter()
    owned = not isinstance(database, Engine)
    if isinstance(database, Engine):
        engine = database
    else:
        settings = database if isinstance(database, Settings) else Settings(database_url=database)
        engine = make_sync_engine(settings)
    report = ImportReport()
    try:
        writer = Writer(engine, report)
        meter = _Progress(progress)
        batch_size = max(1, batch_size)
        with writer.engine.begin() as conn:
            repository.ensure_event_types(conn)
            parser = EventParser(
                repository.event_type_names(conn), ActorResolver(ActorIndex.load(conn), report), report
            )
        if exports:
            _import_exports(exports, parser, writer, meter, batch_size)
        if mentions:
            _import_mentions(mentions, writer, meter, batch_size)
    finally:
        if owned:
            engine.dispose()
    report.seconds = time.perf_counter() - start
    return report


def _import_exports(
    paths: Sequence[str | Path], parser: EventParser, writer: Writer, meter: _Progress, batch_size: int
) -> None:
    report = writer.report
    batch: dict[str, EventRecord] = {}
    for name, lineno, cols in read_lines(paths, report.files, meter.advance):
        report.rows_read += 1
        try:
            row = parser.parse(cols)
        except BadRow as bad:
            report.skip(name, lineno, bad.kind, bad.detail)
            continue
        if row.external_id in batch:
            report.duplicate_rows += 1
        batch[row.external_id] = row
        if len(batch) >= batch_size:
            writer.events(batch)
            meter.flush()
            batch = {}
    if batch:
        writer.events(batch)
    meter.flush()


def _import_mentions(paths: Sequence[str | Path], writer: Writer, meter: _Progress, batch_size: int) -> None:
    report = writer.report
    batch: list[MentionRecord] = []
    for name, lineno, cols in read_lines(paths, report.files, meter.advance):
        report.mentions_read += 1
        try:
            batch.append(parse_mention(cols))
        except BadRow as bad:
            report.skip(name, lineno, bad.kind, bad.detail)
            continue
        if len(batch) >= batch_size:
            writer.mentions(batch)
            meter.flush()
            batch = []
    if batch:
        writer.mentions(batch)
    meter.flush()
