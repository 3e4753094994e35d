"""Generate a deterministic benchmark corpus straight into a geonews database.

    python bench/generate.py --articles 10000 --db sqlite:///bench/data/10k.db
    python bench/generate.py --articles 100000 --db postgresql://postgres@127.0.0.1/geonews_bench_100k

The database is migrated and seeded through the app (the real schema, actors and relations), then articles,
mentions (with character offsets into the body where the actor's name was written), the places of the
datelines (article_places, as the place linker would store them), events with
participants and event_articles are bulk-inserted with SQLAlchemy Core executemany, one transaction per
batch. Full text is suspended during the load and rebuilt once at the end when the app provides
`app.search.dialect.suspend_fulltext` / `rebuild_fulltext` (feature-detected: without them FTS is skipped).

An existing database generated with the same size, seed and generator version is reused (exit 0, nothing
written); anything else there needs --force, which deletes the SQLite file / drops the PostgreSQL database.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import multiprocessing
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# bench/ must not be on sys.path: bench/http.py would shadow the standard library's http package.
BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(BENCH_DIR.parent))

from sqlalchemy import Connection, Engine, create_engine, event, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.corpus import GENERATOR_VERSION, ActorInfo, Corpus, PlaceInfo, actor_surfaces  # noqa: E402

EVENT_EVERY = 100  # one event per this many articles
EVENT_STATUS = (("reported", 0.6), ("confirmed", 0.3), ("disputed", 0.07), ("denied", 0.03))
ROLES = ("initiator", "target", "participant", "participant")
BATCH = 10_000
STAMP = datetime(2026, 1, 1)  # created_at/updated_at: fixed, so the corpus is repeatable to the byte


# -- where the data goes -------------------------------------------------------------------------------
def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if not u.drivername.startswith("sqlite"):
        return None
    return Path(u.database or "")


def manifest_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".manifest.json")


def wanted_manifest(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "articles": args.articles,
        "seed": args.seed,
        "batch": args.batch,
        "generator_version": GENERATOR_VERSION,
    }


def pg_admin_engine(url: str) -> Engine:
    from app.config import sync_database_url

    u = make_url(sync_database_url(url))
    return create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")


def prepare_target(args: argparse.Namespace) -> bool:
    """Make room for a new corpus; False when an identical corpus is already there."""
    path = sqlite_path(args.db)
    if path is not None:
        if path.exists():
            mf = manifest_path(path)
            stored = json.loads(mf.read_text()) if mf.exists() else {}
            same = {k: stored.get(k) for k in wanted_manifest(args)} == wanted_manifest(args)
            if same and not args.force:
                args.stored_manifest = stored
                return False
            if not (args.force or (args.replace_stale and stored)):
                raise SystemExit(
                    f"{path} exists and was not generated with these settings; use --force"
                    + (" (or --replace-stale)" if stored else "")
                )
            for suffix in ("", "-wal", "-shm", ".manifest.json"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return True
    name = make_url(args.db).database
    admin = pg_admin_engine(args.db)
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("select 1 from pg_database where datname = :n"), {"n": name})
            if exists and not args.force:
                stored = pg_manifest(conn, name) or {}
                if {k: stored.get(k) for k in wanted_manifest(args)} == wanted_manifest(args):
                    args.stored_manifest = stored
                    return False
                if not (args.replace_stale and stored.get("generator_version")):
                    raise SystemExit(
                        f"database {name} exists and was not generated with these settings; use --force"
                    )
            if exists:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return True


def pg_manifest(conn: Connection, name: str) -> dict[str, Any] | None:
    """PostgreSQL keeps the manifest as the database's comment (there is no file beside it)."""
    comment = conn.scalar(
        text("select shobj_description(oid, 'pg_database') from pg_database where datname = :n"), {"n": name}
    )
    try:
        data = json.loads(comment or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def write_pg_manifest(url: str, manifest: dict[str, Any]) -> None:
    name = make_url(url).database
    admin = pg_admin_engine(url)
    try:
        with admin.connect() as conn:
            literal = json.dumps(manifest).replace("'", "''")
            conn.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'"))
    finally:
        admin.dispose()


# -- optional full-text hooks ------------------------------------------------------------------------------
def fulltext_hook(name: str) -> Any:
    try:
        mod = importlib.import_module("app.search.dialect")
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    return fn if callable(fn) else None


# -- bulk load -------------------------------------------------------------------------------------------
def load_actors(conn: Connection) -> list[ActorInfo]:
    from app.models import Actor, ActorAlias

    aliases: dict[int, list[str]] = {}
    rows = conn.execute(
        select(ActorAlias.actor_id, ActorAlias.alias)
        .where(ActorAlias.kind.in_(("name", "abbreviation")), ActorAlias.ambiguous.is_(False))
        .order_by(ActorAlias.id)
    )
    for actor_id, alias in rows:
        aliases.setdefault(actor_id, []).append(alias)
    return [
        ActorInfo(id=r.id, slug=r.slug, kind=r.kind, surfaces=actor_surfaces(r.name, aliases.get(r.id, [])))
        for r in conn.execute(select(Actor.id, Actor.slug, Actor.kind, Actor.name).order_by(Actor.id))
    ]


def load_places(conn: Connection) -> list[PlaceInfo]:
    """The seeded gazetteer, most populous first."""
    from app.models import Place

    rows = conn.execute(
        select(Place.id, Place.name, Place.country_actor_id, Place.capital).order_by(
            Place.population.desc(), Place.id
        )
    )
    return [PlaceInfo(r.id, r.name, r.country_actor_id, bool(r.capital)) for r in rows]


def tune_for_bulk_load(engine: Engine) -> None:
    """Bulk-load settings for the generator's own connections: the data is consistent by construction and
    can be regenerated, so durability and foreign-key checks are moot while loading. Registered after the
    app's connect hook, so these win; they apply to new connections (the pool is emptied first)."""
    engine.dispose()
    is_sqlite = engine.dialect.name == "sqlite"

    @event.listens_for(engine, "connect")
    def _bulk(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if is_sqlite:
            for pragma in ("synchronous=OFF", "foreign_keys=OFF", "cache_size=-524288", "threads=4"):
                cur.execute(f"PRAGMA {pragma}")
        else:
            cur.execute("SET synchronous_commit = off")
            dbapi_conn.commit()
        cur.close()


BULK_TABLES = ("articles", "mentions")


def drop_secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """Drop the plain indexes of the bulk tables (not primary keys or unique constraints) and return their
    DDL, read from the database itself so it always matches the migrations. Rebuilding an index once from
    sorted data is much cheaper than maintaining it row by row."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text(
                "select name, sql from sqlite_master where type = 'index' and sql is not null "
                f"and tbl_name in ({', '.join(repr(t) for t in BULK_TABLES)})"
            )
        ).all()
    else:
        rows = conn.execute(
            text(
                "select i.indexname, i.indexdef from pg_indexes i where i.schemaname = current_schema() "
                f"and i.tablename in ({', '.join(repr(t) for t in BULK_TABLES)}) "
                "and not exists (select 1 from pg_constraint c where c.conname = i.indexname)"
            )
        ).all()
    for name, _ in rows:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [(r[0], r[1]) for r in rows]


ARTICLE_COLUMNS = (
    "id",
    "url",
    "canonical_url",
    "content_hash",
    "title",
    "body",
    "summary",
    "source",
    "language",
    "published_at",
    "tags",
    "is_stub",
    "created_at",
    "updated_at",
    "simhash",
    "sh0",
    "sh1",
    "sh2",
    "sh3",
    "story_sig",
)
MENTION_COLUMNS = ("article_id", "actor_id", "start_offset", "end_offset", "text", "confidence")
EVENT_COLUMNS = (
    "id",
    "type_code",
    "title",
    "start_date",
    "status",
    "source",
    "external_id",
    "created_at",
    "updated_at",
)
PARTICIPANT_COLUMNS = ("event_id", "actor_id", "role")
EVENT_ARTICLE_COLUMNS = ("event_id", "article_id")
PLACE_COLUMNS = ("article_id", "start_offset", "end_offset", "place_id", "text")


def insert_sql(dialect: Any, table: Any, columns: tuple[str, ...]) -> str:
    """INSERT for the given columns of the model's Table, in exactly this column order (positional for
    SQLite, named for psycopg); executed with Connection.exec_driver_sql, one executemany per batch, with no
    per-row processing by SQLAlchemy."""
    missing = [c for c in columns if c not in table.c]
    if missing:
        raise SystemExit(f"{table.name} has no column(s) {missing}: bench/generate.py needs updating")
    prep = dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in columns)
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else f"%({c})s" for c in columns)
    return f"INSERT INTO {prep.quote(table.name)} ({names}) VALUES ({marks})"


@dataclass
class Plan:
    """What the producer process needs: everything picklable."""

    actors: list[ActorInfo]
    articles: int
    seed: int
    batch: int
    dialect: str
    first_article_id: int
    first_event_id: int
    type_codes: list[str]
    places: list[PlaceInfo]


def produce(plan: Plan, worker: int, workers: int, queue: Any) -> None:
    """Producer process `worker` of `workers`: generates batches worker, worker+workers, ... as rows ready to
    insert. Each batch has its own random stream, so the corpus depends on (seed, size, batch size) only,
    not on how many producers made it. Events carry a batch-local number; the consumer gives them ids."""
    import gc

    from app.ingestion.fingerprint import simhash64, simhash_bands
    from app.ingestion.storysig import sketch
    from app.models import Article

    gc.disable()  # millions of short-lived tuples: the cyclic collector only costs time here
    corpus = Corpus(plan.actors, plan.articles, seed=plan.seed, places=plan.places)
    by_id = {a.id: a for a in plan.actors}
    sqlite = plan.dialect == "sqlite"
    if sqlite:
        from sqlalchemy.dialects import sqlite as sqlite_dialect

        dialect = sqlite_dialect.dialect()
        dt = Article.__table__.c.published_at.type.dialect_impl(dialect).bind_processor(dialect)
        stamp: Any = dt(STAMP)
        dumps = json.dumps
        false: Any = 0
    else:
        from psycopg.types.json import Jsonb

        def dt(v: Any) -> Any:
            return v

        stamp, dumps, false = STAMP, Jsonb, False
    n_batches = -(-plan.articles // plan.batch)
    for b in range(worker, n_batches, workers):
        corpus.seek(b, plan.batch)
        ev_rng = random.Random(f"geonews-bench-events:{plan.seed}:{b}")
        batch = corpus.batch(min(plan.batch, plan.articles - b * plan.batch))
        a_rows: list[Any] = []
        m_rows: list[Any] = []
        e_rows: list[Any] = []
        p_rows: list[Any] = []
        ea_rows: list[Any] = []
        ap_rows: list[Any] = []
        first_id = plan.first_article_id + b * plan.batch
        aid = first_id
        for art in batch:
            tags = art.tags
            # The fingerprints ingestion stores (app.ingestion.fingerprint.fingerprints, storysig.sketch):
            # storing into the corpus then meets near-duplicate bands and story signatures as in a database
            # that ingested these articles.
            sim = simhash64(f"{art.title}\n{art.body}")
            a_rows.append(
                (aid, art.url, art.url, art.content_hash, art.title, art.body, art.summary, art.source, "en",
                 dt(art.published_at), dumps(tags) if tags else None, false, stamp, stamp,
                 sim, *simhash_bands(sim), sketch(art.title, art.body))
            )  # fmt: skip
            for actor_id, start, end, name in art.mentions:
                m_rows.append((aid, actor_id, start, end, name, 1.0))
            for place_id, start, end, name in art.places:
                ap_rows.append((aid, start, end, place_id, name))
            if ev_rng.random() < 1.0 / EVENT_EVERY:
                local = len(e_rows)
                lead, other = by_id[art.cast[0]], by_id[art.cast[1]]
                status = ev_rng.choices([s for s, _ in EVENT_STATUS], [w for _, w in EVENT_STATUS])[0]
                e_rows.append(
                    (local, ev_rng.choice(plan.type_codes) if plan.type_codes else None,
                     corpus.event_title(ev_rng, lead, other), art.published_at.date(), status, "bench",
                     None, stamp, stamp)
                )  # fmt: skip
                for j, actor_id in enumerate(art.cast[:4]):
                    p_rows.append((local, actor_id, ROLES[min(j, 3)]))
                linked = {aid} | {
                    first_id + ev_rng.randrange(aid - first_id + 1) for _ in range(ev_rng.randint(0, 8))
                }
                ea_rows.extend((local, x) for x in sorted(linked))
            aid += 1
        queue.put((b, a_rows, m_rows, e_rows, p_rows, ea_rows, ap_rows))
    queue.put(None)


def number_events(item: tuple[Any, ...], first_event_id: int) -> list[list[Any]]:
    """Give a batch's events their ids (the producers number them from 0 within the batch)."""
    _, a_rows, m_rows, e_rows, p_rows, ea_rows, ap_rows = item
    e_rows = [(first_event_id + r[0], *r[1:6], f"bench-{first_event_id + r[0]}", *r[7:]) for r in e_rows]
    p_rows = [(first_event_id + r[0], *r[1:]) for r in p_rows]
    ea_rows = [(first_event_id + r[0], r[1]) for r in ea_rows]
    return [a_rows, m_rows, e_rows, p_rows, ea_rows, ap_rows]


def as_named(rows: list[list[Any]]) -> list[list[Any]]:
    """psycopg gets named parameters (SQLAlchemy's pyformat paramstyle)."""
    columns = (
        ARTICLE_COLUMNS,
        MENTION_COLUMNS,
        EVENT_COLUMNS,
        PARTICIPANT_COLUMNS,
        EVENT_ARTICLE_COLUMNS,
        PLACE_COLUMNS,
    )
    return [
        [dict(zip(cols, r, strict=True)) for r in table] for cols, table in zip(columns, rows, strict=True)
    ]


def next_batch(queue: Any, producer: Any) -> Any:
    """The next batch, or None at the end; fails instead of waiting forever if the producer died."""
    import queue as queue_mod

    while True:
        try:
            return queue.get(timeout=1)
        except queue_mod.Empty:
            if not producer.is_alive():
                raise SystemExit(f"the generator process died (exit {producer.exitcode})") from None


def generate(args: argparse.Namespace) -> dict[str, Any]:
    from app import migrate
    from app.config import Settings
    from app.db import make_sync_engine
    from app.models import Article, ArticlePlace, Event, EventArticle, EventParticipant, EventType, Mention
    from app.seed.loader import seed

    t0 = time.perf_counter()
    # A bulk load: no request deadline (the full-text rebuild of 1M articles takes minutes, not seconds).
    settings = Settings(database_url=args.db, db_statement_timeout_ms=0)
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    is_sqlite = engine.dialect.name == "sqlite"
    print(seed(engine).summary(), file=sys.stderr)
    t_seed = time.perf_counter() - t0

    with engine.connect() as conn:
        actors = load_actors(conn)
        next_article = int(conn.scalar(select(Article.id).order_by(Article.id.desc()).limit(1)) or 0) + 1
        next_event = int(conn.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0) + 1
        type_codes = [c for c in conn.scalars(select(EventType.code).order_by(EventType.code)) if len(c) == 3]
        places = load_places(conn)
    tune_for_bulk_load(engine)
    d = engine.dialect
    statements = [
        insert_sql(d, Article.__table__, ARTICLE_COLUMNS),
        insert_sql(d, Mention.__table__, MENTION_COLUMNS),
        insert_sql(d, Event.__table__, EVENT_COLUMNS),
        insert_sql(d, EventParticipant.__table__, PARTICIPANT_COLUMNS),
        insert_sql(d, EventArticle.__table__, EVENT_ARTICLE_COLUMNS),
        insert_sql(d, ArticlePlace.__table__, PLACE_COLUMNS),
    ]

    suspend, rebuild = fulltext_hook("suspend_fulltext"), fulltext_hook("rebuild_fulltext")
    fts = "rebuilt" if rebuild else "skipped (app.search.dialect.rebuild_fulltext not found)"
    if suspend and rebuild:
        with engine.begin() as conn:
            suspend(conn)
    dropped: list[tuple[str, str]] = []
    if not args.keep_indexes:
        with engine.begin() as conn:
            dropped = drop_secondary_indexes(conn)

    plan = Plan(
        actors,
        args.articles,
        args.seed,
        args.batch,
        engine.dialect.name,
        next_article,
        next_event,
        type_codes,
        places,
    )
    ctx = multiprocessing.get_context("fork")
    workers = max(1, args.workers)
    queues = [ctx.Queue(maxsize=2) for _ in range(workers)]
    producers = [
        ctx.Process(
            target=produce, args=(plan, w, workers, queues[w]), name=f"bench-generate-{w}", daemon=True
        )
        for w in range(workers)
    ]
    n_batches = -(-args.articles // args.batch)
    t_load = time.perf_counter()
    gc.disable()
    for proc in producers:
        proc.start()
    done = n_mentions = n_events = n_places = 0
    t_wait = 0.0  # the writer waiting for the generators: near 0 means the database is the bottleneck
    last_print = t_load
    try:
        for b in range(n_batches):
            t_wait0 = time.perf_counter()
            item = next_batch(queues[b % workers], producers[b % workers])
            t_wait += time.perf_counter() - t_wait0
            if item is None or item[0] != b:
                raise SystemExit(f"generator out of step at batch {b}")
            rows = number_events(item, next_event)
            next_event += len(rows[2])
            if not is_sqlite:
                rows = as_named(rows)
            with engine.begin() as conn:
                for sql, table_rows in zip(statements, rows, strict=True):
                    if table_rows:
                        conn.exec_driver_sql(sql, table_rows)
            done += len(rows[0])
            n_mentions += len(rows[1])
            n_events += len(rows[2])
            n_places += len(rows[5])
            del item, rows
            now = time.perf_counter()
            if now - last_print > 5:
                rate = done / (now - t_load)
                print(
                    f"  {done:>9,} articles  {n_mentions:>10,} mentions  {rate:>9,.0f} articles/s",
                    file=sys.stderr,
                )
                last_print = now
    finally:
        gc.enable()
        for proc in producers:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    if done != args.articles:
        raise SystemExit(f"only {done} of {args.articles} articles were generated")
    t_rows = time.perf_counter() - t_load

    t_idx0 = time.perf_counter()
    with engine.begin() as conn:
        for _, ddl in dropped:
            conn.exec_driver_sql(ddl)
    t_idx = time.perf_counter() - t_idx0

    t_fts0 = time.perf_counter()
    if rebuild:
        with engine.begin() as conn:
            rebuild(conn)
    t_fts = time.perf_counter() - t_fts0

    t_fin0 = time.perf_counter()
    with engine.begin() as conn:
        if not is_sqlite:
            # Ids were given explicitly: move the sequences past them or the app's next insert collides.
            for table in ("articles", "events", "mentions"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        else:
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
        conn.exec_driver_sql("ANALYZE")
    if is_sqlite:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    t_finish = time.perf_counter() - t_fin0
    total = time.perf_counter() - t0
    load = t_rows + t_idx  # what "articles/s" means: rows in and indexed, before full text

    corpus = Corpus(actors, args.articles, seed=args.seed)
    result = {
        **wanted_manifest(args),
        "database": make_url(args.db).render_as_string(hide_password=True),
        "dialect": engine.dialect.name,
        "mentions": n_mentions,
        "events": n_events,
        "article_places": n_places,
        "fulltext": fts,
        "seconds": {
            "migrate_and_seed": round(t_seed, 2),
            "rows": round(t_rows, 2),
            "indexes": round(t_idx, 2),
            "writer_waiting": round(t_wait, 2),
            "fulltext": round(t_fts, 2),
            "analyze": round(t_finish, 2),
            "total": round(total, 2),
        },
        "articles_per_s": round(args.articles / load) if load else None,
        "articles_per_s_total": round(args.articles / total) if total else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "popular_actor_slugs": [a.slug for a in corpus.popular_actors(40)],
        "popular_sources": corpus.popular_sources(40),
        "search_terms": corpus.search_terms(),
    }
    path = sqlite_path(args.db)
    if path is not None:
        result["bytes"] = path.stat().st_size
        manifest_path(path).write_text(json.dumps(result, indent=1) + "\n")
    else:
        write_pg_manifest(args.db, result)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, required=True, help="how many articles to generate")
    p.add_argument("--db", required=True, help="sqlite:///path.db or postgresql://user@host/dbname")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--batch", type=int, default=BATCH, help=f"articles per transaction (default {BATCH})")
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="generator processes feeding the writer (default 2; any number gives the same corpus)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing database")
    p.add_argument(
        "--replace-stale",
        action="store_true",
        help="replace an existing corpus made by this script with other settings (never a foreign database)",
    )
    p.add_argument("--json", help="also write the figures of this run to this file")
    p.add_argument(
        "--keep-indexes",
        action="store_true",
        help="load with every index in place (default: drop, load, rebuild)",
    )
    args = p.parse_args(argv)
    os.environ.setdefault("GEONEWS_LOG_LEVEL", "warning")
    if not prepare_target(args):
        print(f"{args.db}: {args.articles} articles (seed {args.seed}) already generated; nothing to do")
        if args.json:  # the figures of the run that made it
            Path(args.json).write_text(json.dumps(getattr(args, "stored_manifest", {}), indent=1) + "\n")
        return 0
    r = generate(args)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1) + "\n")
    s = r["seconds"]
    print(
        f"{r['articles']:,} articles, {r['mentions']:,} mentions, {r['events']:,} events into {r['database']}: "
        f"{r['articles_per_s']:,} articles/s (rows {s['rows']} s + indexes {s['indexes']} s); "
        f"{r['articles_per_s_total']:,} articles/s end to end ({s['total']} s: migrate+seed {s['migrate_and_seed']} s, "
        f"full text {s['fulltext']} s [{r['fulltext']}], analyze {s['analyze']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
