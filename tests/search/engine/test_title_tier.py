"""The best hits of plain words (one, or a conjunction) looked for among the documents with every word in the
title (Reader._title_tier): the head of the full ranking or None, never a short or wrong page."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tantivy import Query as TQ

from app.search.engine import Filters, Reader, layout
from app.search.engine import reader as reader_module
from app.search.engine import schema as s
from app.search.engine.documents import ArticleDoc
from app.search.engine.indexer import Indexer
from app.search.engine.reader import MAX_TOP, _selectivity, _tier_bound
from app.search.engine.translate import analyze, combine, filter_query, text_query
from app.search.query import parse
from tests.search.engine.test_oracle import assert_head, resolve

# The tier answers the first six unfiltered in this corpus; the others have few or no titles with every
# word (the tier says None).
ANSWERED = ["ceasefire talks", "nuclear talks", "energy prices", "grain exports", "talks", "ceasefire"]
TEXTS = [*ANSWERED, "sanctions talks", "election talks nuclear", "grain sanctions -drone", "talks -ceasefire"]


def words_of(text: str) -> list[str]:
    return [analyze(t.words[0])[0] for c in parse(text).positive for t in c]


def indexed(root: Path, docs: list[ArticleDoc]) -> Reader:
    """A reader of a new index at `root` holding `docs` (committed as change 1)."""
    with Indexer.open(root) as indexer:
        indexer.upsert(docs)
        indexer.commit(1)
    return Reader(root)


@pytest.fixture
def tiered(monkeypatch: pytest.MonkeyPatch) -> None:
    """This small corpus's title words count as rare enough."""
    monkeypatch.setattr(reader_module, "TITLE_TIER_SHARE", 1.0)
    monkeypatch.setattr(reader_module, "TITLE_TIER_WORDS_SHARE", 1.0)


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"actor": ["russia", "united-states", "china"]},
        {"member_of": "nato"},  # dates: checked on the hits
        {"language": ["en", "de"], "actor_kind": ["country"]},
        {"source": ["TOP0", "TOP1"], "published_after": "2022-01-01T00:00:00"},
        {"published_after": "2022-01-01T00:00:00", "published_before": "2024-01-01T00:00:00"},  # dates alone
    ],
)
@pytest.mark.parametrize("text", TEXTS)
def test_the_title_tier_gives_the_rankings_head(world, tiered, text, case):
    _, q, filters = resolve(world, {"q": text, **case})
    snap = world.reader._versioned()
    searcher, bounds = snap.searcher, snap.bounds
    text_q = text_query(searcher, q)
    full = searcher.search(combine(text_q, filter_query(filters, bounds)), MAX_TOP, count=False).hits
    f = filters if case else None
    told = 0
    for want in (1, 6, 21):
        for share in {1.0, 0.5, _selectivity(searcher, filters, bounds)}:
            found = world.reader._title_tier(snap, q, want, f, share)
            if found is None:
                continue
            told += 1
            assert len(found) >= want  # all of them the ranking's head (the page cuts ties to the lower ids)
            assert_head(world, searcher, found, full, len(found))
    if not case and text in ANSWERED:
        assert told, text


@pytest.mark.parametrize("text", ANSWERED)
def test_matches_missing_a_title_word_score_at_most_the_bound(world, text):
    """The bound the tier relies on holds for every match outside it, and is not vacuous: the tier's
    best beat it."""
    snap = world.reader._versioned()
    searcher = snap.searcher
    words = words_of(text)
    title_max = world.reader._title_maxima(searcher, snap.version, words) if len(words) > 1 else []
    assert title_max is not None
    tau = _tier_bound(searcher, words, snap.max_doc, title_max)
    assert tau is not None
    full = searcher.search(text_query(searcher, parse(text)), MAX_TOP, count=False).hits
    every_title = TQ.boolean_query(
        [(reader_module.Occur.Must, TQ.term_query(s.schema(), s.TITLE, w)) for w in words]
    )
    ids = world.reader._ids
    tier = set(ids(searcher, [a for _, a in searcher.search(every_title, MAX_TOP, count=False).hits]))
    scored = zip((float(sc) for sc, _ in full), ids(searcher, [a for _, a in full]), strict=True)
    outside, inside = [], []
    for sc, i in scored:
        (inside if i in tier else outside).append(sc)
    assert outside and inside
    assert max(outside) <= tau
    assert max(inside) > tau
    # Each word's body score stays under its share of the bound: idf * (k1 + 1) with Tantivy's N.
    for w in words:
        best = float(searcher.search(TQ.term_query(s.schema(), s.BODY, w), 1, count=False).hits[0][0])
        limit = reader_module._idf(int(searcher.doc_freq(s.BODY, w)), snap.max_doc) * (
            1 + reader_module.BM25_K1
        )
        assert best <= limit
        assert best > 0.3 * limit  # a bound, not a guess far above the scores


def test_max_doc_counts_deleted_documents(world, tmp_path: Path):
    """Tantivy's BM25 counts deleted documents until a merge drops them: so does the snapshot's max_doc."""
    root = tmp_path / "index"
    shutil.copytree(world.index_dir, root, symlinks=True)
    reader = Reader(root)
    before = reader._versioned()
    assert before.max_doc == before.searcher.num_docs
    gen = layout.current(root)
    assert gen is not None
    writer = s.open_index(gen).writer(20_000_000, 1)
    victims = [h.id for h in reader.search(parse("talks"), sort="-published_at", limit=30).hits]
    writer.delete_documents_by_query(TQ.term_set_query(s.schema(), s.ID, victims))
    writer.commit()
    writer.wait_merging_threads()
    assert reader.reload()
    after = reader._versioned()
    assert after.searcher.num_docs == before.searcher.num_docs - len(victims)
    assert after.max_doc == before.max_doc


def test_the_planner_asks_the_title_tier_first(world, tiered, monkeypatch):
    calls: list[Any] = []
    plain = Reader._title_tier

    def spy(self, *args):
        found = plain(self, *args)
        calls.append(found is not None)
        return found

    q = parse("energy prices")
    expected = world.reader.search(q, sort="relevance", limit=MAX_TOP).hits
    monkeypatch.setattr(Reader, "_title_tier", spy)
    monkeypatch.setattr(reader_module, "LOOSE_MIN_SHARE", 0.0)  # this small corpus's words count as common
    page = world.reader.search(q, sort="relevance", limit=5)
    assert calls == [True]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[:5]]
    filtered = Filters(languages=["en"])
    expected = world.reader.search(q, filtered, sort="relevance", limit=MAX_TOP).hits
    page = world.reader.search(q, filtered, sort="relevance", limit=5)
    assert calls == [True, True]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[:5]]
    # A date window alone (which the words' disjunction does not take): the tier, dates read off the hits.
    window = Filters(published_after=datetime(2021, 6, 1))
    expected = world.reader.search(q, window, sort="relevance", limit=MAX_TOP).hits
    page = world.reader.search(q, window, sort="relevance", limit=5)
    assert calls == [True, True, True]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[:5]]
    calls.clear()
    monkeypatch.setattr(reader_module, "TITLE_TIER_WORDS_SHARE", 0.0)  # its rarest title word too common
    world.reader.search(q, sort="relevance", limit=5)
    assert calls == [False]
    # One word: the tier too.
    monkeypatch.setattr(reader_module, "TITLE_TIER_SHARE", 1.0)
    word = parse("talks")
    expected = world.reader.search(word, sort="relevance", limit=MAX_TOP).hits
    calls.clear()
    page = world.reader.search(word, sort="relevance", limit=5)
    assert calls == [True]
    assert [round(h.score, 4) for h in page.hits] == [round(h.score, 4) for h in expected[:5]]


def test_the_tier_says_none_when_a_match_outside_it_ranks_first(tmp_path: Path, monkeypatch):
    """A word in nearly every title weighs little there: a short title with the other word alone outranks
    the long titles with both. The tier's best do not beat what such a match may score: None, and the
    planner's page starts with the short titles."""
    monkeypatch.setattr(reader_module, "TITLE_TIER_WORDS_SHARE", 1.0)
    monkeypatch.setattr(reader_module, "LOOSE_MIN_SHARE", 0.0)
    filler = "the delegation met officials from several regional governments during a long and tiring week"
    day = datetime(2024, 1, 1)

    def doc(i: int, title: str, body: str) -> ArticleDoc:
        return ArticleDoc(i, title, f"{body} {filler}", "example.org", "en", day + timedelta(hours=i))

    docs = [doc(i, f"Talks resume on trade {i}", "Officials held talks.") for i in range(1, 201)]
    docs += [
        doc(i, f"Ceasefire talks drag on as {filler}", "The ceasefire talks went on.")
        for i in range(201, 211)
    ]
    docs += [doc(i, "Ceasefire", "Mediators pushed ceasefire talks.") for i in range(211, 214)]
    reader = indexed(tmp_path / "index", docs)
    q = parse("ceasefire talks")
    snap = reader._versioned()
    text_q = text_query(snap.searcher, q)
    full = reader._ids(snap.searcher, [a for _, a in snap.searcher.search(text_q, 5, count=False).hits])
    assert set(full[:3]) == {211, 212, 213}  # the short titles first
    assert reader._title_tier(snap, q, 5, None, 1.0) is None
    assert [h.id for h in reader.search(q, sort="relevance", limit=5).hits][:3] == sorted(full[:3])


def test_a_snapshot_keeps_its_words_title_maxima_and_the_next_reads_them_again(tmp_path: Path):
    """The tier's bound takes each word's best title score from the snapshot it searches: searched once
    a snapshot, then kept; a commit that adds a better title is seen by the next snapshot's bound."""
    day = datetime(2024, 1, 1)
    filler = "officials met for a long meeting with many delegations present over several days"
    docs = [
        ArticleDoc(i, f"Ceasefire talks resume after {filler}", "The ceasefire talks resumed.", "example.org",
                   "en", day + timedelta(hours=i))
        for i in range(1, 31)
    ]  # fmt: skip
    root = tmp_path / "index"
    reader = indexed(root, docs)
    words = words_of("ceasefire talks")
    snap = reader._versioned()
    searched: list[Any] = []

    class Counting:  # the snapshot's searcher, counting its searches
        def __init__(self, searcher: Any) -> None:
            self.searcher = searcher

        def search(self, *args: Any, **kw: Any) -> Any:
            searched.append(args)
            return self.searcher.search(*args, **kw)

    first = reader._title_maxima(Counting(snap.searcher), snap.version, words)
    assert first is not None and len(searched) == 2
    assert reader._title_maxima(Counting(snap.searcher), snap.version, words) == first
    assert len(searched) == 2  # kept for the snapshot
    assert reader._title_maxima(Counting(snap.searcher), snap.version, [*words, "nowher"]) is None
    with Indexer.open(root) as indexer:  # a short title: a higher title score for both words
        indexer.upsert([ArticleDoc(99, "Ceasefire talks", "Talks on a ceasefire.", "example.org", "en", day)])
        indexer.commit(2)
    assert reader.reload()
    after = reader._versioned()
    again = reader._title_maxima(after.searcher, after.version, words)
    assert again is not None and all(a > b for a, b in zip(again, first, strict=True))
    best = [
        float(after.searcher.search(TQ.boost_query(TQ.term_query(s.schema(), s.TITLE, w), s.TITLE_BOOST), 1,
                                    count=False).hits[0][0])
        for w in words
    ]  # fmt: skip
    assert again == best
