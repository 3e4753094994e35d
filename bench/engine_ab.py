"""Engine CPU of two (or more) versions on the same searches: the relevance searches that bench/http.py's
workloads send to the search index, captured once by serving their paths in process, then run in the
engine alone by each --src in turn (a fresh process each, alternating --rounds times; per search the best
of --repeat by process CPU, and the best over the rounds). Prints per workload the sum, p50, p90, p99 and
max (ms) for each version, the searches that moved most, and how many pages differ from the first
version's beyond the last place (hits tied on score at the cut may differ between plans).

    git worktree add /tmp/before HEAD~1
    python bench/engine_ab.py bench/data/1M.db q_member_of,q_actor,q_window --src /tmp/before --src .
    # versions whose index schemas differ: each reads its own index of the same corpus
    python bench/engine_ab.py bench/data/1M.db q_words --src /tmp/before --src-index /tmp/old.index \
        --src . --src-index bench/data/1M.db.index

On a machine whose speed drifts, alternating rounds spread the drift over both versions; a workload whose
plan did not change shows the noise that is left.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))


def capture(db: Path, workloads: list[str], paths: int, out: Path) -> None:
    from bench.plans import capture as captured

    found = captured(db, workloads, paths)
    with out.open("wb") as f:
        pickle.dump({w: [(p, q, flt, kw) for p, _, q, flt, kw in s] for w, s in found.items()}, f)


def run(searches: Path, index: Path, repeat: int, out: Path) -> None:
    """In a process whose `app` comes from the --src under test: time every captured search."""
    import app
    from app.search.engine.reader import Reader

    print(f"engine from {Path(app.__file__).parent}", file=sys.stderr)
    with searches.open("rb") as f:
        found = pickle.load(f)
    reader = Reader(index)
    result: dict[str, list[tuple[str, float, list[int]]]] = {}
    for name, items in found.items():
        for _, q, flt, kw in items:  # warm: the pages this workload touches
            reader.search(q, flt, **kw)
        rows = []
        for path, q, flt, kw in items:
            best = float("inf")
            for _ in range(repeat):
                started = time.process_time()
                hits = reader.search(q, flt, **kw).hits
                best = min(best, time.process_time() - started)
            rows.append((path, best * 1000, [h.id for h in hits]))
        result[name] = rows
    out.write_text(json.dumps(result))


def quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    p.add_argument("workloads", help="comma list of bench/http.py workload names")
    p.add_argument("--src", action="append", type=Path, required=True, help="a geonews source tree (repeat)")
    p.add_argument("--paths", type=int, default=200, help="paths per workload (default 200)")
    p.add_argument("--rounds", type=int, default=3, help="alternating runs of each version (default 3)")
    p.add_argument("--repeat", type=int, default=3, help="runs of a search per round, the best kept")
    p.add_argument("--index", type=Path, help="the index directory (default: the database's)")
    p.add_argument("--src-index", action="append", type=Path, default=[], help="the index directory of each "
                   "--src in turn (a version with another schema), instead of --index")  # fmt: skip
    p.add_argument("--_run", nargs=3, metavar=("SEARCHES", "INDEX", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._run:
        run(Path(args._run[0]), Path(args._run[1]), args.repeat, Path(args._run[2]))
        return 0
    index = args.index or args.db.resolve().with_name(args.db.name + ".index")  # as app.search.index does
    if args.src_index and len(args.src_index) != len(args.src):
        p.error("give one --src-index for each --src")
    indexes = args.src_index or [index] * len(args.src)
    with tempfile.TemporaryDirectory() as tmp:
        searches = Path(tmp) / "searches.pkl"
        capture(args.db, args.workloads.split(","), args.paths, searches)
        best: list[dict[str, list[tuple[str, float, list[int]]]]] = [{} for _ in args.src]
        for _ in range(args.rounds):
            for i, src in enumerate(args.src):
                out = Path(tmp) / f"run-{i}.json"
                # bench.engine_ab puts this checkout first on sys.path when imported: `src` goes before it.
                code = (
                    f"import sys; sys.path.insert(0, {str(BENCH_DIR.parent)!r}); "
                    "from bench.engine_ab import main; "
                    f"sys.path.insert(0, {str(src.resolve())!r}); "
                    f"main([{str(args.db)!r}, '', '--src', '.', '--repeat', '{args.repeat}', "
                    f"'--_run', {str(searches)!r}, {str(indexes[i])!r}, {str(out)!r}])"
                )
                subprocess.run([sys.executable, "-c", code], check=True, cwd=src)
                for name, rows in json.loads(out.read_text()).items():
                    kept = best[i].get(name)
                    best[i][name] = (
                        rows
                        if kept is None
                        else [
                            (pa, min(c, kc), ids) for (pa, c, ids), (_, kc, _) in zip(rows, kept, strict=True)
                        ]
                    )
    first = best[0]
    for name in first:
        print(f"{name}: {len(first[name])} searches, engine CPU ms (sum, p50, p90, p99, max)")
        for src, runs in zip(args.src, best, strict=True):
            costs = sorted(c for _, c, _ in runs[name])
            differ = sum(
                1 for (_, _, a), (_, _, b) in zip(first[name], runs[name], strict=True) if a[:-1] != b[:-1]
            )
            print(
                f"  {str(src):24s} {sum(costs):9.1f} {quantile(costs, 0.5):7.2f} {quantile(costs, 0.9):7.2f} "
                f"{quantile(costs, 0.99):7.2f} {costs[-1]:7.2f}   pages differing from the first: {differ}"
            )
        if len(best) > 1:
            moved = sorted(
                ((b[1] - a[1], a[1], b[1], a[0]) for a, b in zip(first[name], best[-1][name], strict=True)),
                reverse=True,
            )
            for d, a, b, path in moved[:3] + moved[-3:]:
                print(f"    {d:+7.1f}  {a:6.1f} -> {b:6.1f}  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
