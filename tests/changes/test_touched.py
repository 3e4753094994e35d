"""What the search index reads of the change log (changes.repository.touched) is the same on the driver's
cursor (an inline SQLite session) as through SQLAlchemy's rows: every column, an actor's data decoded."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session

from app import migrate, outbox
from app.changes import repository
from app.db import Database, fetch, make_sync_engine
from app.inline import InlineSession


def test_the_changes_the_index_reads_are_the_same_on_the_cursor_and_through_core(settings):
    migrate.upgrade(settings)
    engine = make_sync_engine(settings)
    with Session(engine) as s, s.begin():
        outbox.record(s, "actor", "updated", 7, {"kind": "country", "country": "JPN"}, actor_ids=[7])
        for i in range(5):
            outbox.record(s, "article", "created", 100 + i, {"title": f"t{i}"}, actor_ids=[7])
        outbox.record(s, "actor", "deleted", 8, None, actor_ids=[8])
    engine.dispose()

    async def run() -> tuple[list[dict], list[dict], bool]:
        db = Database(settings)
        try:
            async with db.reader() as session:
                got = await repository.touched(session, 0, 100)
                core = [
                    dict(r)
                    for r in (
                        await fetch(session, repository._TOUCHED_PAGE, {"after": 0, "limit": 100})
                    ).mappings()
                ]
                return got, core, isinstance(session, InlineSession)
        finally:
            await db.dispose()

    got, core, inline = asyncio.run(run())
    assert got == core
    assert [r["entity"] for r in got][-7:] == ["actor", *["article"] * 5, "actor"]
    actor = [r for r in got if r["entity_id"] == 7 and r["entity"] == "actor"][-1]
    assert actor["data"] == {"kind": "country", "country": "JPN"}
    assert all(r["data"] is None for r in got if r["entity"] == "article")
    if settings.database_url.startswith("sqlite"):
        assert inline  # the cursor's path was the one compared
