"""A child process for the crash tests: it applies a deterministic change log to an index, committing every
BATCH changes, and prints each committed seq. `python -m tests.search.engine.indexer_child DIR MODE`.

MODE `run`: resume from the index's recorded seq and go on until killed. MODE `hold`: take the writer,
print "holding" and wait for a line on stdin (a second process tries to index meanwhile)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from app.search.engine import ArticleDoc, Indexer

BATCH = 5
IDS = 40


def change(i: int) -> tuple[str, int]:
    """Change number i (from 1): which article, and whether it is deleted or (re)written."""
    article_id = (i * 7) % IDS + 1
    return ("delete" if i % 9 == 0 else "upsert", article_id)


def doc(i: int, article_id: int) -> ArticleDoc:
    return ArticleDoc(
        id=article_id,
        title=f"Version {i} of article {article_id}",
        body=f"Body text number {i} about sanctions and talks.",
        source="crash.example",
        language="en",
        published_at=datetime(2024, 1, 1) + timedelta(minutes=i),
        actor_ids=[article_id % 5 + 1],
        seq=i,
    )


def apply(indexer: Indexer, first: int, last: int) -> None:
    for i in range(first, last + 1):
        kind, article_id = change(i)
        if kind == "delete":
            indexer.delete([article_id])
        else:
            indexer.upsert([doc(i, article_id)])


def expected(upto: int) -> dict[int, int]:
    """{article id: seq of its live version} after changes 1..upto."""
    state: dict[int, int] = {}
    for i in range(1, upto + 1):
        kind, article_id = change(i)
        if kind == "delete":
            state.pop(article_id, None)
        else:
            state[article_id] = i
    return state


def main() -> None:
    index_dir, mode = sys.argv[1], sys.argv[2]
    indexer = Indexer.open(index_dir, heap_bytes=15_000_000)
    if mode == "hold":
        print("holding", flush=True)
        sys.stdin.readline()
        indexer.close()
        return
    seq = indexer.seq
    print(f"start {seq}", flush=True)
    while True:
        apply(indexer, seq + 1, seq + BATCH)
        seq = indexer.commit(seq + BATCH)
        print(f"committed {seq}", flush=True)


if __name__ == "__main__":
    main()
