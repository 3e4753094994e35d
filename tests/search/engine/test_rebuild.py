"""Rebuilds: complete from SQL, resumable after an interruption, beside the serving index, one at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tantivy
from sqlalchemy import Engine, select

from app.db import make_sync_engine
from app.models import Article
from app.search.engine import (
    SCHEMA_VERSION,
    Filters,
    Reader,
    RebuildRunning,
    documents_for,
    layout,
    rebuild,
    status,
)
from app.search.engine import schema as s
from app.search.engine.documents import ArticleDoc
from app.search.query import parse
from tests.search.engine.corpus import build
from tests.search.engine.test_indexer import index_state

FAST = {"progress": False, "heap_bytes": 20_000_000, "threads": 1}


class Stop(Exception):
    pass


@pytest.fixture
def engine(settings) -> Iterator[Engine]:
    e = make_sync_engine(settings)
    yield e
    e.dispose()


def sql_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(Article.id).order_by(Article.id)).scalars())


def test_rebuild_indexes_every_article_with_its_links(engine, tmp_path):
    built = build(engine, n=80)
    report = rebuild(engine, tmp_path, seq=7, batch=16, commit_every=32, **FAST)
    assert report.docs == report.indexed == len(built.ids) and report.resumed_from == 0
    assert report.docs_per_s > 0
    st = status(tmp_path)
    assert st.exists and st.schema_ok and not st.needs_rebuild and not st.building
    assert st.meta is not None and (st.meta.seq, st.meta.docs, st.meta.schema_version) == (
        7,
        len(built.ids),
        SCHEMA_VERSION,
    )
    state, n = index_state(tmp_path)
    assert sorted(state) == sql_ids(engine) and n == len(state)
    # The documents carry what the filters read: every article is found by each of its actors and events.
    reader = Reader(tmp_path)
    with engine.connect() as conn:
        docs = documents_for(conn, built.ids)
    for doc in docs[:: max(1, len(docs) // 10)]:
        for actor_id in doc.actor_ids:
            assert doc.id in {
                h.id for h in reader.search(None, Filters(actor_ids=[actor_id]), limit=500).hits
            }
        for event_id in doc.event_ids:
            assert doc.id in {h.id for h in reader.search(None, Filters(event_id=event_id), limit=500).hits}
    assert any(d.event_ids for d in docs) and any(d.duplicate_of for d in docs)
    assert reader.count(None, Filters(exclude_duplicates=True)) == sum(
        1 for d in docs if d.duplicate_of is None
    )


def test_interrupted_rebuild_resumes_where_it_stopped(engine, tmp_path):
    build(engine, n=90)
    ids = sql_ids(engine)
    commits: list[int] = []

    def stop_after_two(last_id: int, docs: int) -> None:
        commits.append(last_id)
        if len(commits) == 2:
            raise Stop

    with pytest.raises(Stop):
        rebuild(engine, tmp_path, seq=5, batch=10, commit_every=20, on_commit=stop_after_two, **FAST)
    assert status(tmp_path).building and not status(tmp_path).exists
    building = layout.building_dirs(tmp_path)[0]
    # The process "died" after Tantivy committed a further batch it had not recorded yet: those documents
    # (ids above the recorded point) must not be indexed twice.
    index = s.open_index(building)
    writer = index.writer(15_000_000, 1)
    recorded = commits[-1]
    for article_id in [i for i in ids if i > recorded][:7]:
        writer.add_json(
            ArticleDoc(id=article_id, title="stale", body="stale copy", source="x", language=None,
                       published_at=__import__("datetime").datetime(2024, 1, 1)).to_json()
        )  # fmt: skip
    writer.commit()
    writer.wait_merging_threads()
    del writer, index

    report = rebuild(engine, tmp_path, seq=99, batch=10, commit_every=20, **FAST)
    assert report.resumed_from == recorded
    assert report.seq == 5  # the interrupted build's starting position, not the later one
    assert report.indexed == len([i for i in ids if i > recorded])
    state, n = index_state(tmp_path)
    assert sorted(state) == ids and n == len(ids)
    assert Reader(tmp_path).count(parse("stale")) == 0
    assert not status(tmp_path).building


def test_rebuild_switches_atomically_while_the_old_index_serves(engine, tmp_path):
    build(engine, n=40)
    rebuild(engine, tmp_path, seq=1, **FAST)
    reader = Reader(tmp_path)
    old_gen, old_count = reader.generation, reader.count(None)
    with engine.begin() as conn:
        conn.execute(Article.__table__.delete().where(Article.id == sql_ids(engine)[-1]))
    rebuild(engine, tmp_path, seq=2, **FAST)
    # Until it reloads, the reader keeps answering from the generation it opened.
    assert reader.generation == old_gen and reader.count(None) == old_count
    assert reader.reload() and reader.generation != old_gen
    assert reader.count(None) == old_count - 1 and reader.seq == 2
    rebuild(engine, tmp_path, seq=3, **FAST)
    gens = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("gen-"))
    assert gens == ["gen-000002", "gen-000003"]  # the oldest went at the next switch


def test_one_rebuild_at_a_time(engine, tmp_path):
    with layout.flock(tmp_path / "rebuild.lock", blocking=False) as taken:
        assert taken
        with pytest.raises(RebuildRunning):
            rebuild(engine, tmp_path, **FAST)


def test_status_asks_for_a_rebuild_on_a_schema_change(engine, tmp_path):
    assert status(tmp_path).needs_rebuild
    rebuild(engine, tmp_path, **FAST)
    assert not status(tmp_path).needs_rebuild
    gen = layout.current(tmp_path)
    assert gen is not None
    meta = layout.read_meta(gen)
    assert meta is not None
    layout.write_meta(gen, layout.IndexMeta.now(seq=meta.seq, docs=meta.docs, generation=meta.generation,
                                                 schema_version=SCHEMA_VERSION - 1))  # fmt: skip
    st = status(tmp_path)
    assert st.exists and not st.schema_ok and st.needs_rebuild
    assert tantivy.Index.exists(str(gen))
