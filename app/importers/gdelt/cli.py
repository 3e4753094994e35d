"""`geonews import gdelt EXPORT [EXPORT…] [--mentions MENTIONS…]`: the GDELT 2.0 importer on the command line.

A positional file whose name contains "mentions" is taken as a mentions file, so the form in the API
documentation, `geonews import gdelt EXPORT.CSV MENTIONS.CSV`, works as it reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ...config import get_settings
from .files import DEFAULT_BATCH, input_bytes, is_mentions_file

err = Console(stderr=True)

FileArg = Annotated[
    list[Path] | None,
    typer.Argument(
        metavar="FILE",
        exists=True,
        dir_okay=False,
        readable=True,
        help="GDELT 2.0 export files (*.export.CSV, plain or .zip); names containing 'mentions' are mentions files.",
    ),
]
MentionsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--mentions",
        "-m",
        exists=True,
        dir_okay=False,
        readable=True,
        help="A GDELT 2.0 mentions file (*.mentions.CSV, plain or .zip); repeatable.",
    ),
]


def register(import_app: typer.Typer) -> None:
    """Add the `gdelt` command to `geonews import`."""
    import_app.command("gdelt")(gdelt)


def gdelt(
    files: FileArg = None,
    mentions: MentionsOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction.")] = DEFAULT_BATCH,
    no_seed: Annotated[
        bool, typer.Option("--no-seed", help="Do not seed an empty database (actors will not resolve).")
    ] = False,
    show_skipped: Annotated[int, typer.Option(min=0, help="How many skipped rows to list.")] = 20,
) -> None:
    """Import GDELT 2.0 events (and the articles that mention them) into the database, idempotently."""
    from ...db import make_sync_engine
    from ...migrate import prepare_database
    from .importer import import_gdelt

    files = files or []
    exports = [f for f in files if not is_mentions_file(f)]
    mention_files = [f for f in files if is_mentions_file(f)] + list(mentions or [])
    if not exports and not mention_files:
        err.print("[red]give at least one GDELT export or mentions file[/]")
        raise typer.Exit(2)
    settings = get_settings()
    prepare_database(settings, seed_if_empty=not no_seed, say=err.print)
    engine = make_sync_engine(settings)
    try:
        total = sum(input_bytes(f) for f in exports + mention_files)
        columns = (
            TextColumn("[bold]gdelt[/]"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task("import", total=total)
            report = import_gdelt(
                engine,
                exports,
                mention_files,
                batch_size=batch_size,
                progress=lambda n: bar.advance(task, n),
            )
            bar.update(task, completed=total)
    finally:
        engine.dispose()

    typer.echo(report.summary())
    if report.skipped:
        err.print(f"[yellow]{report.rows_skipped} row(s) skipped[/]:")
        for row in report.skipped[:show_skipped]:
            err.print(f"  {row}", markup=False, highlight=False)
        if report.rows_skipped > show_skipped:
            err.print(f"  … and {report.rows_skipped - show_skipped} more")
