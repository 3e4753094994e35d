"""The relevance planner's rules, each switched off in turn, on the same searches: engine CPU per search.

The searches are those that bench/http.py's workloads send to the search index (captured by serving
their paths once in process); each is then run in the engine alone, best of --repeat by process CPU, with
the planner as it is and with one of its rules undone:

- `rare text`: a text matching at most RARE_TEXT_SHARE of the index is intersected with filters other
  than member_of (without it: its best hits are post-filtered);
- `post-filter fetch`: the post-filter fetches POSTFILTER_FETCH times k of the text's best hits (without
  it: k, then the whole intersection when too few pass);
- `window columns`: a date window alone is read off the text's best hits by their dates (without it: the
  text is intersected with the window);
- `disjunction first`: the best few hits of a conjunction of common words, without filters or under
  filters on who is mentioned, sources and languages, are taken from the best hits of any of its words
  when those can tell (Reader._loose_top; without it: the conjunction's own search, or the post-filter;
  the title tier, asked at the same place, goes with it);
- `title tier`: the best few hits of a conjunction of plain words whose rarest is in few titles are looked
  for among the documents with every word in the title (Reader._title_tier; without it: the rules above);
- `all`: the five undone.

    python bench/plans.py bench/data/1M.db q_actor,q_member_of --paths 200
    python bench/plans.py bench/data/1M.db q_words,facets_q --paths 200

Prints per workload and variant the sum, p50, p99 and max of the searches' CPU (ms), and how many of the
pages differ from the current plan's beyond hits tied on score at the last place.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.steps import _workload_paths, served  # noqa: E402


@contextlib.contextmanager
def undone(rule: str | None) -> Iterator[None]:
    from app.search.engine import reader

    saved = (
        reader._rare_text,
        reader.POSTFILTER_FETCH,
        reader.LOOSE_MAX,
        reader._windowed,
        reader.TITLE_TIER_SHARE,
    )
    if rule in ("rare text", "all"):
        reader._rare_text = lambda *args: False  # type: ignore[assignment]
    if rule in ("post-filter fetch", "all"):
        reader.POSTFILTER_FETCH = 1  # fetch = k: one chunk
    if rule in ("window columns", "all"):
        reader._windowed = lambda *args: False  # type: ignore[assignment]
    if rule in ("disjunction first", "all"):
        reader.LOOSE_MAX = 0  # never: the conjunction's own search
    if rule in ("title tier", "all"):
        reader.TITLE_TIER_SHARE = -1.0  # never
    try:
        yield
    finally:
        (reader._rare_text, reader.POSTFILTER_FETCH, reader.LOOSE_MAX, reader._windowed,
         reader.TITLE_TIER_SHARE) = saved  # type: ignore[assignment]  # fmt: skip


def capture(db: Path, workloads: list[str], paths: int) -> dict[str, list[tuple[str, Any, Any, Any, dict]]]:
    """workload -> (path, reader, q, filters, keywords) of each relevance search its paths make."""
    from app.search.engine.reader import Reader

    found: dict[str, list[tuple[str, Any, Any, Any, dict]]] = {}
    plain = Reader.search
    current: list[Any] = [None, None]

    def spy(self: Any, q: Any, filters: Any = None, **kw: Any) -> Any:
        if kw.get("sort") == "relevance" and q is not None:
            found.setdefault(current[0], []).append((current[1], self, q, filters, dict(kw)))
        return plain(self, q, filters, **kw)

    Reader.search = spy  # type: ignore[method-assign]
    try:
        with served(db) as client:
            for name in workloads:
                for path in dict.fromkeys(_workload_paths(db, name)[:paths]):
                    current[:] = [name, path]
                    client.get(path)
    finally:
        Reader.search = plain  # type: ignore[method-assign]
    return found


def best_ms(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    p.add_argument("workloads", help="comma list of bench/http.py workload names (e.g. q_actor,q_member_of)")
    p.add_argument("--paths", type=int, default=200, help="paths per workload (default 200)")
    p.add_argument("--repeat", type=int, default=5, help="runs per search, the best kept (default 5)")
    args = p.parse_args(argv)
    from app.search.engine.reader import Reader

    variants = (
        None,
        "rare text",
        "post-filter fetch",
        "window columns",
        "disjunction first",
        "title tier",
        "all",
    )
    for name, searches in capture(args.db, args.workloads.split(","), args.paths).items():
        print(f"{name}: {len(searches)} searches (CPU ms: sum, p50, p99, max; pages differing)")
        pages: dict[str, list[Any]] = {}
        for rule in variants:  # warm-up: the first variant timed must not pay for cold pages
            with undone(rule):
                for _, reader, q, filters, kw in searches:
                    Reader.search(reader, q, filters, **kw)
        for rule in variants:
            label = "current planner" if rule is None else f"without {rule}"
            costs, differ = [], 0
            with undone(rule):
                for i, (_, reader, q, filters, kw) in enumerate(searches):
                    costs.append(best_ms(lambda: Reader.search(reader, q, filters, **kw), args.repeat))  # noqa: B023
                    hits = Reader.search(reader, q, filters, **kw).hits
                    page = [(h.id, round(h.score, 4)) for h in hits]
                    if rule is None:
                        pages[str(i)] = page
                    elif page[:-1] != pages[str(i)][:-1]:
                        differ += 1
            costs.sort()
            p50, p99 = costs[len(costs) // 2], costs[min(len(costs) - 1, int(len(costs) * 0.99))]
            print(f"  {label:26} {sum(costs):8.1f} {p50:7.2f} {p99:7.2f} {costs[-1]:7.2f}   {differ}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
