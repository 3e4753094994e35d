"""The one writer of the index.

Tantivy allows one IndexWriter per index directory (a lock file, released by the kernel if the process
dies). `Indexer.open` takes it or raises `NotIndexer`; a process that gets `NotIndexer` serves reads with a
`Reader` and reloads, and may try again later (when the indexer's process exits, its lock goes with it).

Durability: `commit(seq)` commits Tantivy (segments fsynced, then its meta.json atomically replaced), and
only then records `seq` in the sidecar. A crash at any point leaves a sidecar whose seq is durable; changes
after it may or may not be in the index, and re-applying them is idempotent because `upsert` deletes the
article's id before adding its new document (a Tantivy delete removes every document with that id added
before it, committed or not, and none added after it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import Connection
from tantivy import Query as TQ

from . import layout
from . import schema as s
from .documents import ArticleDoc, to_json_all
from .repository import documents_for

HEAP_BYTES = 128_000_000

# Encodes documents elsewhere (the server's preparing processes): their JSON, in order, or None when it
# cannot (no pool running, or it was shut down): then this process encodes them.
Encoder = Callable[[list[ArticleDoc]], "list[str] | None"]


class NotIndexer(RuntimeError):
    """Another process (or object) holds the index writer: act as a reader."""


class Indexer:
    def __init__(self, root: Path, gen: Path, heap_bytes: int, threads: int) -> None:
        self.root = root
        self._heap = heap_bytes
        self._threads = threads
        self.encoder: Encoder | None = None
        self._attach(gen)

    def _attach(self, gen: Path) -> None:
        self.gen = gen
        self._index = s.open_index(gen)
        try:
            self._writer = self._index.writer(self._heap, self._threads)
        except ValueError as exc:
            if "LockBusy" in str(exc) or "lock" in str(exc).lower():
                raise NotIndexer(f"Another process is indexing {self.root}.") from exc
            raise
        meta = layout.read_meta(gen)
        self.meta = meta or layout.IndexMeta.now(seq=0, docs=0, generation=layout.generation_number(gen))
        self.pending = 0  # operations since the last commit

    @classmethod
    def open(
        cls, index_dir: str | os.PathLike[str], *, heap_bytes: int = HEAP_BYTES, threads: int = 1
    ) -> Indexer:
        """Become the indexer of the current generation (creating an empty index if there is none), or
        raise NotIndexer."""
        root = Path(index_dir)
        return cls(root, layout.ensure_current(root), heap_bytes, threads)

    @classmethod
    def try_open(cls, index_dir: str | os.PathLike[str], **kw: int) -> Indexer | None:
        try:
            return cls.open(index_dir, **kw)
        except NotIndexer:
            return None

    @property
    def seq(self) -> int:
        """The last change durably applied: where to resume the change log from."""
        return self.meta.seq

    def upsert(self, docs: Iterable[ArticleDoc]) -> int:
        """Replace these articles' documents (add those not indexed yet)."""
        latest = {doc.id: doc for doc in docs}  # one version per id: the last given
        if not latest:
            return 0
        self._delete_ids(latest)
        docs = list(latest.values())
        # A document's JSON (its title's and body's word pairs made in Python, ~60-90 µs an article) was
        # the most of the indexer's time under a bulk ingest, on the GIL of the worker that stores.
        encoded = self.encoder(docs) if self.encoder is not None else None
        for json_doc in encoded if encoded is not None else to_json_all(docs):
            self._writer.add_json(json_doc)
        self.pending += len(latest)
        return len(latest)

    def delete(self, ids: Iterable[int]) -> int:
        wanted = {int(i) for i in ids}
        if wanted:
            self._delete_ids(wanted)
        self.pending += len(wanted)
        return len(wanted)

    def _delete_ids(self, ids: Iterable[int]) -> None:
        # One delete operation for the batch. Not delete_documents_by_term: the bindings (0.27) build its
        # term from a Python int as i64, which never equals a u64 field's term, so it deletes nothing.
        self._writer.delete_documents_by_query(TQ.term_set_query(s.schema(), s.ID, sorted(ids)))

    def refresh(self, conn: Connection, ids: Iterable[int], seq: int = 0) -> tuple[int, int]:
        """Re-read these articles from SQL: upsert those that exist, delete the others. Returns
        (upserted, deleted)."""
        wanted = set(ids)
        docs = documents_for(conn, wanted)
        for doc in docs:
            doc.seq = seq
        gone = wanted - {d.id for d in docs}
        return self.upsert(docs), self.delete(sorted(gone))

    def commit(self, seq: int) -> int:
        """Make everything since the last commit durable and record `seq` as applied. Returns the seq the
        index now stands at: `seq`, or — when a rebuild has switched generations meanwhile — the new
        generation's seq, with this batch dropped; the caller re-applies the change log from there."""
        if layout.current(self.root) != self.gen:
            return self._switch()
        self._writer.commit()
        self._index.reload()
        docs = self._index.searcher().num_docs
        self.meta = layout.IndexMeta.now(seq=seq, docs=docs, generation=self.meta.generation)
        layout.write_meta(self.gen, self.meta)
        self.pending = 0
        return seq

    def _switch(self) -> int:
        try:
            self._writer.rollback()
            self._close_writer()
        except (OSError, ValueError, RuntimeError):
            # Two switches in a row may have removed this generation's directory: nothing to keep.
            self._writer = None  # type: ignore[assignment]
        self._attach(layout.ensure_current(self.root))
        return self.seq

    def rollback(self) -> None:
        self._writer.rollback()
        self.pending = 0

    def _close_writer(self) -> None:
        writer = getattr(self, "_writer", None)
        if writer is not None:
            # Waiting for merges consumes the writer, which releases the lock file.
            writer.wait_merging_threads()
            self._writer = None  # type: ignore[assignment]

    def close(self) -> None:
        """Release the writer (uncommitted operations are dropped)."""
        if getattr(self, "_writer", None) is not None:
            self._writer.rollback()
            self._close_writer()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
