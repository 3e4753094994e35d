"""Where a request's or a stored article's time goes: wall time around named functions, in process.

When the machine's steal and page cache make wrk figures move, the split of one request between its
steps is still readable. Each named function (`module:function` or `module:Class.method`) is wrapped with
a timer; the totals are printed per request or per stored article.

    # a depth-2 network of bench/http.py's workload, served in process by uvicorn (sequential requests)
    python bench/steps.py serve --requests 600 bench/data/1m.db network \\
        app.graph.service:network app.graph.repository:co_mentions app.graph.repository:relation_ends \\
        app.search.engine.reader:Reader.co_mentions app.actors.repository:briefs app.graph.service:_grow

    # `geonews ingest` of generated articles into a fresh seeded SQLite file (or, --into, a copy of one)
    python bench/steps.py ingest --articles 6000 app.articles.service:store app.stories.service:assign \\
        app.stories.repository:candidates app.articles.repository:insert_new

    # the facets of bench/http.py's facets_q over the common words, in the engine alone (CPU, best of 3)
    python bench/steps.py facets bench/data/1m.db

Options go before the positional arguments. Times include what the wrapped function waits for (a
thread hop, the disk); nested functions are counted in each of their callers too. `--clock cpu` times
each step by its thread's CPU time instead: what to compare two versions with on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib
import json
import os
import socket
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

SECONDS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)
# What a step is timed with: wall time (what it waits for included), or with `--clock cpu` the CPU time of
# the thread that runs it (SQLite's work included: it runs in the caller's thread), which other processes
# on a shared machine do not inflate.
CLOCK: list[Callable[[], float]] = [time.perf_counter]


@contextlib.contextmanager
def _timed(key: str) -> Any:
    clock = CLOCK[0]
    started = clock()
    try:
        yield
    finally:
        SECONDS[key] += clock() - started
        CALLS[key] += 1


def wrap(spec: str) -> None:
    """Replace `module:function` (or `module:Class.method`) by a timed wrapper, where it is defined. A
    module that imported the function by name (`from x import f`) keeps the unwrapped one: name the
    function in the module that calls it (`app.articles.service:keyset_page`)."""
    module_name, name = spec.rsplit(":", 1)
    owner: Any = importlib.import_module(module_name)
    *classes, attr = name.split(".")
    for cls in classes:
        owner = getattr(owner, cls)
    fn = getattr(owner, attr)
    key = f"{module_name.rsplit('.', 1)[-1]}.{name}"

    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*args: Any, **kw: Any) -> Any:
            with _timed(key):
                return await fn(*args, **kw)

        setattr(owner, attr, timed_async)
    else:

        @functools.wraps(fn)
        def timed(*args: Any, **kw: Any) -> Any:
            with _timed(key):
                return fn(*args, **kw)

        setattr(owner, attr, timed)


def report(per: int, unit: str, scale: float = 1000.0, label: str = "ms") -> None:
    for key in sorted(SECONDS, key=lambda k: -SECONDS[k]):
        print(f"  {key:48} {SECONDS[key] * scale / per:9.2f} {label}/{unit}  ({CALLS[key]:,} calls)")


def _workload_paths(db: Path, name: str) -> list[str]:
    from bench.cpu import _http_module

    http = _http_module()
    found = [w for w in http.build_workloads(http.introspect(db), db.stem, True) if w.name == name]
    if not found or not found[0].geonews:
        sys.exit(f"no geonews workload {name!r} in bench/http.py")
    return list(found[0].geonews)


@contextlib.contextmanager
def served(db: Path) -> Any:
    """An httpx client of geonews serving `db` in this process: one uvicorn worker in a thread, as
    `geonews serve` runs it (also bench/tails.py)."""
    import httpx
    import uvicorn

    from app.config import Settings
    from app.main import create_app

    settings = Settings(
        database_url=f"sqlite:///{db.resolve()}",
        dev_mode=True,
        rate_limit_enabled=False,
        log_level="warning",
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(settings), http="app.server:GuardedHttpToolsProtocol", log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=120) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)


def serve(args: argparse.Namespace) -> None:
    for spec in args.functions:
        wrap(spec)
    paths = _workload_paths(args.db, args.workload)
    with served(args.db) as client:
        for path in paths[:20]:  # warm-up, not counted
            client.get(path)
        SECONDS.clear()
        CALLS.clear()
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(args.requests):
            r = client.get(paths[i % len(paths)])
            if r.status_code != 200:
                sys.exit(f"{paths[i % len(paths)]} answered {r.status_code}")
        wall = (time.perf_counter() - started) * 1000 / args.requests
        cpu_ms = (time.process_time() - cpu) * 1000 / args.requests
    print(
        f"{args.workload}: {args.requests} requests, {wall:.2f} ms wall and {cpu_ms:.2f} ms CPU each (client included)"
    )
    report(args.requests, "request")


def ingest(args: argparse.Namespace) -> None:
    from bench.ingest import fresh_database, write_ndjson

    with tempfile.TemporaryDirectory(prefix="geonews-steps-", dir=args.tmp) as tmp:
        if args.into is not None:
            from bench.common import copy_sqlite

            url = copy_sqlite(args.into, Path(tmp) / args.into.name, args.stories)
        else:
            url = fresh_database(f"sqlite:///{tmp}/steps.db")
        ndjson = Path(tmp) / "articles.ndjson"
        write_ndjson(ndjson, args.articles, db_url=url, live_days=args.live_days)
        os.environ["GEONEWS_DATABASE_URL"] = url
        os.environ.setdefault("GEONEWS_LOG_LEVEL", "warning")
        for spec in args.functions:
            wrap(spec)
        from app.cli import app

        sys.argv = ["geonews", "ingest", str(ndjson), "--batch", str(args.batch)]
        started = time.perf_counter()
        with contextlib.suppress(SystemExit):  # typer's exit at the end
            app(standalone_mode=False)
        wall = time.perf_counter() - started
    print(
        f"ingest: {args.articles} articles in {wall:.1f} s ({args.articles / wall:.0f}/s, start-up included)"
    )
    report(args.articles, "article", scale=1e6, label="µs")


def facets(args: argparse.Namespace) -> None:
    from app.config import Settings
    from app.search.engine.reader import Reader
    from app.search.index import index_dir
    from app.search.query import parse

    manifest = args.db.with_name(args.db.name + ".manifest.json")
    words = json.loads(manifest.read_text())["search_terms"]["common"] if not args.words else args.words
    reader = Reader(index_dir(Settings(database_url=f"sqlite:///{args.db.resolve()}")))

    def best_ms(fn: Callable[[], Any]) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            fn()
            best = min(best, time.process_time() - started)
        return best * 1000

    print("word           matches   all three   actor  source  language   count   (ms of CPU, best of 3)")
    for word in words[: args.limit]:
        q = parse(word)
        cells = [best_ms(functools.partial(reader.facets, q, None, names)) for names in
                 (["source", "actor", "language"], ["actor"], ["source"], ["language"])]  # fmt: skip
        cells.append(best_ms(functools.partial(reader.count, q)))
        print(f"{word:14} {reader.count(q):8,} " + " ".join(f"{c:9.1f}" for c in cells))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="time functions while one bench/http.py workload is served")
    s.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    s.add_argument("workload", help="a workload name of bench/http.py, e.g. network, facets_q")
    s.add_argument("functions", nargs="*", help="module:function or module:Class.method")
    s.add_argument("--requests", type=int, default=300)
    s.set_defaults(run=serve)
    i = sub.add_parser("ingest", help="time functions while `geonews ingest` stores generated articles")
    i.add_argument("functions", nargs="*", help="module:function or module:Class.method")
    i.add_argument("--articles", type=int, default=6000)
    i.add_argument("--batch", type=int, default=500)
    i.add_argument("--into", type=Path, help="ingest into a copy of this SQLite file (and its index), e.g. "
                   "bench/data/1M.db, instead of a fresh seeded database")  # fmt: skip
    i.add_argument("--tmp", help="directory for the copy or the fresh database (default: the system's)")
    i.add_argument("--stories", action="store_true", help="with --into: each article of the copy that is in "
                   "no story gets one of its own first")  # fmt: skip
    i.add_argument("--live-days", type=float, default=0, help="date the articles within the corpus's last D "
                   "days, oldest first, as a live feed (default: five years, random order)")  # fmt: skip
    i.set_defaults(run=ingest)
    f = sub.add_parser("facets", help="the engine's facets over the corpus's common words")
    f.add_argument("db", type=Path, help="a SQLite file made by bench/generate.py (its index built)")
    f.add_argument("words", nargs="*", help="words to facet over (default: the corpus's common words)")
    f.add_argument("--limit", type=int, default=12, help="at most this many words")
    f.set_defaults(run=facets)
    for sp in (s, i):
        sp.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="time steps by wall time "
                        "(default) or by the CPU time of the thread running them")  # fmt: skip
    args = p.parse_args(argv)
    if getattr(args, "clock", "wall") == "cpu":
        CLOCK[0] = time.thread_time
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
