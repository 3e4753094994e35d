"""Comparing an arriving article's story sketch with its candidates: in one pass of numpy
(`Sketch.similarity_array` + `_scores`) against one by one in Python (`Sketch.similarity` + `_scores_few`),
by the number of candidates. Where the lines cross sets `storysig.FEW`.

    python bench/stories_match.py

Random full sketches (K hashes); wall time per article on this thread, best of 3 rounds.
"""

from __future__ import annotations

import random
import struct
import sys
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

import numpy as np  # noqa: E402

from app.ingestion.storysig import FEW, K, Sketch, unpack  # noqa: E402
from app.stories.service import _scores, _scores_few  # noqa: E402


def main() -> None:
    rng = random.Random(1)

    def some() -> tuple[int, ...]:
        return tuple(sorted(rng.sample(range(2**32), K)))

    mine = Sketch(some())
    print(f"FEW = {FEW}\n\n| candidates | numpy µs | one by one µs |\n| ---: | ---: | ---: |")
    for n in (1, 3, 10, 20, 30, 40, 80, 200):
        blobs = [struct.pack(f">{K}I", *some()) for _ in range(n)]
        stories = [rng.randrange(max(1, n // 3)) for _ in range(n)]
        rounds = max(20, 4000 // n)

        def numpy_way(stories: list[int] = stories, blobs: list[bytes] = blobs) -> None:
            _scores(np.fromiter(stories, dtype=np.int64, count=len(stories)), mine.similarity_array(blobs))

        def one_by_one(stories: list[int] = stories, blobs: list[bytes] = blobs) -> None:
            _scores_few(stories, [mine.similarity(unpack(b)) for b in blobs])

        best = {}
        for name, f in (("numpy", numpy_way), ("python", one_by_one)):
            times = []
            for _ in range(3):
                t = time.perf_counter()
                for _ in range(rounds):
                    f()
                times.append((time.perf_counter() - t) / rounds * 1e6)
            best[name] = min(times)
        print(f"| {n} | {best['numpy']:.0f} | {best['python']:.0f} |")


if __name__ == "__main__":
    main()
