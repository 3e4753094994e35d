"""Facets over a text matching most of the index are counted over the documents it does not match and
subtracted from the snapshot's totals (Reader.facets): the same counts as counting the matches, and never
a previous snapshot's totals."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from tantivy import Query as TQ

from app.search.engine import Reader, layout
from app.search.engine import reader as reader_module
from app.search.engine import schema as s
from app.search.engine.reader import COMPLEMENT_SHARE, FACET_FIELDS
from app.search.query import Query, parse
from bench.corpus import SEARCH_TERMS

NAMES = list(FACET_FIELDS)


def common_query(reader: Reader) -> Query:
    """The corpus's most common topic word: it matches more than COMPLEMENT_SHARE of the index."""
    word = max(SEARCH_TERMS, key=lambda t: reader.count(parse(t)))
    q = parse(word)
    assert reader.count(q) >= COMPLEMENT_SHARE * reader.num_docs, word
    return q


def direct(reader: Reader, q: Query | None, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> dict[str, Any]:
    """The facets counted over the matches themselves (no complement, no kept totals)."""
    with monkeypatch.context() as m:
        m.setattr(reader_module, "COMPLEMENT_SHARE", float("inf"))
        m.setattr(Reader, "_cached_totals", lambda *a: None)
        m.setattr(Reader, "_warm_totals", lambda *a: None)
        fresh = Reader(reader.root)
        if q is None:  # a filter that keeps everything: the whole index counted as filtered facets are
            return fresh.facets(None, reader_module.Filters(max_id=10**15), NAMES, **kw)
        return fresh.facets(q, None, NAMES, **kw)


def spy_complement(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = reader_module._complement_counts

    def counted(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(reader_module, "_complement_counts", counted)
    return calls


@pytest.mark.parametrize("top", [5, 10_000])
def test_complement_equals_counting_the_matches(world, monkeypatch, top):
    reader = Reader(world.index_dir)
    q = common_query(reader)
    expected = direct(reader, q, monkeypatch, top=top)
    calls = spy_complement(monkeypatch)
    assert reader.facet_totals(NAMES) is not None
    got = reader.facets(q, None, NAMES, top=top)
    assert calls == [1]
    assert got == expected
    assert got["actor"] and got["source"]


def test_whole_index_facets_are_the_totals(world, monkeypatch):
    reader = Reader(world.index_dir)
    got = reader.facets(None, None, NAMES, top=10_000)
    assert got == direct(reader, None, monkeypatch, top=10_000)
    assert sum(f["count"] for f in got["source"]) == reader.num_docs


def test_first_request_counts_directly_and_warms_the_totals(world, monkeypatch):
    reader = Reader(world.index_dir)
    q = common_query(reader)
    calls = spy_complement(monkeypatch)
    first = reader.facets(q, None, ["source", "actor"])
    assert calls == []  # no totals yet: counted directly, the totals counted by a thread
    deadline = time.monotonic() + 30
    while reader._cached_totals(reader._versioned()[3], ["source", "actor"]) is None:
        assert time.monotonic() < deadline, "the totals were never counted"
        time.sleep(0.01)
    assert reader.facets(q, None, ["source", "actor"]) == first
    assert calls == [1]


def test_filters_and_rare_texts_are_counted_directly(world, monkeypatch):
    reader = Reader(world.index_dir)
    q = common_query(reader)
    reader.facet_totals(NAMES)
    calls = spy_complement(monkeypatch)
    reader.facets(q, reader_module.Filters(languages=["en"]), NAMES)
    reader.facets(parse("zzzqqq"), None, NAMES)
    assert calls == []


def test_a_new_snapshot_never_uses_the_last_ones_totals(world, monkeypatch, tmp_path: Path):
    """Totals kept for one snapshot, then documents deleted and committed: the next answer counts the
    snapshot it reads (with the old totals it would count the deleted documents)."""
    root = tmp_path / "index"
    shutil.copytree(world.index_dir, root, symlinks=True)
    reader = Reader(root)
    q = common_query(reader)
    reader.facet_totals(NAMES)
    before = reader.facets(q, None, NAMES, top=10_000)

    gen = layout.current(root)
    assert gen is not None
    index = s.open_index(gen)
    writer = index.writer(20_000_000, 1)
    victims = [h.id for h in reader.search(q, sort="-published_at", limit=40).hits]
    writer.delete_documents_by_query(TQ.term_set_query(s.schema(), s.ID, victims))
    writer.commit()
    writer.wait_merging_threads()
    assert reader.reload()

    reader.facet_totals(NAMES)  # this snapshot's totals
    calls = spy_complement(monkeypatch)
    after = reader.facets(q, None, NAMES, top=10_000)
    assert calls == [1]
    assert after == direct(reader, q, monkeypatch, top=10_000)
    assert sum(f["count"] for f in after["source"]) == sum(f["count"] for f in before["source"]) - len(
        victims
    )


def test_a_facet_with_more_values_than_kept_is_counted_directly(world, monkeypatch):
    """Totals are kept only while every value fits: with room for fewer values than the actors mentioned,
    the actor facet has no totals, and a common word's facets are counted over its matches."""
    reader = Reader(world.index_dir)
    q = common_query(reader)
    expected = direct(reader, q, monkeypatch, top=10_000)
    monkeypatch.setattr(reader_module, "TOTALS_SIZE", 2 * 10)  # ten values a facet, for two facets
    assert reader.facet_totals(["source", "actor"]) is None
    calls = spy_complement(monkeypatch)
    got = reader.facets(q, None, ["source", "actor"], top=10_000)
    assert calls == []
    assert got == {name: expected[name] for name in ("source", "actor")}
    assert len(got["actor"]) > 10
