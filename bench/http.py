"""HTTP read benchmarks: geonews against Datasette on the same SQLite file, and a bare ASGI app as the ceiling.

    python bench/http.py bench/data/10k.db               # 10 s a workload, wrk -t2 -c32
    python bench/http.py bench/data/10k.db --duration 5 --workers 2 --only geonews
    python bench/http.py bench/data/100k.db --workers 2 --label 100k-pg \
        --pg postgresql://postgres@127.0.0.1/geonews_bench_100k   # generate.py --articles 100000 --db that URL

Every server is started and stopped here, on 127.0.0.1, on a free port: `geonews serve --no-seed --workers N`
(N = 1 and 2; the best is reported), plain `datasette serve FILE` (with a metadata file that only names the
FTS table, see below) and `uvicorn bench/hello_asgi.py`. Load comes from wrk (`apt-get install -y wrk`) with
bench/rotate.lua cycling through 1,000 request paths per workload; req/s and p50/p99 are read from wrk's
--latency output. Results go to bench/out/http-LABEL.json and .md.

Workloads, with the Datasette request that returns the same page (same rows, same order, same columns):
  by_id       /v1/articles/{id} (article with mentions, events, claims)   /db/articles/{id}.json
  page        /v1/articles?source=S&published_after=D&published_before=D2
              /db/articles.json?source=S&published_at__gte=D&published_at__lt=D2&_sort_desc=published_at
  actor       /v1/articles?actor=SLUG              /db/articles.json?_where=id in (select article_id from
                                                   mentions where actor_id = N)&_sort_desc=published_at
  fts_rank    /v1/articles?q=TERM (relevance)      /db.json?sql=... articles_fts MATCH :q ORDER BY rank LIMIT 21
  fts_recent  /v1/articles?q=TERM&sort=-published_at   /db/articles.json?_search=TERM&_sort_desc=published_at
  member_of   /v1/articles?member_of=ALLIANCE      _where=... relations member_of ...
  network     /v1/actors/{slug}/network?depth=2    (no Datasette equivalent)
  q_area      /v1/articles?q=TERM&bbox=REGION      (full text where a named place lies; no equivalent)
  q_words     /v1/articles?q=WORD WORD             (the words unquoted: all must match; relevance)
Datasette table requests carry _size=20, the summary columns (_col=) and _nocount/_nofacet/_nosuggest, so it
does the same work as geonews (pass --datasette-defaults to let it count and suggest facets as it does by
default). A workload is skipped when geonews does not offer it (its parameter/path is not in /openapi.json,
or a probe does not answer 200): unknown query parameters are ignored by FastAPI, so a probe alone would
not tell.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from bench.common import (  # noqa: E402
    OUT,
    WRK_HELP,
    PageCacheHold,
    Server,
    ceiling_server,
    datasette_server,
    files_of,
    geonews_server,
    have_wrk,
    load_average,
    run_wrk,
    sqlite_url,
)
from bench.corpus import SEARCH_TERMS  # noqa: E402

SUMMARY_COLS = ("url", "title", "summary", "source", "language", "published_at")
N_PATHS = 1000


@dataclass
class Workload:
    name: str
    what: str
    geonews: list[str]
    datasette: list[str] | None
    requires: str | None = None  # an /openapi.json feature: "param:q", "path:/v1/..."
    skipped: str | None = None
    results: dict[str, Any] = field(default_factory=dict)


# -- the data the requests are drawn from ------------------------------------------------------------------
def introspect(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
    try:
        q = conn.execute
        lo, hi = q("select min(id), max(id) from articles").fetchone()
        first, last = q("select min(published_at), max(published_at) from articles").fetchone()
        sources = [
            r[0] for r in q("select source, count(*) from articles group by source order by 2 desc limit 40")
        ]
        top = q(
            "select a.id, a.slug from (select actor_id, count(*) n from mentions group by actor_id "
            "order by n desc limit 40) m join actors a on a.id = m.actor_id order by m.n desc"
        ).fetchall()
        alliances = q(
            "select a.id, a.slug from actors a where a.kind = 'alliance' and exists (select 1 from relations r "
            "where r.object_id = a.id and r.type = 'member_of') order by a.id"
        ).fetchall()
        has_fts = q("select 1 from sqlite_master where name = 'articles_fts'").fetchone() is not None
        rng = random.Random(7)
        probe = sorted({rng.randint(lo, hi) for _ in range(N_PATHS * 2)})
        ids: list[int] = []
        for i in range(0, len(probe), 500):
            chunk = probe[i : i + 500]
            found = q(f"select id from articles where id in ({','.join('?' * len(chunk))})", chunk)
            ids += [r[0] for r in found]
        rng.shuffle(ids)
        mf = db.with_name(db.name + ".manifest.json")
        terms = json.loads(mf.read_text()).get("search_terms") if mf.exists() else None
        return {
            "search_terms": terms or {"common": list(SEARCH_TERMS)},
            "ids": ids[:N_PATHS],
            "first": first[:10],
            "last": last[:10],
            "sources": sources,
            "actors": top,
            "alliances": alliances,
            "has_fts": has_fts,
            "articles": q("select count(*) from articles").fetchone()[0],
        }
    finally:
        conn.close()


def _qs(params: list[tuple[str, Any]]) -> str:
    return urlencode(params, quote_via=quote)


def build_workloads(info: dict[str, Any], dbname: str, lean: bool) -> list[Workload]:
    from datetime import date, timedelta

    rng = random.Random(11)
    ds_extra = [("_size", 20), *[("_col", c) for c in SUMMARY_COLS]]
    if lean:
        ds_extra += [("_nocount", 1), ("_nofacet", 1), ("_nosuggest", 1)]
    table = f"/{dbname}/articles.json"
    out: list[Workload] = []

    out.append(
        Workload(
            "by_id",
            "article by id (random ids)",
            [f"/v1/articles/{i}" for i in info["ids"]],
            [f"/{dbname}/articles/{i}.json" for i in info["ids"]],
        )
    )

    first, last = date.fromisoformat(info["first"]), date.fromisoformat(info["last"])
    span = max(1, (last - first).days - 90)
    g, d = [], []
    for _ in range(N_PATHS):
        src = rng.choice(info["sources"])
        start = first + timedelta(days=rng.randrange(span))
        end = start + timedelta(days=90)
        g.append(
            "/v1/articles?" + _qs([("source", src), ("published_after", start), ("published_before", end)])
        )
        d.append(
            table + "?" + _qs([("source", src), ("published_at__gte", start), ("published_at__lt", end),
                               ("_sort_desc", "published_at"), *ds_extra])
        )  # fmt: skip
    out.append(Workload("page", "filtered page: source + 90-day published range", g, d))

    g, d = [], []
    for _ in range(N_PATHS):
        actor_id, slug = rng.choice(info["actors"])
        g.append("/v1/articles?" + _qs([("actor", slug)]))
        where = f"id in (select article_id from mentions where actor_id = {actor_id})"
        d.append(table + "?" + _qs([("_where", where), ("_sort_desc", "published_at"), *ds_extra]))
    out.append(Workload("actor", "articles mentioning an actor (40 most mentioned)", g, d))

    # Equal shares of each group of terms (common words ... made-up place names), each as an FTS5 phrase so
    # geonews, the SQL query and Datasette's raw search mode all mean the same thing by it.
    groups = [g for g in info["search_terms"].values() if g]
    terms = ['"' + rng.choice(groups[i % len(groups)]).replace('"', '""') + '"' for i in range(N_PATHS)]
    rng.shuffle(terms)
    fts_sql = (
        "select articles.id, " + ", ".join(f"articles.{c}" for c in SUMMARY_COLS) + ", "
        "snippet(articles_fts, -1, '<mark>', '</mark>', '…', 16) as snippet "
        "from articles_fts join articles on articles.id = articles_fts.rowid "
        "where articles_fts match :q order by articles_fts.rank limit 21"
    )
    has_fts = info["has_fts"]
    out.append(
        Workload(
            "fts_rank",
            "full text, best first (q=)",
            ["/v1/articles?" + _qs([("q", t)]) for t in terms],
            [f"/{dbname}.json?" + _qs([("sql", fts_sql), ("q", t)]) for t in terms] if has_fts else None,
            requires="param:q",
        )
    )
    out.append(
        Workload(
            "fts_recent",
            "full text, newest first (q=&sort=-published_at)",
            ["/v1/articles?" + _qs([("q", t), ("sort", "-published_at")]) for t in terms],
            [
                table
                + "?"
                + _qs([("_search", t), ("_searchmode", "raw"), ("_sort_desc", "published_at"), *ds_extra])
                for t in terms
            ]
            if has_fts
            else None,
            requires="param:q",
        )
    )

    if info["alliances"]:
        g, d = [], []
        for _ in range(N_PATHS):
            aid, slug = rng.choice(info["alliances"])
            g.append("/v1/articles?" + _qs([("member_of", slug)]))
            where = (
                "id in (select article_id from mentions where actor_id in (select subject_id from relations "
                f"where type = 'member_of' and object_id = {aid} and (valid_to is null or valid_to > date('now'))))"
            )
            d.append(table + "?" + _qs([("_where", where), ("_sort_desc", "published_at"), *ds_extra]))
        out.append(
            Workload("member_of", "articles mentioning a member of an alliance", g, d, "param:member_of")
        )

    # What the search index answers: full text combined with filters, facets over all matches, timelines.
    words = [rng.choice(groups[i % len(groups)]) for i in range(N_PATHS)]
    g = []
    for t in words:
        start = first + timedelta(days=rng.randrange(max(1, (last - first).days - 365)))
        g.append("/v1/articles?" + _qs([("q", t), ("published_after", start),
                                        ("published_before", start + timedelta(days=365))]))  # fmt: skip
    out.append(Workload("q_window", "full text + a one-year window", g, None, "param:q"))
    g = ["/v1/articles?" + _qs([("q", t), ("actor", rng.choice(info["actors"])[1])]) for t in words]
    out.append(Workload("q_actor", "full text + an actor", g, None, "param:q"))
    if info["alliances"]:
        g = [
            "/v1/articles?" + _qs([("q", t), ("member_of", rng.choice(info["alliances"])[1])]) for t in words
        ]
        out.append(Workload("q_member_of", "full text + member_of", g, None, "param:member_of"))
    common = info["search_terms"].get("common") or groups[0]
    g = ["/v1/articles?" + _qs([("q", rng.choice(common)), ("facets", "source,actor,language"), ("limit", 1)])
         for _ in range(N_PATHS)]  # fmt: skip
    out.append(Workload("facets_q", "facets source,actor,language over all matches of a common word", g, None,
                        "param:facets"))  # fmt: skip
    out.append(
        Workload(
            "facets_source",
            "facets=source over every article",
            ["/v1/articles?facets=source&limit=1"] * N_PATHS,
            None,  # Datasette's facets stop at facet_time_limit_ms (200 ms): not the same work at 1M
            "param:facets",
        )
    )
    g = [f"/v1/actors/{rng.choice(info['actors'])[1]}/timeline?"
         + _qs([("interval", "month"), ("from", first), ("to", last)]) for _ in range(N_PATHS)]  # fmt: skip
    out.append(Workload("timeline", "monthly mention timeline of an actor (whole corpus)", g, None,
                        "path:/v1/actors/{actor}/timeline"))  # fmt: skip

    g = [f"/v1/actors/{rng.choice(info['actors'])[1]}/network?depth=2" for _ in range(N_PATHS)]
    out.append(
        Workload(
            "network", "co-mention/relation network, depth 2", g, None, "path:/v1/actors/{actor}/network"
        )
    )
    # Its own random stream, so that the paths of the workloads above stay what they were.
    area_rng = random.Random("geonews-bench-areas")
    g = ["/v1/articles?" + _qs([("q", t), ("bbox", area_rng.choice(REGIONS))]) for t in words]
    out.append(
        Workload("q_area", "full text + a region (articles naming a place in it)", g, None, "param:bbox")
    )
    # The words of q_window etc. as a user types them (no quotes: every word must match), best first.
    g = ["/v1/articles?" + _qs([("q", t)]) for t in words]
    out.append(Workload("q_words", "full text, words without quotes, best first", g, None, "param:q"))
    return out


# bbox= regions (minlon,minlat,maxlon,maxlat): where the corpus' datelines mostly are.
REGIONS = (
    "-10,35,40,60",  # Europe
    "100,20,145,50",  # East Asia
    "30,12,60,40",  # the Middle East
    "-130,-55,-35,60",  # the Americas
    "-20,-35,52,37",  # Africa
)


# -- feature detection ---------------------------------------------------------------------------------------
def detect(server: Server, workloads: list[Workload]) -> None:
    import httpx

    spec = httpx.get(server.url + "/openapi.json", timeout=10).json()
    paths = spec.get("paths", {})
    list_params = {p["name"] for p in paths.get("/v1/articles", {}).get("get", {}).get("parameters", [])}
    for w in workloads:
        if w.requires:
            kind, name = w.requires.split(":", 1)
            offered = name in list_params if kind == "param" else name in paths
            if not offered:
                w.skipped = f"geonews does not offer {name} yet (not in /openapi.json)"
                continue
        r = httpx.get(server.url + w.geonews[0], timeout=30)
        if r.status_code != 200:
            w.skipped = f"geonews answered {r.status_code} to {w.geonews[0]}: {r.text[:200]}"


def wait_for_index(server: Server, timeout: float = 3600) -> str:
    """Until the server's search index is built (a corpus written by generate.py has no change log, so the
    first start builds the index from the database; later starts find it beside the file)."""
    import httpx

    deadline = time.time() + timeout
    started = time.time()
    while time.time() < deadline:
        try:
            index = httpx.get(server.url + "/readyz", timeout=10).json().get("index") or {}
        except (httpx.HTTPError, ValueError):
            index = {}
        if index.get("state") in ("ready", None) and index.get("lag", 0) == 0:
            return f"{index.get('state', 'off')} after {time.time() - started:.0f} s"
        time.sleep(2)
    return "not ready (timed out): searches were answered by SQL"


def check_paths(server: Server, paths: list[str], n: int = 3) -> str | None:
    import httpx

    for p in paths[:n]:
        try:
            r = httpx.get(server.url + p, timeout=30)
        except httpx.HTTPError as exc:
            return f"{server.name} did not answer {p[:200]} within 30 s ({type(exc).__name__})"
        if r.status_code != 200:
            return f"{server.name} answered {r.status_code} to {p[:200]}: {r.text[:300]}"
    return None


def healthy(server: Server) -> bool:
    import httpx

    try:
        return httpx.get(server.url + server.ready_path, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def failed(res: dict[str, Any]) -> str | None:
    """A run whose figures mean nothing: nothing served, or more than 1% errors."""
    n = res.get("requests") or 0
    bad = (res.get("non_2xx") or 0) + (res.get("socket_errors") or 0)
    if n == 0:
        return "no request completed"
    if bad > 0.01 * n:
        return f"{bad} of {n} requests failed (non-2xx or socket errors/timeouts)"
    return None


def measure(server: Server, paths: list[str], args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    if args.warmup:
        run_wrk(server.url, paths, duration=args.warmup, connections=args.connections, threads=args.threads,
                scratch=scratch)  # fmt: skip
    load = load_average()
    r = run_wrk(server.url, paths, duration=args.duration, connections=args.connections, threads=args.threads,
                scratch=scratch)  # fmt: skip
    r["load_average_before"] = load
    return r


# -- the run -------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    db = Path(args.db).resolve()
    if not db.exists():
        raise SystemExit(f"{db} does not exist: generate it first (bench/generate.py)")
    cache = PageCacheHold()
    try:
        return _run(args, db, cache)
    finally:
        cache.release()


def _run(args: argparse.Namespace, db: Path, cache: PageCacheHold) -> dict[str, Any]:
    """The workloads against each server. Unless --no-hold, the SQLite file (and, once the geonews server
    has built or opened it, its search index) is held in the page cache for the whole run: every server
    reads it from memory, as a server whose database fits its RAM does."""
    hold = not args.no_hold and not args.pg
    if hold:
        cache.hold(files_of(db))
        print(cache.describe(), flush=True)
    label = args.label or db.stem
    info = introspect(db)
    dbname = db.stem
    workloads = build_workloads(info, dbname, lean=not args.datasette_defaults)
    if args.workloads:
        chosen = args.workloads.split(",")
        unknown = sorted(set(chosen) - {w.name for w in workloads})
        if unknown:
            raise SystemExit(f"unknown workloads: {', '.join(unknown)}")
        workloads = [w for w in workloads if w.name in chosen]
    only = set(args.only.split(",")) if args.only else {"geonews", "datasette", "ceiling"}
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="geonews-bench-"))
    rss: dict[str, Any] = {}
    runs: list[dict[str, Any]] = []

    def record(target: str, w: Workload, res: dict[str, Any]) -> None:
        w.results[target] = res
        runs.append({"workload": w.name, "target": target, **res})
        err = f"  non-2xx {res['non_2xx']}" if res.get("non_2xx") else ""
        err += f"  socket errors {res['socket_errors']}" if res.get("socket_errors") else ""
        p50, p99 = res.get("p50_ms", float("nan")), res.get("p99_ms", float("nan"))
        print(f"  {w.name:<11} {target:<13} {res['rps']:>9,.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms{err}",
              flush=True)  # fmt: skip

    def run_one(srv: Server, target: str, w: Workload, paths: list[str]) -> None:
        problem = check_paths(srv, paths)
        if problem is None:
            res = measure(srv, paths, args, scratch)
            problem = failed(res)
            if problem is None:
                record(target, w, res)
            else:
                w.results[target] = {"error": problem, "wrk": res}
        if problem is not None:
            w.results.setdefault(target, {"error": problem})
            print(f"  {w.name:<11} {target:<13} FAILED: {problem}", flush=True)
        if not healthy(srv):
            print(f"  {srv.name} stopped answering after {w.name}: restarting it", flush=True)
            w.results[target]["note"] = "server stopped answering afterwards and was restarted"
            srv.stop()
            srv.start()

    if args.pg:
        only &= {"geonews"}  # Datasette and the ceiling do not depend on the engine
    if "geonews" in only:
        for n in args.workers:
            if args.pg:  # the same corpus (same seed, same ids) generated into PostgreSQL; its own index
                index = db.with_name(f"{db.stem}-pg.index")
                srv = geonews_server(args.pg, workers=n, log=logs / f"geonews-{label}-w{n}.log",
                                     extra_env={"GEONEWS_INDEX_DIR": str(index)})  # fmt: skip
            else:
                srv = geonews_server(sqlite_url(db), workers=n, log=logs / f"geonews-{label}-w{n}.log")
            print(f"{srv.name} on {args.pg or db.name} ({info['articles']:,} articles)", flush=True)
            with srv:
                index_state = wait_for_index(srv)
                print(f"  search index: {index_state}", flush=True)
                if hold:  # the index's files, now that the server has them (those held already, once)
                    cache.hold(files_of(db))
                    print(f"  {cache.describe()}", flush=True)
                detect(srv, workloads)
                for w in workloads:
                    if w.skipped:
                        continue
                    run_one(srv, f"geonews-w{n}", w, w.geonews)
                rss[f"geonews-w{n}"] = srv.rss()
    if "datasette" in only:
        meta = scratch / "datasette-metadata.json"
        # Datasette finds an FTS table by itself only when it was declared with content="articles" or
        # content=[articles]; geonews writes content='articles', so name it (this is all the metadata says).
        meta.write_text(json.dumps({"databases": {dbname: {"tables": {"articles": {"fts_table": "articles_fts",
                                                                                    "fts_pk": "id"}}}}}))  # fmt: skip
        srv = datasette_server(
            db, metadata=meta if info["has_fts"] else None, log=logs / f"datasette-{label}.log"
        )
        print(f"datasette on {db.name}", flush=True)
        with srv:
            for w in workloads:
                if w.datasette is None or w.skipped:
                    continue
                run_one(srv, "datasette", w, w.datasette)
            rss["datasette"] = srv.rss()
    ceiling: dict[str, Any] = {}
    if "ceiling" in only:  # the bare ASGI app, then FastAPI's hello world ("hello" below)
        for n in args.workers:
            for kind, fastapi in (("ceiling", False), ("hello", True)):
                srv = ceiling_server(workers=n, log=logs / f"{kind}-w{n}.log", fastapi=fastapi)
                print(srv.name, flush=True)
                with srv:
                    w = Workload(kind, srv.name, ["/"] * 10, None)
                    record(f"{kind}-w{n}", w, measure(srv, ["/"], args, scratch))
                    ceiling[f"{kind}-w{n}"] = w.results[f"{kind}-w{n}"]
    return summarise(args, label, db, info, workloads, ceiling, rss, runs, cache if hold else None)


def best(results: dict[str, Any], prefix: str) -> tuple[str | None, dict[str, Any] | None]:
    cands = [(k, v) for k, v in results.items() if k.startswith(prefix) and "rps" in v]
    if not cands:
        return None, None
    return max(cands, key=lambda kv: kv[1]["rps"])


def summarise(
    args: argparse.Namespace,
    label: str,
    db: Path,
    info: dict[str, Any],
    workloads: list[Workload],
    ceiling: dict[str, Any],
    rss: dict[str, Any],
    runs: list[dict[str, Any]],
    cache: PageCacheHold | None = None,
) -> dict[str, Any]:
    ceil_key, ceil = best(ceiling, "ceiling")
    hello_key, hello = best(ceiling, "hello")
    rows = []
    for w in workloads:
        gk, g = best(w.results, "geonews")
        d = w.results.get("datasette")
        row: dict[str, Any] = {"workload": w.name, "what": w.what}
        if w.skipped:
            row["skipped"] = w.skipped
        if g:
            row["geonews"] = {"rps": g["rps"], "p50_ms": g.get("p50_ms"), "p99_ms": g.get("p99_ms"),
                              "workers": int(gk.rsplit("w", 1)[1]), "non_2xx": g.get("non_2xx", 0)}  # fmt: skip
        if d and "rps" in d:
            row["datasette"] = {"rps": d["rps"], "p50_ms": d.get("p50_ms"), "p99_ms": d.get("p99_ms"),
                                "non_2xx": d.get("non_2xx", 0)}  # fmt: skip
        elif d:
            row["datasette_error"] = d.get("error")
        elif w.datasette is None and not w.skipped:
            row["datasette_note"] = "no equivalent" if w.name == "network" else "no FTS table"
        if g and d and "rps" in d and d["rps"]:
            row["vs_datasette"] = round(g["rps"] / d["rps"], 2)
        if g and ceil:
            row["vs_ceiling"] = round(g["rps"] / ceil["rps"], 3)
        if g and hello:
            row["vs_fastapi_hello"] = round(g["rps"] / hello["rps"], 3)
        errs = {k: v["error"] for k, v in w.results.items() if "error" in v}
        if errs:
            row["errors"] = errs
        rows.append(row)
    result = {
        "label": label,
        "database": str(db),
        "articles": info["articles"],
        "settings": {
            "duration_s": args.duration,
            "connections": args.connections,
            "threads": args.threads,
            "warmup_s": args.warmup,
            "geonews_workers": args.workers,
            "pg": bool(args.pg),
            "datasette_lean": not args.datasette_defaults,
        },  # fmt: skip
        "ceiling": {"best": ceil_key, **(ceil or {})} if ceil else None,
        "fastapi_hello": {"best": hello_key, **(hello or {})} if hello else None,
        "workloads": rows,
        "rss_after_load": rss,
        "page_cache": None
        if cache is None
        else {
            "held_gib": round(cache.bytes / 2**30, 2),
            "cached_before": None if cache.resident is None else round(cache.resident, 3),
            "problem": cache.problem,
        },
        "runs": runs,
        "load_average_end": load_average(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"http-{label}.json").write_text(json.dumps(result, indent=1) + "\n")
    md = markdown(result)
    (OUT / f"http-{label}.md").write_text(md)
    print()
    print(md)
    return result


def _f(v: Any, fmt: str) -> str:
    return "—" if v is None else format(v, fmt)


def markdown(r: dict[str, Any]) -> str:
    s = r["settings"]
    ceil, hello = r.get("ceiling"), r.get("fastapi_hello")
    lines = [
        f"### HTTP reads, {r['articles']:,} articles ({r['label']})",
        "",
        f"wrk -t{s['threads']} -c{s['connections']} -d{s['duration_s']}s after a {s['warmup_s']} s warm-up; "
        f"geonews best of --workers {', '.join(map(str, s['geonews_workers']))}; ceiling: bare ASGI app "
        + (f"{ceil['rps']:,.0f} req/s ({ceil['best']})" if ceil else "not measured")
        + "; FastAPI hello world "
        + (f"{hello['rps']:,.0f} req/s ({hello['best']})." if hello else "not measured."),
        "",
        "| workload | geonews req/s | p50 ms | p99 ms | Datasette req/s | p50 ms | p99 ms | geonews/Datasette "
        "| geonews/ceiling | geonews/FastAPI hello |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for w in r["workloads"]:
        g, d = w.get("geonews") or {}, w.get("datasette") or {}
        if w.get("skipped"):
            lines.append(f"| {w['workload']} | skipped | | | | | | | | |")
            notes.append(f"- {w['workload']}: {w['skipped']}")
            continue
        gcell = f"{g['rps']:,.0f} (w{g['workers']})" if g else "error"
        dcell = f"{d['rps']:,.0f}" if d else ("n/a" if w.get("datasette_note") else "error")
        lines.append(
            f"| {w['workload']} | {gcell} | {_f(g.get('p50_ms'), '.2f')} | {_f(g.get('p99_ms'), '.2f')} | {dcell} "
            f"| {_f(d.get('p50_ms'), '.2f')} | {_f(d.get('p99_ms'), '.2f')} | {_f(w.get('vs_datasette'), '.2f')} "
            f"| {_f(w.get('vs_ceiling'), '.3f')} | {_f(w.get('vs_fastapi_hello'), '.3f')} |"
        )
        for k, v in (w.get("errors") or {}).items():
            notes.append(f"- {w['workload']} on {k}: {v[:300]}")
        if w.get("datasette_note"):
            notes.append(f"- {w['workload']}: Datasette {w['datasette_note']}")
        for who, x in (("geonews", g), ("Datasette", d)):
            if x.get("non_2xx"):
                notes.append(f"- {w['workload']}: {x['non_2xx']} non-2xx responses from {who}")
    rss = r.get("rss_after_load") or {}
    if rss:
        lines += ["", "Resident memory after the workloads (VmRSS, all processes of the server): "
                  + ", ".join(f"{k} {v['total_mib']:.0f} MiB (heap {v.get('anon_mib', 0):.0f})" for k, v in rss.items())
                  + "."]  # fmt: skip
    pc = r.get("page_cache")
    if pc is not None and pc["problem"]:
        held = f"{pc['held_gib']:.2f} GiB held, the rest not" if pc["held_gib"] else "not held"
        lines += ["", f"Page cache: {held} ({pc['problem']})."]
    elif pc is not None:
        lines += ["", f"Page cache: the database file and its search index ({pc['held_gib']:.2f} GiB) held in "
                  f"memory (mlock) for the run; {_f(pc['cached_before'], '.0%')} of their pages were cached before."]  # fmt: skip
    elif not r["settings"].get("pg"):
        lines += ["", "Page cache: not held (--no-hold): pages the host evicted were read from the disk."]
    if notes:
        lines += ["", *notes]
    lines += [
        "",
        f"Load average at the end: {r['load_average_end']} (2 cores; other work on the machine shows here).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", help="a SQLite file made by bench/generate.py")
    p.add_argument("--label", help="name for the output files (default: the file's stem)")
    p.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded load first (default 2)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2],
                   help="geonews/ceiling worker counts to try, comma list (default 1,2)")  # fmt: skip
    p.add_argument("--only", help="comma list of geonews, datasette, ceiling")
    p.add_argument("--workloads", help="comma list of workload names to run (default: all)")
    p.add_argument("--pg", help="serve geonews from this PostgreSQL database instead: the same corpus generated "
                   "there by bench/generate.py (same --articles and --seed); request paths come from the SQLite "
                   "file; geonews only")  # fmt: skip
    p.add_argument("--no-hold", action="store_true",
                   help="do not hold the SQLite file and its search index in the page cache (mlock) for the run: "
                   "measure whatever the host's page cache keeps")  # fmt: skip
    p.add_argument("--datasette-defaults", action="store_true",
                   help="let Datasette count rows and suggest facets as it does by default")  # fmt: skip
    args = p.parse_args(argv)
    if not have_wrk():
        print(WRK_HELP, file=sys.stderr)
        return 2
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
