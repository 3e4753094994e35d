"""`geonews index rebuild` and `geonews index status`: the search index from the database."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from ..config import get_settings


def register(parent: typer.Typer) -> None:
    index_app = typer.Typer(help="The search index.", no_args_is_help=True)
    parent.add_typer(index_app, name="index")

    @index_app.command("rebuild")
    def rebuild_cmd(
        batch: Annotated[int, typer.Option(min=100, max=100_000, help="Articles read per batch.")] = 2_000,
    ) -> None:
        """Build the search index from the database (resumable; the serving index is switched when done)."""
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from .. import migrate
        from ..db import make_sync_engine
        from ..models import Change
        from .engine import rebuild
        from .index import index_dir

        settings = get_settings()
        migrate.upgrade(settings)
        engine = make_sync_engine(settings)
        try:
            with Session(engine) as session:
                head = session.scalar(select(func.max(Change.seq))) or 0
            started = time.perf_counter()
            report = rebuild(engine, index_dir(settings), seq=head, batch=batch, progress=True)
        finally:
            engine.dispose()
        elapsed = time.perf_counter() - started
        typer.echo(f"{report}; {elapsed:.1f} s")

    @index_app.command("status")
    def status_cmd() -> None:
        """Where the index is, its schema, the last change it shows, its size."""
        from .engine import status
        from .index import index_dir

        root = index_dir(get_settings())
        st = status(root)
        size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.exists() else 0
        meta = st.meta.__dict__ if st.meta else None
        out = {"dir": str(root), "exists": st.exists, "schema_ok": st.schema_ok, "readable": st.readable,
               "building": st.building, "meta": meta, "bytes": size}  # fmt: skip
        typer.echo(json.dumps(out, indent=1))
