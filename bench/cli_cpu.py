"""The CPU a `geonews ingest` run costs an article, in all and in its storing thread: what to compare two
versions with on a noisy machine, where the articles/s of bench/ingest.py move by ±20 % on unchanged code.

    python bench/cli_cpu.py                       # 16,000 generated articles into a fresh seeded SQLite file
    python bench/cli_cpu.py --articles 8000 --runs 3
    python bench/cli_cpu.py --code /tmp/base      # another checkout's code (a git worktree)
    python bench/cli_cpu.py --language en         # every article declares its language: none detected

The articles are bench/ingest.py's (the generator's, English, no `language` unless --language: it is
detected), written once; each run copies the freshly seeded database and ingests them with batches of
--batch (bench/ingest.py's `cli_ingest`).
"all processes" is the CPU the command and its preparing processes used (os.wait4's resource usage, which
counts the children the command waited for); "storing thread" is the command's main thread (it stores;
/proc sampled until it exits); the rate is the command's own clock ("N records in S s"). Start-up
(imports, the linkers built in each process) is in the CPU figures: compare runs of the same size. Linux
only (/proc).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import ROOT  # noqa: E402
from bench.ingest import cli_ingest, fresh_database, write_ndjson  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=16000)
    ap.add_argument(
        "--language",
        help="each article declares this language (e.g. en: no detection); default none declared",
    )
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument(
        "--batch", type=int, default=1000, help="--batch of geonews ingest (default 1000, its own)"
    )
    ap.add_argument(
        "--code", type=Path, default=ROOT, help="the checkout whose app/ runs (default: this one)"
    )
    ap.add_argument("--time-limit", type=float, default=600, help="seconds a run may take at most")
    args = ap.parse_args()
    code = args.code.resolve()
    with tempfile.TemporaryDirectory(prefix="geonews-cli-cpu-") as tmpdir:
        tmp = Path(tmpdir)
        seeded = tmp / "seeded.db"
        url = fresh_database(f"sqlite:///{seeded}")
        ndjson = tmp / "articles.ndjson"
        write_ndjson(ndjson, args.articles, language=args.language, db_url=url)
        print(
            f"## `geonews ingest` of {args.articles:,} generated articles, batches of {args.batch}, code at {code}\n"
        )
        print("| run | all processes, µs CPU an article | storing thread, µs | articles/s (own clock) |")
        print("| ---: | ---: | ---: | ---: |")
        for k in range(args.runs):
            shutil.copy(seeded, tmp / "run.db")
            r = cli_ingest(
                f"sqlite:///{tmp / 'run.db'}", ndjson, args.batch, args.time_limit, tmp / "run.log", code
            )
            if not r["complete"]:
                raise SystemExit(f"geonews ingest did not finish: {r.get('last_line')}")
            print(
                f"| {k + 1} | {r.get('cpu_us_per_article', 0):,} | {r.get('storing_thread_cpu_us_per_article', 0):,} "
                f"| {r.get('cli_reported_per_s', 0):,.0f} |"
            )


if __name__ == "__main__":
    main()
