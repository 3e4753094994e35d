"""`geonews changes follow` (the stream as NDJSON, resuming after disconnects) and `geonews changes prune`."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console

from ..config import get_settings

err = Console(stderr=True)


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-Sent Events from a stream of lines: {"id", "event", "data"} per event; comments skipped."""
    event: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield {**event, "data": "\n".join(data)}
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("id", "event"):
            event[name] = value


def follow(
    server: str,
    params: dict[str, Any],
    *,
    after: int | None,
    count: int | None,
    out: Any = sys.stdout,
    key: str | None = None,
) -> int:
    """Print each change as one JSON line; reconnect with Last-Event-ID when the connection drops."""
    import httpx  # here: every `geonews` command imports this module, few follow a server

    last = after
    printed = 0
    delay = 0.5
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    while count is None or printed < count:
        query = dict(params)
        if last is not None:
            query["after"] = last
        try:
            with (
                httpx.Client(
                    base_url=server.rstrip("/"), headers=headers, timeout=httpx.Timeout(10, read=60)
                ) as c,
                c.stream("GET", "/v1/changes/stream", params=query) as r,
            ):
                if r.status_code != 200:
                    r.read()
                    err.print(f"[red]{r.status_code}: {r.text[:500]}[/]")
                    return 1
                delay = 0.5
                for ev in sse_events(r.iter_lines()):
                    if ev.get("event") == "overflow":
                        err.print("[yellow]fell behind; resuming[/]")
                        break
                    out.write(ev["data"] + "\n")
                    out.flush()
                    last = int(ev["id"])
                    printed += 1
                    if count is not None and printed >= count:
                        return 0
        except httpx.HTTPError as exc:
            err.print(f"[yellow]connection lost ({exc.__class__.__name__}); reconnecting after {last}[/]")
            time.sleep(delay)
            delay = min(delay * 2, 10)
    return 0


def register(parent: typer.Typer) -> None:
    changes_app = typer.Typer(help="The change feed.", no_args_is_help=True)
    parent.add_typer(changes_app, name="changes")

    @changes_app.command("follow")
    def follow_cmd(
        server: Annotated[str, typer.Option(help="The geonews server.")] = "http://127.0.0.1:8000",
        after: Annotated[int | None, typer.Option(help="Start after this seq (default: from now).")] = None,
        entity: Annotated[
            list[str] | None, typer.Option(help="article, actor, relation, event, claim…")
        ] = None,
        actor: Annotated[list[str] | None, typer.Option(help="Changes concerning this actor.")] = None,
        member_of: Annotated[str | None, typer.Option(help="… or a member of this alliance then.")] = None,
        source: Annotated[list[str] | None, typer.Option(help="Articles from this source.")] = None,
        count: Annotated[int | None, typer.Option(help="Stop after this many changes.")] = None,
        key: Annotated[
            str | None, typer.Option(envvar="GEONEWS_API_KEY", help="A read key, if required.")
        ] = None,
    ) -> None:
        """Print the change stream as NDJSON (one change a line), resuming after disconnects."""
        params: dict[str, Any] = {}
        for name, value in (("entity", entity), ("actor", actor), ("source", source)):
            if value:
                params[name] = value
        if member_of:
            params["member_of"] = member_of
        raise typer.Exit(follow(server, params, after=after, count=count, key=key))

    @changes_app.command("prune")
    def prune_cmd(
        older_than_days: Annotated[
            float | None,
            typer.Option(help="Drop changes older than this (default: GEONEWS_CHANGES_RETENTION_DAYS)."),
        ] = None,
    ) -> None:
        """Drop old changes; consumers positioned before them get 410 Gone and where to restart."""
        from sqlalchemy.orm import Session

        from .. import migrate
        from ..db import make_sync_engine
        from ..dialect import immediate_writes
        from .service import prune_older

        settings = get_settings()
        migrate.upgrade(settings)
        days = older_than_days if older_than_days is not None else settings.changes_retention_days
        engine = make_sync_engine(settings)
        try:
            # BEGIN IMMEDIATE on SQLite: it reads, then deletes, beside a running server's writers.
            with Session(immediate_writes(engine)) as session, session.begin():
                deleted, through = prune_older(session, days)
        finally:
            engine.dispose()
        typer.echo(f"pruned {deleted} changes; positions before {through} now answer 410")
