"""Ingestion benchmarks, in articles/s: HTTP bulk (POST /v1/articles/bulk, NDJSON batches of 1000) and the CLI
straight into the database (`geonews ingest FILE`), on SQLite and, with --pg, on PostgreSQL.

    python bench/ingest.py                          # 5,000 articles into fresh SQLite databases
    python bench/ingest.py --pg postgresql://postgres@127.0.0.1/postgres --articles 2000
    python bench/ingest.py --into bench/data/1M.db --stories   # into copies of the 1M corpus (SQLite)

Each measurement gets a fresh database, migrated and seeded through the app, so every article is new and goes
through the whole pipeline (cleaning, URL canonicalisation, duplicate detection, language detection — the
records carry no `language` — actor linking with offsets, full-text indexing). The records come from the
same generator as the read benchmarks, from a different seed. One client posts the batches one after
another, as an ingestion script would. --pg takes a server URL whose user may create databases: two
throw-away databases are created there and dropped afterwards. A run stops at --time-limit seconds and
reports the rate of what it did. Either path is skipped when geonews does not have it (the endpoint
answers 404/405; `geonews ingest --help` fails).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import OUT, ROOT, copy_sqlite, geonews_server, load_average, stat_cpu_s, tool  # noqa: E402

BULK = "/v1/articles/bulk"


# -- data -------------------------------------------------------------------------------------------------
def write_ndjson(
    path: Path,
    n: int,
    seed: int = 2,
    db_url: str | None = None,
    live_days: float = 0,
    language: str | None = None,
) -> int:
    """n generated articles as NDJSON records of the public API (no ids, no mentions: the server links).
    With `language` each declares it (the generator writes English), as a feed or a client that knows it
    does: the pipeline then detects none.

    By default their dates spread over the corpus's five years in random order: every article of a batch
    has a window of its own (the worst case of story assignment). With `live_days`, they are squeezed into
    the corpus's last `live_days` days and written oldest first, as a live feed or a backfill replayed day
    by day sends them."""
    from bench.corpus import END, SPAN_S, START, ActorInfo, Corpus, actor_surfaces

    actors = seed_actors(db_url)
    corpus = Corpus([ActorInfo(a["id"], a["slug"], a["kind"], actor_surfaces(a["name"], a["aliases"])) for a in actors],
                    n, seed=seed)  # fmt: skip
    records = []
    for art in corpus:
        published = art.published_at
        if live_days:
            offset = (published - START).total_seconds() / SPAN_S * live_days * 86400
            published = END - timedelta(days=live_days) + timedelta(seconds=int(offset))
        rec = {"url": art.url.replace("https://", "https://ingest.", 1), "title": art.title, "body": art.body,
               "published_at": published.isoformat() + "Z", "source": art.source}  # fmt: skip
        if art.tags:
            rec["tags"] = art.tags
        if language:
            rec["language"] = language
        records.append(rec)
    if live_days:
        records.sort(key=lambda r: r["published_at"])
    with path.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")
    return n


def seed_actors(db_url: str | None) -> list[dict[str, Any]]:
    """The actors (names and aliases) of a seeded database; without one, a temporary SQLite file is seeded."""
    from sqlalchemy import select

    from app.config import Settings
    from app.db import make_sync_engine
    from app.models import Actor, ActorAlias

    with tempfile.TemporaryDirectory() as tmp:
        url = db_url or fresh_database(f"sqlite:///{tmp}/actors.db")
        engine = make_sync_engine(Settings(database_url=url))
        try:
            with engine.connect() as conn:
                aliases: dict[int, list[str]] = {}
                for actor_id, alias in conn.execute(
                    select(ActorAlias.actor_id, ActorAlias.alias).where(
                        ActorAlias.kind.in_(("name", "abbreviation"))
                    )
                ):
                    aliases.setdefault(actor_id, []).append(alias)
                return [
                    {
                        "id": r.id,
                        "slug": r.slug,
                        "kind": r.kind,
                        "name": r.name,
                        "aliases": aliases.get(r.id, []),
                    }
                    for r in conn.execute(
                        select(Actor.id, Actor.slug, Actor.kind, Actor.name).order_by(Actor.id)
                    )
                ]
        finally:
            engine.dispose()


# -- databases --------------------------------------------------------------------------------------------
def fresh_database(url: str) -> str:
    """Create (or recreate) the database at url, migrate and seed it through the app; returns url."""
    from sqlalchemy.engine import make_url

    from app import migrate
    from app.config import Settings
    from app.db import make_sync_engine
    from app.seed.loader import seed

    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(u.database) + suffix).unlink(missing_ok=True)
        Path(str(u.database)).parent.mkdir(parents=True, exist_ok=True)
    else:
        with admin(url) as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
    settings = Settings(database_url=url)
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    try:
        seed(engine)
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def admin(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from app.config import sync_database_url

    engine = create_engine(
        make_url(sync_database_url(url)).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(u.database) + suffix).unlink(missing_ok=True)
        return
    with admin(url) as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')


def count_articles(url: str) -> int:
    from sqlalchemy import text

    from app.config import Settings
    from app.db import make_sync_engine

    engine = make_sync_engine(Settings(database_url=url))
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("select count(*) from articles")) or 0)
    finally:
        engine.dispose()


def create_key(url: str, scope: str = "write") -> str:
    proc = subprocess.run(
        [tool("geonews"), "keys", "create", "--scope", scope, "--name", "bench"],
        env={**os.environ, "GEONEWS_DATABASE_URL": url, "GEONEWS_LOG_LEVEL": "warning"},
        capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
    )  # fmt: skip
    return proc.stdout.strip().splitlines()[-1]


# -- the two paths ----------------------------------------------------------------------------------------
def bulk_supported(base: str, key: str) -> str | None:
    """None when POST /v1/articles/bulk exists, else why not."""
    import httpx

    r = httpx.post(base + BULK, content=b"", headers={"Authorization": f"Bearer {key}",
                                                     "Content-Type": "application/x-ndjson"}, timeout=30)  # fmt: skip
    if r.status_code in (404, 405):
        return f"POST {BULK} answered {r.status_code}: not in this geonews yet"
    return None


def pool_started(base: str, within: float) -> None:
    """Wait until the server's preparing processes are up (/readyz's ingest_pool), if it has any."""
    import httpx

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pool = httpx.get(f"{base}/readyz", timeout=10).json().get("ingest_pool") or {}
        if not pool.get("processes") or pool.get("started"):
            return
        time.sleep(0.1)


def post_batches(
    base: str, key: str, ndjson: Path, batch: int, time_limit: float, in_flight: int = 1
) -> dict[str, Any]:
    """POST the file in batches, `in_flight` requests at a time (1: one after another)."""
    import threading

    import httpx

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    lines = ndjson.read_bytes().splitlines(keepends=True)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    latencies: list[float] = []
    finished: list[float] = []  # when each answer came
    sent = 0
    starts = iter(range(0, len(lines), batch))
    lock = threading.Lock()
    errors: list[str] = []
    started = time.perf_counter()

    def sender() -> None:
        nonlocal sent
        with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
            while not errors and time.perf_counter() - started <= time_limit:
                with lock:
                    i = next(starts, None)
                if i is None:
                    return
                chunk = lines[i : i + batch]
                t = time.perf_counter()
                r = client.post(BULK, content=b"".join(chunk))
                with lock:
                    latencies.append(time.perf_counter() - t)
                    finished.append(time.perf_counter())
                    if r.status_code != 200:
                        errors.append(f"bulk batch {i // batch} answered {r.status_code}: {r.text[:300]}")
                        return
                    rep = r.json()
                    for k in ("created", "updated", "unchanged"):
                        counts[k] += int(rep.get(k, 0))
                    counts["failed"] += len(rep.get("failed", []))
                    sent += len(chunk)

    threads = [threading.Thread(target=sender) for _ in range(max(1, in_flight))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise RuntimeError(errors[0])
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "articles": sent,
        **counts,
        "seconds": round(elapsed, 2),
        "articles_per_s": round(sent / elapsed, 1) if elapsed else None,
        "batch": batch,
        "in_flight": in_flight,
        "batch_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "batch_max_s": round(latencies[-1], 3) if latencies else None,
        # The rate once warm: batches after the first two (their answers' times), as a long backfill runs.
        "steady_per_s": round(batch * (len(finished) - 2) / (finished[-1] - finished[1]), 1)
        if len(finished) > 3 and finished[-1] > finished[1]
        else None,
        "complete": sent == len(lines),
    }


def cli_supported() -> str | None:
    proc = subprocess.run(
        [tool("geonews"), "ingest", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return None if proc.returncode == 0 else "`geonews ingest` is not in this geonews yet"


def cli_ingest(
    url: str, ndjson: Path, batch: int, time_limit: float, log: Path, code: Path = ROOT
) -> dict[str, Any]:
    """`geonews ingest` of `ndjson` into `url` (`code`: the checkout whose app/ runs). Besides the rates,
    the CPU it cost an article: all its processes (os.wait4's usage counts the preparing processes it
    waited for) and its main thread, which stores (read off /proc until it exits; None elsewhere)."""
    before = count_articles(url)
    env = {**os.environ, "GEONEWS_DATABASE_URL": url, "GEONEWS_LOG_LEVEL": "warning", "PYTHONPATH": str(code)}
    started = time.perf_counter()
    storing: float | None = None
    with log.open("w") as logf:
        proc = subprocess.Popen([tool("geonews"), "ingest", str(ndjson), "--batch", str(batch)], env=env, cwd=code,
                                stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        while True:  # reaped here (not by Popen) to read its resource usage
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > time_limit:
                proc.terminate()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            storing = stat_cpu_s(Path(f"/proc/{proc.pid}/task/{proc.pid}/stat")) or storing
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        complete = proc.returncode == 0
    elapsed = time.perf_counter() - started
    stored = count_articles(url) - before
    out = {
        "articles": stored,
        "seconds": round(elapsed, 2),
        "articles_per_s": round(stored / elapsed, 1) if elapsed else None,
        "batch": batch,
        "complete": complete,
        "exit_code": proc.returncode,
        "includes_startup": True,
    }
    if stored:
        out["cpu_us_per_article"] = round((usage.ru_utime + usage.ru_stime) / stored * 1e6)
        if storing is not None:
            out["storing_thread_cpu_us_per_article"] = round(storing / stored * 1e6)
    text = log.read_text(errors="replace") if log.exists() else ""
    # The command's own figure, without interpreter start-up and the gazetteer build.
    m = re.search(r"(\d+) records in ([\d.]+) s", text)
    if m and float(m.group(2)) > 0:
        out["cli_reported_per_s"] = round(int(m.group(1)) / float(m.group(2)), 1)
    tail = text.strip().splitlines()[-1:]
    if tail:
        out["last_line"] = tail[0][:200]
    return out


# -- the run ----------------------------------------------------------------------------------------------
def engine_urls(args: argparse.Namespace, tmp: Path) -> list[tuple[str, str, str]]:
    """(engine, url for HTTP, url for CLI)"""
    out = [("sqlite", f"sqlite:///{tmp}/ingest-http.db", f"sqlite:///{tmp}/ingest-cli.db")]
    if args.pg:
        from sqlalchemy.engine import make_url

        base = make_url(args.pg)
        pid = os.getpid()
        out.append(
            ("postgresql", base.set(database=f"geonews_bench_ingest_http_{pid}").render_as_string(hide_password=False),
             base.set(database=f"geonews_bench_ingest_cli_{pid}").render_as_string(hide_password=False))
        )  # fmt: skip
    return out


def start_from(args: argparse.Namespace, url: str) -> None:
    """The database a measurement ingests into: fresh and seeded, or (--into) a copy of a large one."""
    if args.into is None:
        fresh_database(url)
        return
    from sqlalchemy.engine import make_url

    copy_sqlite(args.into, Path(str(make_url(url).database)), args.stories)


def run(args: argparse.Namespace) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    logs = OUT / "logs"
    logs.mkdir(exist_ok=True)
    results: dict[str, Any] = {"articles": args.articles, "batch": args.batch, "time_limit_s": args.time_limit,
                               "into": str(args.into) if args.into else None, "stories": args.stories,
                               "live_days": args.live_days,
                               "engines": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="geonews-ingest-", dir=args.tmp) as tmpdir:
        tmp = Path(tmpdir)
        ndjson = tmp / "articles.ndjson"
        write_ndjson(ndjson, args.articles, live_days=args.live_days)
        results["ndjson_bytes"] = ndjson.stat().st_size
        for engine, http_url, cli_url in engine_urls(args, tmp):
            res: dict[str, Any] = {}
            results["engines"][engine] = res
            print(f"{engine}:", flush=True)
            # HTTP bulk
            try:
                start_from(args, http_url)
                key = create_key(http_url)
                extra = (
                    {"GEONEWS_INGEST_PROCESSES": str(args.ingest_processes)}
                    if args.ingest_processes is not None
                    else None
                )
                srv = geonews_server(
                    http_url, workers=args.workers, log=logs / f"ingest-{engine}.log", extra_env=extra
                )
                with srv:
                    pool_started(srv.url, 120)
                    why = bulk_supported(srv.url, key)
                    if why:
                        res["http_bulk"] = {"skipped": why}
                    else:
                        res["http_bulk"] = post_batches(
                            srv.url, key, ndjson, args.batch, args.time_limit, args.in_flight
                        )
                        res["http_bulk"]["server_rss"] = srv.rss()
                        res["http_bulk"]["workers"] = args.workers
                        res["http_bulk"]["ingest_processes"] = args.ingest_processes
            except Exception as exc:  # a failure here must not hide the other figures
                res["http_bulk"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            finally:
                if engine == "postgresql":
                    drop_database(http_url)
            print(f"  http bulk: {summary(res['http_bulk'])}", flush=True)
            # CLI straight into the database
            try:
                why = cli_supported()
                if why:
                    res["cli"] = {"skipped": why}
                else:
                    start_from(args, cli_url)
                    res["cli"] = cli_ingest(
                        cli_url, ndjson, args.batch, args.time_limit, logs / f"ingest-cli-{engine}.log"
                    )
            except Exception as exc:
                res["cli"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            finally:
                if engine == "postgresql":
                    drop_database(cli_url)
            print(f"  cli:       {summary(res['cli'])}", flush=True)
    results["load_average_end"] = load_average()
    (OUT / f"{args.label}.json").write_text(json.dumps(results, indent=1) + "\n")
    md = markdown(results)
    (OUT / f"{args.label}.md").write_text(md)
    print()
    print(md)
    return results


def summary(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return "skipped: " + r["skipped"]
    if "error" in r:
        return "error: " + r["error"]
    return f"{r['articles']:,} articles in {r['seconds']} s = {r['articles_per_s']:,.0f} articles/s" + (
        "" if r.get("complete") else " (stopped at the time limit)"
    )


def markdown(r: dict[str, Any]) -> str:
    lines = [
        f"### Ingestion, {r['articles']:,} new articles (NDJSON, batches of {r['batch']})"
        + (
            f", into copies of {r['into']}" + (" (a story for each article)" if r.get("stories") else "")
            if r.get("into")
            else ""
        )
        + (f", dated within the last {r['live_days']:g} days, oldest first" if r.get("live_days") else ""),
        "",
        "| engine | path | articles/s | articles | seconds | notes |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for engine, res in r["engines"].items():
        for path, label in (
            ("http_bulk", "HTTP POST /v1/articles/bulk"),
            ("cli", "geonews ingest FILE (database)"),
        ):
            x = res.get(path, {})
            if "articles_per_s" in x:
                notes = []
                if not x.get("complete"):
                    notes.append("stopped at the time limit")
                if x.get("ingest_processes") is not None:
                    notes.append(f"GEONEWS_INGEST_PROCESSES={x['ingest_processes']}")
                if (x.get("in_flight") or 1) > 1:
                    notes.append(f"{x['in_flight']} requests in flight")
                if x.get("steady_per_s"):
                    notes.append(f"{x['steady_per_s']:,.0f}/s after the first two batches")
                if x.get("batch_p50_s") is not None:
                    notes.append(f"batch p50 {x['batch_p50_s']} s, max {x['batch_max_s']} s")
                if x.get("server_rss"):
                    notes.append(f"server RSS {x['server_rss']['total_mib']:.0f} MiB after")
                if x.get("includes_startup"):
                    notes.append("wall time of the command, start-up included")
                if x.get("cli_reported_per_s"):
                    notes.append(f"{x['cli_reported_per_s']:,.0f}/s by the command's own clock")
                if x.get("cpu_us_per_article"):
                    notes.append(f"{x['cpu_us_per_article']:,} µs of CPU an article (all its processes)")
                if x.get("created") is not None and x.get("created") != x.get("articles"):
                    notes.append(
                        f"created {x['created']}, unchanged {x.get('unchanged')}, failed {x.get('failed')}"
                    )
                lines.append(f"| {engine} | {label} | {x['articles_per_s']:,.0f} | {x['articles']:,} | {x['seconds']} "
                             f"| {'; '.join(notes)} |")  # fmt: skip
            else:
                lines.append(f"| {engine} | {label} | — | | | {x.get('skipped') or x.get('error', '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--articles", type=int, default=5000, help="articles to ingest per measurement (default 5000)"
    )
    p.add_argument(
        "--batch",
        type=int,
        default=1000,
        help="articles per request / CLI batch (default 1000, geonews ingest's)",
    )
    p.add_argument("--in-flight", type=int, default=1, help="HTTP bulk requests sent at a time by the one "
                   "client (default 1: each batch after the answer to the one before)")  # fmt: skip
    p.add_argument("--pg", help="PostgreSQL server URL whose user may create databases")
    p.add_argument("--into", type=Path, help="SQLite only: ingest into copies of this file (and its index), "
                   "e.g. bench/data/1M.db, instead of fresh seeded databases")  # fmt: skip
    p.add_argument("--stories", action="store_true", help="with --into: each article of the copies that is "
                   "in no story gets one of its own first (bench/common.py:copy_sqlite)")  # fmt: skip
    p.add_argument("--live-days", type=float, default=0, help="date the articles within the corpus's last "
                   "D days and send them oldest first, as a live feed (default: five years, random order)")  # fmt: skip
    p.add_argument("--workers", type=int, default=1, help="geonews workers for the HTTP path (default 1)")
    p.add_argument("--ingest-processes", type=int, default=None, help="GEONEWS_INGEST_PROCESSES of the "
                   "server: preparing processes per worker, started (and waited for) before the first "
                   "batch (default: the server's default, 0)")  # fmt: skip
    p.add_argument(
        "--time-limit", type=float, default=120, help="seconds per measurement at most (default 120)"
    )
    p.add_argument("--tmp", help="directory for the scratch databases (default: the system's temp dir)")
    p.add_argument("--label", default="ingest", help="name of the output files in bench/out (default ingest)")
    args = p.parse_args(argv)
    if args.into is not None and args.pg:
        p.error("--into copies a SQLite file: not with --pg")
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
