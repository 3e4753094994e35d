"""Two-word phrases are one term of the word-pair fields (schema.PAIR_FIELDS): they must find exactly the
documents a positional phrase query finds, field by field, on the engine tests' indexed corpus."""

from __future__ import annotations

import tantivy
from tantivy import Query as TQ

from app.search.engine import schema as s
from app.search.engine.translate import _field_query, analyze
from app.search.query import Term

# Common pairs of the generated bodies, the same words in the other order (rarer), pairs with a very
# common word on either side, a dotted abbreviation (one word, two tokens) and two words that may never
# be adjacent.
PHRASES = [
    ("ceasefire", "talks"),
    ("talks", "ceasefire"),
    ("the", "sanctions"),
    ("said", "the"),
    ("U.S.",),
    ("energy", "prices"),
    ("sanctions", "lithium"),
]


def _addresses(searcher: tantivy.Searcher, query: TQ) -> set[tuple[int, int]]:
    return {(a.segment_ord, a.doc) for _, a in searcher.search(query, 10_000).hits}


def test_a_two_word_phrase_is_a_pair_term_with_the_phrase_query_matches(world):
    searcher = world.reader.searcher()
    sch = s.schema()
    found = 0
    for words in PHRASES:
        tokens = [t for w in words for t in analyze(w)]
        assert len(tokens) == 2, words
        for field in s.TEXT_FIELDS:
            translated = _field_query(searcher, field, Term(words=words))
            pair = TQ.term_query(sch, s.PAIR_FIELDS[field], s.pair(*tokens))
            positional = TQ.phrase_query(sch, field, list[str | tuple[int, str]](tokens))
            expected = _addresses(searcher, positional)
            assert _addresses(searcher, pair) == expected, (words, field)
            assert repr(translated) == repr(pair), (words, field)  # no position check left
            found += len(expected)
    assert found > 100  # the phrases do occur: the comparison is not between empty sets


def test_pairs_join_adjacent_analysed_tokens_and_longer_phrases_check_positions(world):
    assert s.word_pairs("Energy prices rose.") == "energi_price price_rose"
    assert s.word_pairs("Sanctions") == ""
    assert s.word_pairs("") == ""
    three = _field_query(world.reader.searcher(), s.BODY, Term(words=("energy", "prices", "rose")))
    assert "PhraseQuery" in repr(three)
