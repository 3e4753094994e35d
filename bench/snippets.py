"""The snippets of result pages: CPU a page of 20, and whether two versions mark the same words.

    python bench/snippets.py bench/data/1M.db                                  # this checkout
    git worktree add /tmp/before HEAD~1
    python bench/snippets.py bench/data/1M.db --src /tmp/before --src . --rounds 4

The pages are the best 20 hits (the index's relevance order) of the distinct texts of bench/http.py's
fts_rank workload and a few of the query syntax's harder cases (phrases, a prefix, OR, an exclusion,
non-ASCII), their titles and bodies read from the database once. Each --src runs them in a fresh
process (its `app` package first on the path), rounds alternating; per version the best round's thread
CPU (`snippets()` over every page, best of 5 within a round) in ms a page, and whether its snippets are
the first version's, string for string.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

EXTRA = ['"ceasefire talks"', '"Bosnia and Herzegovina"', "sanction*", "energy prices", "nuclear -iran",
         "U.S.", "Türkiye", "talks OR summit"]  # fmt: skip


def capture(db: Path, out: Path) -> None:
    import sqlite3

    from app.search.engine import Reader
    from app.search.query import parse
    from bench.steps import _workload_paths

    texts = [
        urllib.parse.parse_qs(urllib.parse.urlparse(p).query)["q"][0] for p in _workload_paths(db, "fts_rank")
    ]
    reader = Reader(db.resolve().with_name(db.name + ".index"))
    conn = sqlite3.connect(db)
    pages = []
    for q in dict.fromkeys(texts + EXTRA):
        ids = [h.id for h in reader.search(parse(q), None, sort="relevance", limit=20).hits]
        rows = (
            conn.execute(f"SELECT id, title, body FROM articles WHERE id IN ({','.join(map(str, ids))})")
            if ids
            else []
        )
        pages.append((q, {i: (t, b) for i, t, b in rows}))
    out.write_bytes(pickle.dumps(pages))


def run(pages_file: Path, out: Path, src: Path) -> None:
    """In a version's own process: its snippets of every page, and the best CPU of 5 passes."""
    import time

    sys.path.insert(0, str(src))  # before anything imports `app`: this version's
    import app
    from app.search.engine.snippets import snippets

    assert Path(app.__file__).resolve().is_relative_to(src), (app.__file__, src)
    from app.search.query import parse

    pages = pickle.loads(pages_file.read_bytes())
    made = [snippets(parse(q), texts) for q, texts in pages]  # also fills the stem caches
    best = float("inf")
    for _ in range(5):
        t = time.thread_time()
        for q, texts in pages:
            snippets(parse(q), texts)
        best = min(best, time.thread_time() - t)
    out.write_bytes(pickle.dumps((best / len(pages) * 1e3, made)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py, its index built")
    ap.add_argument("--src", action="append", type=Path, help="geonews source trees (default: this one)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--_run", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._run:
        run(*args._run)
        return 0
    srcs = args.src or [BENCH_DIR.parent]
    with tempfile.TemporaryDirectory() as tmp:
        pages = Path(tmp) / "pages.pkl"
        capture(args.db, pages)
        results: list[list[tuple[float, list[dict[int, str]]]]] = [[] for _ in srcs]
        for _ in range(args.rounds):
            for i, src in enumerate(srcs):
                out = Path(tmp) / f"out-{i}.pkl"
                argv = [sys.executable, str(BENCH_DIR / "snippets.py"), "x", "--_run", str(pages), str(out)]
                subprocess.run([*argv, str(src.resolve())], check=True, cwd=src)
                results[i].append(pickle.loads(out.read_bytes()))
        n = len(pickle.loads(pages.read_bytes()))
        print(f"## Snippets of {n} result pages of 20 ({args.db.name}), CPU ms a page\n")
        print("| version | best round | rounds | same snippets as the first |")
        print("| --- | ---: | --- | --- |")
        first = results[0][0][1]
        for src, runs in zip(srcs, results, strict=True):
            same = all(made == first for _, made in runs)
            rounds = ", ".join(f"{ms:.3f}" for ms, _ in runs)
            print(f"| {src} | {min(ms for ms, _ in runs):.3f} | {rounds} | {'yes' if same else 'NO'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
