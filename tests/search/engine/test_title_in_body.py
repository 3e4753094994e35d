"""The body field holds the title too (schema version 4): a term matches a document exactly where its body
query does, a conjunction is an intersection of body queries with the title queries only adding to the
score, and no phrase or word pair spans the title and the body."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import tantivy
from tantivy import Query as TQ

from app.search.engine import schema as s
from app.search.engine.documents import ArticleDoc
from app.search.engine.reader import Reader
from app.search.engine.translate import combine, ids_query, text_query
from app.search.query import parse

WORDS = ["sanctions", "talks", "ceasefire", "summit", "energy"]


def _addresses(searcher: tantivy.Searcher, query: TQ) -> set[tuple[int, int]]:
    return {(a.segment_ord, a.doc) for _, a in searcher.search(query, 100_000).hits}


@pytest.mark.parametrize("word", WORDS)
def test_every_title_match_is_a_body_match(world, word):
    searcher = world.reader.searcher()
    sch = s.schema()
    [token] = s.analyzer().analyze(word)
    titled = _addresses(searcher, TQ.term_query(sch, s.TITLE, token))
    assert titled, "the word should be in some titles"
    assert titled <= _addresses(searcher, TQ.term_query(sch, s.BODY, token))


@pytest.mark.parametrize("text", ["sanctions talks", "ceasefire talks summit", "energy sanctions -drone"])
def test_a_conjunction_scores_the_sum_of_its_clauses(world, text):
    """The intersection of body queries with optional title queries scores each document as the sum of
    its clauses' own scores, each a disjunction of (title boosted, body): what the text scored as a
    conjunction of those disjunctions."""
    searcher = world.reader.searcher()
    query = parse(text)
    hits = searcher.search(text_query(searcher, query), 60).hits
    assert len(hits) >= 10
    ids = world.reader._ids(searcher, [a for _, a in hits])
    total = dict.fromkeys(ids, 0.0)
    for word in [w for w in text.split() if not w.startswith("-")]:
        only = combine(text_query(searcher, parse(word)), ids_query(ids))  # the ids score nothing
        found = searcher.search(only, len(ids)).hits
        assert len(found) == len(ids), word  # every hit of the conjunction matches each of its words
        for (score, _), i in zip(found, world.reader._ids(searcher, [a for _, a in found]), strict=True):
            total[i] += score
    for (score, _), i in zip(hits, ids, strict=True):
        assert score == pytest.approx(total[i], rel=1e-5), i


@pytest.fixture
def tiny(tmp_path: Path) -> Reader:
    """Three articles in an index of their own."""
    root = tmp_path / "index"
    gen = root / "gen-000001"
    index = s.create_index(gen)
    writer = index.writer(50_000_000, 1)
    docs = [
        ArticleDoc(1, "Ceasefire talks", "Resume now. Envoys met in Doha.", "a", "en", datetime(2024, 1, 1)),
        ArticleDoc(2, "Tariffs", "The talks went on for days.", "a", "en", datetime(2024, 1, 2)),
        ArticleDoc(3, "Other news", "Ceasefire talks resume in Doha.", "a", "en", datetime(2024, 1, 3)),
    ]
    for doc in docs:
        writer.add_json(doc.to_json())
    writer.commit()
    from app.search.engine import layout

    layout.write_meta(gen, layout.IndexMeta.now(seq=0, docs=len(docs), generation=1))
    (root / layout.CURRENT).symlink_to(gen.name)
    return Reader(root)


def _found(reader: Reader, q: str) -> list[int]:
    return sorted(h.id for h in reader.search(parse(q), limit=10).hits)


def test_no_phrase_spans_the_title_and_the_body(tiny):
    assert _found(tiny, '"talks resume"') == [
        3
    ]  # article 1: "…talks" ends its title, "Resume…" starts its body
    assert _found(tiny, '"ceasefire talks resume"') == [3]
    assert _found(tiny, '"ceasefire talks"') == [1, 3]


def test_a_word_of_the_title_alone_meets_a_word_of_the_body(tiny):
    assert _found(tiny, "tariffs talks") == [2]
    assert _found(tiny, "ceasefire doha") == [1, 3]
    assert _found(tiny, "talks -tariffs") == [1, 3]
    ranked = tiny.search(parse("ceasefire talks"), limit=10).hits
    assert [h.id for h in ranked] == [1, 3]  # in the title: boosted
