"""The title and body fields take the analyzer's terms made in Python (`schema.tokens`, space-separated,
split on whitespace by Tantivy: schema version 5) instead of the raw text run through the analyzer in
Tantivy. The index must be the same: every term's documents and scores, and phrases' matches, compared
with an index of the raw texts under the analyzer — on real text (labelled stories, raw HTML of real
pages: long tokens, digits, entities, non-ASCII)."""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path

import orjson
import tantivy
from tantivy import Query as TQ

from app.search.engine import schema as s
from app.search.engine.documents import ArticleDoc
from tests.search.engine.test_pairs import EDGES, _texts

Hits = tuple[int, list[tuple[int, float]]]


def _analyzer_schema() -> tantivy.Schema:
    """Schema version 4's text fields: the raw text, analyzed by Tantivy."""
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field(s.ID, indexed=True, fast=True)
    sb.add_text_field(s.TITLE, tokenizer_name=s.ANALYZER, index_option="position")
    sb.add_text_field(s.BODY, tokenizer_name=s.ANALYZER, index_option="position")
    return sb.build()


def _build(path: Path, schema: tantivy.Schema, docs: list[str]) -> tantivy.Index:
    path.mkdir()
    index = s._prepare(tantivy.Index(schema, str(path), reuse=False))
    writer = index.writer(50_000_000, 1)
    for i, doc in enumerate(docs, 1):
        writer.add_json(doc)
        if i % 40 == 0:  # several segments: statistics summed across them, as in a live index
            writer.commit()
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def _pairs_of_texts() -> list[tuple[str, str]]:
    texts = [*EDGES, *_texts()]
    return list(zip(texts[0::2], texts[1::2], strict=False))


def _indexes(tmp_path: Path) -> tuple[tantivy.Index, tantivy.Index, list[tuple[str, str]]]:
    pairs = _pairs_of_texts()
    raw = [orjson.dumps({s.ID: i, s.TITLE: t, s.BODY: [t, b]}).decode() for i, (t, b) in enumerate(pairs)]
    made = [ArticleDoc(i, t, b, "x", None, datetime(2024, 1, 1)).to_json() for i, (t, b) in enumerate(pairs)]
    return (
        _build(tmp_path / "raw", _analyzer_schema(), raw),
        _build(tmp_path / "made", s.schema(), made),
        pairs,
    )


def _hits(index: tantivy.Index, query: TQ) -> Hits:
    """How many documents match, and each one's (id, score): nothing is stored, ids are a fast field."""
    searcher = index.searcher()
    found = searcher.search(query, 10_000)
    ids = searcher.fast_field_values(s.ID, [a for _, a in found.hits]) if found.hits else []
    return found.count, sorted(zip(ids, (round(score, 4) for score, _ in found.hits), strict=True))


def _too_long(text: str) -> bool:
    """Whether the text holds a word the analyzer drops (a gap in its positions that terms do not keep)."""
    return any(len(w.encode()) >= s.MAX_TOKEN_LEN for w in re.findall(r"[^\W_]+", text))


def test_the_terms_index_holds_what_the_analyzer_made(tmp_path: Path):
    raw, made, pairs = _indexes(tmp_path)
    assert raw.searcher().num_docs == made.searcher().num_docs == len(pairs) > 50
    terms = sorted({t for title, body in pairs for t in s.tokens(title) + s.tokens(body)})
    rng = random.Random(5)
    sample = rng.sample(terms, min(600, len(terms))) + [t for e in EDGES for t in s.tokens(e)]
    sch = s.schema()
    compared = 0
    for term in sample:
        for field in s.TEXT_FIELDS:
            query = TQ.term_query(sch, field, term)
            expected = _hits(raw, query)
            assert _hits(made, query) == expected, (term, field)
            compared += expected[0]
    assert compared > 5_000  # the terms do occur: not a comparison of empty results
    phrases = 0
    for title, body in pairs:
        for text, field in ((title, s.TITLE), (body, s.BODY)):
            words = s.tokens(text)
            if len(words) < 4 or _too_long(text):
                continue
            start = rng.randrange(len(words) - 3)
            query = TQ.phrase_query(sch, field, list[str | tuple[int, str]](words[start : start + 3]))
            expected = _hits(raw, query)
            assert expected[0] >= 1  # the phrase is in the text it came from
            assert _hits(made, query) == expected, (words[start : start + 3], field)
            phrases += 1
    assert phrases > 40


def test_a_phrase_across_a_dropped_token_is_the_accepted_difference(tmp_path: Path):
    title, body = "Envoys", "talks " + "z" * (s.MAX_TOKEN_LEN + 1) + " resumed"
    raw_doc = orjson.dumps({s.ID: 1, s.TITLE: title, s.BODY: [title, body]}).decode()
    raw = _build(tmp_path / "raw", _analyzer_schema(), [raw_doc])
    made = _build(
        tmp_path / "made", s.schema(), [ArticleDoc(1, title, body, "x", None, datetime(2024, 1, 1)).to_json()]
    )
    sch = s.schema()
    adjacent = TQ.phrase_query(sch, s.BODY, ["talk", "resum"])
    gap = TQ.phrase_query(sch, s.BODY, [(0, "talk"), (2, "resum")])
    assert (raw.searcher().search(adjacent, 1).count, raw.searcher().search(gap, 1).count) == (0, 1)
    assert (made.searcher().search(adjacent, 1).count, made.searcher().search(gap, 1).count) == (1, 0)
