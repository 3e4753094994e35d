"""The writer: one indexer at a time (across processes), commits that record the applied change seq, crash
safety under kill -9, refresh from SQL, readers that follow commits and generation switches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import tantivy
from sqlalchemy import delete, update

from app.models import Article
from app.search.engine import Indexer, NotIndexer, Reader, rebuild
from app.search.engine import schema as s
from app.search.query import parse
from tests.search.engine import indexer_child as child

ROOT = Path(__file__).resolve().parents[3]


def spawn(index_dir: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.search.engine.indexer_child", str(index_dir), mode],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def index_state(index_dir: Path) -> tuple[dict[int, int], int]:
    """({id: seq} of the committed documents, number of documents) — read straight from Tantivy."""
    reader = Reader(index_dir)
    searcher = reader.searcher()
    res = searcher.search(tantivy.Query.all_query(), 10_000, count=True)
    addrs = [a for _, a in res.hits]
    ids = searcher.fast_field_values(s.ID, addrs)
    seqs = searcher.fast_field_values(s.SEQ, addrs)
    return dict(zip(ids, seqs, strict=True)), searcher.num_docs


def test_second_indexer_is_refused_in_process(tmp_path):
    first = Indexer.open(tmp_path)
    with pytest.raises(NotIndexer):
        Indexer.open(tmp_path)
    assert Indexer.try_open(tmp_path) is None
    first.close()
    again = Indexer.open(tmp_path)  # the lock went with the first writer
    again.close()


def test_second_indexer_is_refused_across_processes(tmp_path):
    proc = spawn(tmp_path, "hold")
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding", proc.stderr
        with pytest.raises(NotIndexer):
            Indexer.open(tmp_path)
        # Not the indexer: still a working reader of what the other process commits.
        reader = Reader(tmp_path)
        assert reader.num_docs == 0 and reader.seq == 0
    finally:
        proc.communicate("go\n", timeout=30)
    assert proc.returncode == 0
    Indexer.open(tmp_path).close()


def test_commit_records_seq_and_readers_follow(tmp_path):
    ix = Indexer.open(tmp_path)
    reader = Reader(tmp_path)
    assert reader.reload() is False  # nothing changed: no work
    child.apply(ix, 1, 8)
    assert ix.commit(8) == 8
    assert ix.seq == 8 and ix.pending == 0
    assert reader.search(parse("sanctions"), limit=1).hits == []  # not reloaded yet
    assert reader.reload() is True
    assert reader.seq == 8
    assert index_state(tmp_path)[0] == child.expected(8)
    hits = reader.search(parse("version"), sort="-published_at", limit=50).hits
    assert sorted(h.id for h in hits) == sorted(child.expected(8))
    # Re-applying changes already applied changes nothing (delete by id, then add).
    child.apply(ix, 1, 8)
    ix.commit(8)
    state, n = index_state(tmp_path)
    assert state == child.expected(8) and n == len(state)
    ix.close()
    assert Indexer.open(tmp_path).seq == 8


def test_kill_9_mid_commit_loses_nothing(tmp_path):
    """Kill the indexer at arbitrary moments while it commits every 5 changes; after each restart the
    recorded seq is durable, the index holds exactly the changes up to it (or up to the batch that was
    committing, which Tantivy may have finished), and re-applying from it converges."""
    last_printed = 0
    for round_ in range(3):
        proc = spawn(tmp_path, "run")
        assert proc.stdout is not None
        start = int(proc.stdout.readline().split()[1])
        assert start >= last_printed
        target = start + 10 + 5 * round_
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "child died"
            last_printed = int(line.split()[1])
            if last_printed >= target:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        ix = Indexer.open(tmp_path, heap_bytes=15_000_000)  # the dead child's lock is gone
        recorded = ix.seq
        assert recorded >= last_printed
        state, n = index_state(tmp_path)
        assert n == len(state)  # no id twice
        assert state in (child.expected(recorded), child.expected(recorded + child.BATCH))
        ix.close()
    ix = Indexer.open(tmp_path, heap_bytes=15_000_000)
    end = ix.seq + 3 * child.BATCH
    child.apply(ix, ix.seq + 1, end)
    ix.commit(end)
    state, n = index_state(tmp_path)
    assert state == child.expected(end) and n == len(state)
    ix.close()


def test_refresh_reads_sql_and_deletes_missing(settings, tmp_path):
    from app.db import make_sync_engine
    from tests.search.engine.corpus import build

    engine = make_sync_engine(settings)
    try:
        built = build(engine, n=60)
        rebuild(engine, tmp_path, seq=3, progress=False, heap_bytes=20_000_000, threads=1)
        reader = Reader(tmp_path)
        assert reader.seq == 3 and reader.num_docs == len(built.ids)
        changed, removed = built.ids[5], built.ids[6]
        with engine.begin() as conn:
            conn.execute(
                update(Article).where(Article.id == changed).values(title="Zanzibarian accord signed")
            )
            conn.execute(delete(Article).where(Article.id == removed))
        ix = Indexer.open(tmp_path)
        with engine.connect() as conn:
            assert ix.refresh(conn, [changed, removed], seq=4) == (1, 1)
        assert ix.commit(4) == 4
        reader.reload()
        assert reader.seq == 4
        assert [h.id for h in reader.search(parse("zanzibarian")).hits] == [changed]
        assert reader.count(None) == len(built.ids) - 1
        ix.close()
    finally:
        engine.dispose()


def test_commit_after_a_rebuild_switch_reports_the_new_seq(settings, tmp_path):
    from app.db import make_sync_engine

    engine = make_sync_engine(settings)
    try:
        rebuild(engine, tmp_path, seq=2, progress=False, heap_bytes=20_000_000, threads=1)
        reader = Reader(tmp_path)
        first_gen = reader.generation
        ix = Indexer.open(tmp_path)
        child.apply(ix, 1, 5)
        assert ix.commit(5) == 5
        rebuild(engine, tmp_path, seq=4, progress=False, heap_bytes=20_000_000, threads=1)
        child.apply(ix, 6, 10)
        # The generation moved under the indexer: this batch is dropped and the caller resumes from 4.
        assert ix.commit(10) == 4
        assert ix.gen != first_gen and ix.seq == 4
        child.apply(ix, 5, 10)
        assert ix.commit(10) == 10
        assert reader.reload() and reader.generation == ix.gen and reader.seq == 10
        assert first_gen is not None and first_gen.exists()  # kept for readers that have not switched yet
        ix.close()
    finally:
        engine.dispose()
