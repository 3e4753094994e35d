"""The stories a batch creates (`repository.NewStories`): on SQLite numbered after the first one and
inserted together when flushed, on PostgreSQL inserted one by one; either way every story exists with its
values once flushed, the ids are new and increasing, and a flush for stories that are not waiting inserts
nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_sync_engine
from app.dialect import immediate_writes
from app.models import Story
from app.stories import repository


def _stored(session: Session) -> dict[int, tuple[str, datetime, int]]:
    rows = session.execute(select(Story.id, Story.title, Story.first_seen, Story.article_count))
    return {sid: (title, first, count) for sid, title, first, count in rows}


def test_new_stories_are_numbered_then_inserted_together(client, settings):
    engine = make_sync_engine(settings)
    try:
        with Session(immediate_writes(engine)) as session, session.begin():
            before = _stored(session)
            top = max(before, default=0)
            new = repository.NewStories(session)
            at = [datetime(2026, 6, 1, h) for h in range(5)]
            ids = [new.new(f"story {k}", at[k]) for k in range(3)]
            sqlite = engine.dialect.name == "sqlite"
            # The first is inserted at once; on SQLite the rest wait, numbered after it.
            assert set(_stored(session)) - set(before) == ({ids[0]} if sqlite else set(ids))
            new.flush([top + 10_000])  # none of these is waiting: nothing inserted
            assert len(_stored(session)) == len(before) + (1 if sqlite else 3)
            new.flush([ids[2]])
            ids += [new.new(f"story {k}", at[k]) for k in (3, 4)]
            new.flush()
            after = _stored(session)
            assert ids == sorted(ids) and ids[0] > top and len(set(ids)) == 5
            if sqlite:
                assert ids == list(range(ids[0], ids[0] + 5))
            assert {sid: after[sid] for sid in ids} == {
                sid: (f"story {k}", at[k], 0) for k, sid in enumerate(ids)
            }
            assert session.scalar(select(func.count()).select_from(Story)) == len(before) + 5
    finally:
        engine.dispose()
