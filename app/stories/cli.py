"""`geonews stories assign`: stories for the articles stored before stories existed (or by a path that
does not assign them, such as the GDELT importer), oldest first, in batches, each its own transaction."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ..config import get_settings

err = Console(stderr=True)


def register(parent: typer.Typer) -> None:
    stories_app = typer.Typer(help="Stories: articles grouped by story.", no_args_is_help=True)
    parent.add_typer(stories_app, name="stories")

    @stories_app.command("assign")
    def assign_cmd(
        batch: Annotated[int, typer.Option(min=1, max=10_000, help="Articles per transaction.")] = 500,
    ) -> None:
        """Give every article without a story its story (resumable: stops when none is left)."""
        from sqlalchemy.orm import Session

        from .. import migrate
        from ..db import make_sync_engine
        from ..dialect import immediate_writes
        from .service import assign_unassigned

        settings = get_settings()
        migrate.upgrade(settings)
        engine = make_sync_engine(settings)
        total = 0
        try:
            while True:
                # A batch reads, then writes: on SQLite it begins IMMEDIATE, so that a server writing
                # beside it makes it wait for the lock, not fail to upgrade its read lock.
                with Session(immediate_writes(engine)) as session, session.begin():
                    done = assign_unassigned(session, batch)
                if not done:
                    break
                total += done
                err.print(f"{total} articles assigned")
        finally:
            engine.dispose()
        print(total)
