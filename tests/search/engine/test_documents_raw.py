"""On SQLite the index's documents are read on the driver's cursor (`_build` with its statements compiled
once): the same documents as SQLAlchemy Core reads, by ids and by id range, over the generated corpus
(mentions, events, places, duplicates, creation dates)."""

from __future__ import annotations

import pytest

from app.search.engine import repository


def test_raw_reads_build_the_documents_core_builds(world):
    if world.engine_name != "sqlite":
        pytest.skip("the raw reads are SQLite's; PostgreSQL reads through Core")
    ids = sorted(world.corpus.ids)
    assert len(ids) > 100
    picked = ids[::3] + [max(ids) + 10_000]  # and an id with no article
    with world.sync.connect() as conn:
        raw = repository._build(conn, {"ids": picked})
        core = repository._build(conn, {"ids": picked}, raw=False)
        spanned = repository._build(conn, {"lo": ids[10], "hi": ids[-10]})
        spanned_core = repository._build(conn, {"lo": ids[10], "hi": ids[-10]}, raw=False)
        assert repository.documents_for(conn, picked) == raw
    assert raw == core and len(raw) == len(picked) - 1
    assert spanned == spanned_core and [d.id for d in spanned] == [i for i in ids if ids[10] <= i <= ids[-10]]
    # The corpus exercises every part of a document.
    assert any(d.actor_ids and d.actor_kinds and d.countries for d in raw)
    assert any(d.event_ids for d in raw) and any(d.place_ids for d in raw)
    assert any(d.duplicate_of for d in spanned) and all(d.created_at is not None for d in raw)
    assert {type(d.published_at).__name__ for d in raw} == {"datetime"}
