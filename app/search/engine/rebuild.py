"""Build a complete index from the database, beside the serving one, then switch to it atomically.

Resumable: the build directory's `rebuild.json` records the last article id committed. A rebuild that
finds an unfinished build of the same schema continues it: first it deletes any document above that id (a
batch Tantivy committed before the process died, but not yet recorded), then reads on from there.

The change-log position to pass as `seq` is the one read *before* the rebuild starts: the index then
claims only changes it certainly contains, and the follower re-applies the rest (idempotently) after the
switch. An interrupted build keeps the seq it started with.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine
from tantivy import FieldType
from tantivy import Query as TQ

from . import layout
from . import schema as s
from .repository import count_after, documents_between, next_ids

BATCH = 2_000
COMMIT_EVERY = 100_000
HEAP_BYTES = 400_000_000


class RebuildRunning(RuntimeError):
    """Another rebuild holds the lock of this index directory."""


@dataclass
class RebuildReport:
    generation: Path
    docs: int  # documents in the new index
    indexed: int  # documents written by this run
    resumed_from: int  # the article id this run started after (0: from scratch)
    seconds: float
    seq: int

    @property
    def docs_per_s(self) -> float:
        return self.indexed / self.seconds if self.seconds else 0.0


def _resume_point(root: Path) -> tuple[Path, dict[str, int]] | None:
    for building in layout.building_dirs(root):
        state = layout.read_json(building / layout.PROGRESS)
        if state and state.get("schema_version") == s.SCHEMA_VERSION:
            return building, {k: int(state[k]) for k in ("last_id", "seq", "docs")}
    return None


def rebuild(
    engine: Engine,
    index_dir: str | os.PathLike[str],
    *,
    seq: int = 0,
    batch: int = BATCH,
    commit_every: int = COMMIT_EVERY,
    progress: bool = True,
    heap_bytes: int = HEAP_BYTES,
    threads: int = 0,
    on_commit: Callable[[int, int], None] | None = None,
) -> RebuildReport:
    """Index every article of the database into a new generation of `index_dir` and make it current.

    `on_commit(last_id, docs)` runs after each durable commit (progress reporting; raising there stops
    the build, which a later call resumes)."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with layout.flock(root / "rebuild.lock", blocking=False) as locked:
        if not locked:
            raise RebuildRunning(f"A rebuild of {root} is already running.")
        return _rebuild(engine, root, seq, batch, commit_every, progress, heap_bytes, threads, on_commit)


def _rebuild(
    engine: Engine,
    root: Path,
    seq: int,
    batch: int,
    commit_every: int,
    progress: bool,
    heap_bytes: int,
    threads: int,
    on_commit: Callable[[int, int], None] | None,
) -> RebuildReport:
    t0 = time.perf_counter()
    found = _resume_point(root)
    if found is not None:
        building, state = found
        last_id, seq, docs_before = state["last_id"], state["seq"], state["docs"]
        index = s.open_index(building)
    else:
        for stale in layout.building_dirs(root):  # another schema's unfinished build
            _remove(stale)
        building = layout.new_building_dir(root)
        last_id, docs_before = 0, 0
        index = s.create_index(building)
        _record(building, last_id, seq, 0)
    resumed_from = last_id
    writer = index.writer(heap_bytes, threads)
    if last_id:
        writer.delete_documents_by_query(
            TQ.range_query(s.schema(), s.ID, FieldType.Unsigned, last_id, None, include_lower=False)
        )
    with engine.connect() as conn:
        total = count_after(conn, last_id)
    indexed = since_commit = 0
    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} docs/s"),
        TimeRemainingColumn(),
        disable=not progress,
    )
    with bar:
        task = bar.add_task("rebuild", total=total, rate=0.0)
        while True:
            # A short read transaction per batch: no long-lived snapshot holding back SQLite's WAL
            # checkpoints or PostgreSQL's vacuum.
            with engine.connect() as conn:
                ids = next_ids(conn, last_id, batch)
                if not ids:
                    break
                docs = documents_between(conn, ids[0], ids[-1])
            for doc in docs:
                writer.add_json(doc.to_json())
            last_id = ids[-1]
            indexed += len(docs)
            since_commit += len(docs)
            if since_commit >= commit_every:
                writer.commit()
                _record(building, last_id, seq, docs_before + indexed)
                since_commit = 0
                if on_commit is not None:
                    on_commit(last_id, docs_before + indexed)
            elapsed = time.perf_counter() - t0
            bar.update(task, advance=len(ids), rate=indexed / elapsed if elapsed else 0.0)
        writer.commit()
        writer.wait_merging_threads()
    index.reload()
    total_docs = index.searcher().num_docs
    del writer, index
    layout.write_meta(
        building,
        layout.IndexMeta.now(seq=seq, docs=total_docs, generation=layout.generation_number(building)),
    )
    (building / layout.PROGRESS).unlink(missing_ok=True)
    gen = layout.publish(root, building)
    return RebuildReport(gen, total_docs, indexed, resumed_from, time.perf_counter() - t0, seq)


def _record(building: Path, last_id: int, seq: int, docs: int) -> None:
    layout.write_json_atomic(
        building / layout.PROGRESS,
        {"schema_version": s.SCHEMA_VERSION, "last_id": last_id, "seq": seq, "docs": docs},
    )


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
