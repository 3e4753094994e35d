"""A quick check that the benchmark code still works (for CI, well under 20 s): generate 300 articles into a
temporary SQLite file, check the mentions' offsets, start geonews, send each read workload a few requests
and check for 200s, post one bulk batch, check the ceiling app and the wrk output parser, stop.

    python bench/smoke.py        # exit status 0 when everything answered as expected

No wrk and no Datasette needed. Workloads geonews does not offer yet are reported as skipped, not failed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

WRK_SAMPLE = """Running 10s test @ http://127.0.0.1:8000
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.01ms    2.10ms  41.20ms   80.00%
    Req/Sec     2.30k   210.00     2.80k    70.00%
  Latency Distribution
     50%    6.80ms
     75%    8.00ms
     90%    9.50ms
     99%   14.20ms
  45678 requests in 10.01s, 12.34MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   4563.21
Transfer/sec:      1.23MB
BENCH_JSON {"requests": 45678, "duration_us": 10010000, "bytes": 1, "p50_us": 6800, "p90_us": 9500, "p99_us": 14200, "max_us": 41200, "non_2xx_3xx": 3, "connect_errors": 0, "read_errors": 0, "write_errors": 0, "timeouts": 0}
"""


def main() -> int:
    import httpx

    from bench import generate
    from bench import http as bench_http
    from bench.common import geonews_server, parse_wrk, sqlite_url
    from bench.hello_asgi import app as hello
    from bench.hello_fastapi import app as hello_fastapi
    from bench.ingest import BULK, bulk_supported, create_key, write_ndjson

    started = time.perf_counter()
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    parsed = parse_wrk(WRK_SAMPLE)
    check(
        parsed["rps"] == 4563.21
        and parsed["p50_ms"] == 6.8
        and parsed["p99_ms"] == 14.2
        and parsed["non_2xx"] == 3,
        "wrk --latency output parses",
    )

    async def ceiling(app: Any) -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return (await c.get("/")).status_code

    check(asyncio.run(ceiling(hello)) == 200, "the ceiling ASGI app answers 200")
    check(asyncio.run(ceiling(hello_fastapi)) == 200, "the FastAPI hello world answers 200")

    with tempfile.TemporaryDirectory(prefix="geonews-smoke-") as tmp:
        db = Path(tmp) / "smoke.db"
        url = sqlite_url(db)
        rc = generate.main(["--articles", "300", "--db", url, "--batch", "100", "--workers", "1"])
        check(rc == 0, "generate.py made 300 articles")
        conn = sqlite3.connect(db)
        n = conn.execute("select count(*) from articles where source != 'seed'").fetchone()[0]
        bad = conn.execute(
            "select count(*) from mentions m join articles a on a.id = m.article_id "
            "where substr(a.body, m.start_offset + 1, m.end_offset - m.start_offset) != m.text"
        ).fetchone()[0]
        places, bad_places = conn.execute(
            "select count(*), sum(substr(a.body, p.start_offset + 1, p.end_offset - p.start_offset) != p.text) "
            "from article_places p join articles a on a.id = p.article_id where a.source != 'seed'"
        ).fetchone()
        per = conn.execute(
            "select min(c), max(c) from (select count(*) c from mentions m join articles a on a.id = m.article_id "
            "where a.source != 'seed' group by article_id)"
        ).fetchone()
        fk = conn.execute("pragma foreign_key_check").fetchall()
        idx = {r[0] for r in conn.execute("select name from sqlite_master where type = 'index'")}
        conn.close()
        check(n == 300, f"300 generated articles stored (found {n})")
        check(bad == 0, f"every mention's offsets point at its text ({bad} do not)")
        check(
            100 <= places <= 260 and bad_places == 0,
            f"datelines name a place in 100-260 of 300 articles (found {places}), at their offsets "
            f"({bad_places} not)",
        )
        check(per[0] >= 3 and per[1] <= 12, f"3-12 mentions per article (found {per[0]}-{per[1]})")
        check(not fk, "no dangling foreign keys")
        check("ix_mentions_actor_id_article_id" in idx, "indexes dropped for the load are back")

        info = bench_http.introspect(db)
        workloads = bench_http.build_workloads(info, db.stem, lean=True)
        srv = geonews_server(url, workers=1, log=Path(tmp) / "geonews.log")
        try:
            srv.start()
        except RuntimeError as exc:
            check(False, f"geonews starts: {exc}")
            print((Path(tmp) / "geonews.log").read_text()[-3000:], file=sys.stderr)
            return 1
        try:
            bench_http.detect(srv, workloads)
            with httpx.Client(base_url=srv.url, timeout=30) as client:
                for w in workloads:
                    if w.skipped:
                        print(f"skip  {w.name}: {w.skipped}")
                        continue
                    codes = [client.get(p).status_code for p in w.geonews[:5]]
                    check(all(c == 200 for c in codes), f"{w.name}: 5 requests answered {codes}")
            key = create_key(url)
            why = bulk_supported(srv.url, key)
            if why:
                print(f"skip  bulk ingestion: {why}")
            else:
                nd = Path(tmp) / "a.ndjson"
                write_ndjson(nd, 20, db_url=url)
                r = httpx.post(srv.url + BULK, content=nd.read_bytes(), timeout=60,
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"})  # fmt: skip
                created = r.json().get("created") if r.status_code == 200 else None
                check(
                    r.status_code == 200 and created == 20,
                    f"bulk ingestion of 20 articles: {r.status_code}, created {created}",
                )
            check(srv.rss()["total_mib"] > 0, "server memory is readable from /proc")
        finally:
            srv.stop()
    print(f"{'FAILED' if failures else 'passed'} in {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
