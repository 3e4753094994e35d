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


def _texts() -> list[str]:
    """Real text: the labelled stories' titles and bodies, and the raw HTML of the real pages (markup,
    scripts, URLs, base64: long tokens, underscores, digits, entities)."""
    import gzip
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[2] / "data"
    out = []
    for line in (data / "stories" / "labelled.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out += [rec["title"], rec["body"]]
    for page in sorted((data / "pages").rglob("*.html.gz")):
        html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
        out += [html, html.encode("ascii", "ignore").decode()]  # and its ASCII part: the fast path
    return out


EDGES = [
    "",
    "   ",
    "U.S.-led talks_on 2024's Q3: 9.5% GDP; e-mail e_mail",
    "x" * (s.MAX_TOKEN_LEN - 1) + " " + "y" * s.MAX_TOKEN_LEN + " " + "z" * (s.MAX_TOKEN_LEN + 1) + " end",
    "Running runs RAN ran sanctioned SANCTIONS Sanctioning",
    "Türkiye and Côte d'Ivoire",  # not ASCII: analyzed whole
    "\tNew\nlines\r\nand tabs",
]


def test_tokens_are_the_analyzers_terms():
    texts = [*EDGES, *_texts()]
    ascii_texts = [t for t in texts if t.isascii() and t.strip()]
    assert len(ascii_texts) > 100  # the cached path is what is compared
    s._stems.clear()
    for text in texts:
        assert s.tokens(text) == s.analyzer().analyze(text), text[:200]
    # Twice: the second pass reads the cache the first filled.
    for text in texts:
        assert s.tokens(text) == s.analyzer().analyze(text), text[:200]
