"""The `geonews` command."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .changes.cli import register as register_changes
from .config import get_settings
from .importers.gdelt.cli import register as register_gdelt
from .search.cli import register as register_index
from .stories.cli import register as register_stories

app = typer.Typer(
    help="geonews: a REST API for geopolitical news.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
import_app = typer.Typer(help="Import datasets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")

err = Console(stderr=True)


def _prepare(seed_if_empty: bool) -> None:
    from .migrate import prepare_database

    prepare_database(get_settings(), seed_if_empty=seed_if_empty, say=err.print)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    no_seed: Annotated[bool, typer.Option("--no-seed", help="Do not seed an empty database.")] = False,
) -> None:
    """Migrate, seed an empty database, and serve HTTP with uvicorn."""
    import uvicorn

    settings = get_settings()
    problems = settings.production_problems()
    if problems and not settings.dev_mode:
        for problem in problems:
            err.print(f"[red]refusing to serve: {problem}[/]")
        err.print(
            "Set GEONEWS_CURSOR_SECRET to a long random value (e.g. `openssl rand -hex 32`), "
            "or GEONEWS_DEV_MODE=true for development."
        )
        raise typer.Exit(2)
    _prepare(seed_if_empty=settings.seed_on_start and not no_seed)
    err.print(f"geonews on http://{host}:{port} (docs at /docs), database {settings.sync_url.split('@')[-1]}")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=True,
        # Slow clients: headers within header_timeout (app/server.py), bodies within body_timeout
        # (RequestGuard), idle keep-alive connections closed after keep_alive_timeout, and at most
        # max_connections connections plus requests per worker.
        http="app.server:GuardedHttpToolsProtocol",
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections,
        timeout_graceful_shutdown=10,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from . import migrate

    migrate.upgrade(get_settings(), revision)
    err.print(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (`base` for an empty database)."""
    from . import migrate

    migrate.downgrade(get_settings(), revision)
    err.print(f"database at {revision}")


@app.command("seed")
def seed_cmd(
    seed_dir: Annotated[Path | None, typer.Option(help="Directory of seed files.")] = None,
) -> None:
    """Load seed_data/ (idempotent: a second run changes nothing)."""
    from . import migrate
    from .db import make_sync_engine
    from .seed.loader import seed, seed_dir_of

    settings = get_settings()
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    try:
        report = seed(engine, seed_dir or seed_dir_of(settings))
    finally:
        engine.dispose()
    typer.echo(report.summary())


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option(help="read, write or admin.")] = "read",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "cli",
) -> None:
    """Create an API key; the key itself is printed as the last line (only its hash is stored)."""
    from sqlalchemy.orm import Session

    from . import migrate
    from .db import make_sync_engine
    from .dialect import immediate_writes
    from .keys.service import SCOPE_RANK, create_key_sync

    if scope not in SCOPE_RANK:
        err.print(f"[red]scope must be one of {', '.join(SCOPE_RANK)}[/]")
        raise typer.Exit(2)
    settings = get_settings()
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    with Session(immediate_writes(engine)) as session, session.begin():
        row, key = create_key_sync(session, name, scope)
        err.print(f"created key {row.id} ({row.prefix}…) named {name!r} with scope {scope}")
    engine.dispose()
    sys.stdout.write(key + "\n")


register_gdelt(import_app)
register_changes(app)
register_index(app)
register_stories(app)


@app.command()
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True,
            help="NDJSON, JSON or RSS/Atom files, plain or .gz/.bz2/.zip, or directories of them.",
        ),
    ],
    server: Annotated[
        str | None, typer.Option(help="Post to this geonews server instead of the database.")
    ] = None,
    key: Annotated[
        str | None, typer.Option(envvar="GEONEWS_API_KEY", help="A write key for --server.")
    ] = None,
    batch: Annotated[
        int,
        typer.Option(
            min=1,
            max=10000,
            help="Articles per batch: one transaction into the database; one bulk request with --server "
            "(several when it is larger than the server's body limit).",
        ),
    ] = 1000,
    in_flight: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="With --server: bulk requests sent at a time (the server prepares one while it stores "
            "another). With more than 1 the server may store batches out of file order: which of two "
            "copies of an article in different batches is kept as the original can change.",
        ),
    ] = 1,
    retries: Annotated[
        int,
        typer.Option(
            min=0,
            max=100,
            help="With --server: times a body is sent again to a busy (503, 429, 502, 504) or unreachable "
            "server, after its Retry-After or a doubling wait (0.5 s, 1 s, ... at most 30 s).",
        ),
    ] = 6,
    allow_empty: Annotated[
        bool,
        typer.Option(help="Empty, ill-formed or unreadable files are warnings only, not a failed run."),
    ] = False,
    undated_as_ingested: Annotated[
        bool,
        typer.Option(
            help="Keep feed entries that have no date (and whose feed has none) with the ingestion time, "
            "marked date_source=ingested; without it they fail."
        ),
    ] = False,
) -> None:
    """Ingest article files: cleaned, deduplicated and linked, with a progress bar, every failure's file,
    record and reason, and a summary. Exit status 1 when nothing could be stored, or when a file was
    empty, ill-formed or unreadable (unless --allow-empty)."""
    from .articles.cli import run_ingest

    if server is None:  # into the database: migrated and seeded like `serve` (actors to link against)
        _prepare(seed_if_empty=True)
    report = run_ingest(
        files,
        server=server,
        key=key,
        batch=batch,
        console=err,
        undated_as_ingested=undated_as_ingested,
        in_flight=in_flight,
        retries=retries,
    )
    counts = report.counts()
    typer.echo(
        f"created {counts['created']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
        f"failed {counts['failed']}"
    )
    if report.stopped:  # said with the summary
        raise typer.Exit(1)
    stored = counts["created"] or counts["updated"] or counts["unchanged"]
    problems = report.file_problems()
    if problems and not allow_empty:
        err.print(
            f"[red]{len(problems)} file(s) gave no or partial articles (see above); --allow-empty accepts that[/]"
        )
        raise typer.Exit(1)
    if counts["failed"] and not stored:
        raise typer.Exit(1)


@app.command()
def relink(
    since: Annotated[
        datetime | None, typer.Option(help="Only articles published at or after this date (ISO 8601).")
    ] = None,
    after_id: Annotated[int, typer.Option(min=0, help="Resume after this article id.")] = 0,
    batch: Annotated[int, typer.Option(min=1, max=10000, help="Articles per transaction.")] = 500,
) -> None:
    """Run the actor linker again over stored articles (after actors or aliases were added or changed):
    mentions that differ are replaced and each changed article is recorded in the change log."""
    from rich.progress import Progress

    from .articles.relink import count, relink
    from .db import make_sync_engine

    _prepare(seed_if_empty=False)
    engine = make_sync_engine(get_settings())
    try:
        total = count(engine, since, after_id)
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("relinking", total=total)
            report = relink(
                engine,
                since=since,
                after_id=after_id,
                batch=batch,
                advance=lambda n: progress.advance(task, n),
            )
    finally:
        engine.dispose()
    typer.echo(
        f"scanned {report.scanned}, changed {report.changed} (mentions +{report.added} -{report.removed}); "
        f"last article id {report.last_id}"
    )


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
