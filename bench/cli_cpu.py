"""The CPU a `geonews ingest` run costs an article, in all and in its storing thread: what to compare two
versions with on a noisy machine, where the articles/s of bench/ingest.py move by ±20 % on unchanged code.

    python bench/cli_cpu.py                       # 16,000 generated articles into a fresh seeded SQLite file
    python bench/cli_cpu.py --articles 8000 --runs 3
    python bench/cli_cpu.py --code /tmp/base      # another checkout's code (a git worktree)

The articles are bench/ingest.py's (the generator's, no `language`: it is detected), written once; each run
copies the freshly seeded database and ingests them with batches of 500. "all processes" is the CPU the
command and its preparing processes used (os.wait4's resource usage, which counts the children the command
waited for); "storing thread" is the command's main thread (it stores; /proc sampled until it exits); the
rate is the command's own clock ("N records in S s"). Start-up (imports, the linkers built in each
process) is in the CPU figures: compare runs of the same size. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import ROOT, tool  # noqa: E402
from bench.ingest import fresh_database, write_ndjson  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _thread_cpu(pid: int) -> float | None:
    """utime + stime of the process's main thread, in seconds (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat, after pid and comm


def run(code: Path, db: Path, seeded: Path, ndjson: Path, articles: int) -> dict[str, float]:
    shutil.copy(seeded, db)
    log = db.with_suffix(".log")
    env = dict(
        os.environ, GEONEWS_DATABASE_URL=f"sqlite:///{db}", GEONEWS_DEV_MODE="true", PYTHONPATH=str(code)
    )
    with log.open("w") as logf:  # a file, not a pipe: a full pipe would stall the command
        proc = subprocess.Popen(
            [tool("geonews"), "ingest", str(ndjson), "--batch", "500"],
            cwd=code,
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
    storing = 0.0
    while True:  # the main thread's CPU, read until the process ends; then its (and its children's) usage
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        cpu = _thread_cpu(proc.pid)
        storing = cpu if cpu is not None else storing
        time.sleep(0.05)
    out = log.read_text()
    code_ = os.waitstatus_to_exitcode(status)
    proc.returncode = code_  # reaped here: Popen must not wait for it again
    if code_ != 0:
        raise SystemExit(f"geonews ingest failed ({code_}):\n{out[-2000:]}")
    m = re.search(r"(\d+) records in ([\d.]+) s", out)
    rate = int(m.group(1)) / float(m.group(2)) if m else float("nan")
    cpu_all = usage.ru_utime + usage.ru_stime
    return {"all": cpu_all / articles * 1e6, "storing": storing / articles * 1e6, "rate": rate}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=16000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument(
        "--code", type=Path, default=ROOT, help="the checkout whose app/ runs (default: this one)"
    )
    args = ap.parse_args()
    code = args.code.resolve()
    with tempfile.TemporaryDirectory(prefix="geonews-cli-cpu-") as tmp:
        seeded = Path(tmp) / "seeded.db"
        url = fresh_database(f"sqlite:///{seeded}")
        ndjson = Path(tmp) / "articles.ndjson"
        write_ndjson(ndjson, args.articles, db_url=url)
        print(f"## `geonews ingest` of {args.articles:,} generated articles, code at {code}\n")
        print("| run | all processes, µs CPU an article | storing thread, µs | articles/s (own clock) |")
        print("| ---: | ---: | ---: | ---: |")
        for k in range(args.runs):
            r = run(code, Path(tmp) / "run.db", seeded, ndjson, args.articles)
            print(f"| {k + 1} | {r['all']:,.0f} | {r['storing']:,.0f} | {r['rate']:,.0f} |")


if __name__ == "__main__":
    main()
