"""The index schema: one Tantivy document per article, and the text analyzer shared by indexing, queries
and snippets.

Only what a query, filter, sort or facet reads is in the index, and nothing is stored: ids come back from
the `id` fast field and the caller hydrates rows from SQL by id (one query). That keeps the index at about
a third of the database's size (see docs/search-engine.md for the figures at 1M articles).

Timestamps are i64 microseconds since the Unix epoch (naive UTC, as the database keeps them), so ranges,
keyset cursors and histogram buckets are exact to the microsecond — Tantivy's own date type would round the
fast field to seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import tantivy

from ...text import ascii_words

# Bump on any change of fields, options or analyzer: an index with another version is rebuilt.
SCHEMA_VERSION = 5  # 2: word pairs; 3: places; 4: the body field holds the title too; 5: terms made here
# The versions whose index this version's searches can read (the same fields holding the same terms): an
# index of one of them keeps answering while the current version is built beside it (a server rebuilds
# it on start); any other is rebuilt before searches use it, and SQL answers meanwhile. Version 5 changed
# where the terms are made, not which: a version 4 index answers as it did.
READABLE_VERSIONS = frozenset({4, SCHEMA_VERSION})

ANALYZER = "en_geonews"
# Every text field holds ready-made terms separated by spaces (`tokens`: the analyzer's terms, made in
# Python with a cache of words; the pairs are made from them anyway): split on whitespace, nothing else.
# Tantivy's analyzer on the whole title and body cost ~90 µs of CPU an article at indexing (its stemmer
# on every token): 242 -> 150 (bench/tantivy_terms.py). The postings and scores are the same (tests/
# search/engine/test_terms_field.py) but for a phrase across a dropped token (over MAX_TOKEN_LEN), which
# the analyzer leaves a gap for and ready-made terms do not: as with the pairs, an accepted difference.
TERMS_TOKENIZER = "geonews_terms"
# The title weighs 10x the body, as the SQL engines' bm25(10, 1) / setweight('A') did.
TITLE_BOOST = 10.0
# Longer tokens are dropped (URLs, base64 debris); FTS5 keeps them, but nobody searches for them.
MAX_TOKEN_LEN = 64

# Field names.
ID = "id"
TITLE = "title"
BODY = "body"
SOURCE = "source"
LANGUAGE = "language"
ACTORS = "actor_ids"
ACTOR_KINDS = "actor_kinds"
COUNTRIES = "countries"
EVENTS = "event_ids"
STORY = "story_id"
PLACES = "place_ids"
PUBLISHED = "published_at"
DUPLICATE_OF = "duplicate_of"
CREATED = "created_at"
SEQ = "seq"

TEXT_FIELDS = (TITLE, BODY)
# Every two adjacent tokens of a text field as one term (`energi_price`): a two-word phrase is then one
# term, scored like a single word, instead of a position check in every document that holds
# both words (`"energy prices"` at 1M: 587k candidates, ~100 ms; see docs/search-engine.md).
TITLE_PAIRS = "title_pairs"
BODY_PAIRS = "body_pairs"
PAIR_FIELDS = {TITLE: TITLE_PAIRS, BODY: BODY_PAIRS}

EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


def to_micros(value: datetime) -> int:
    """Naive UTC datetime -> integer microseconds since the epoch (exact)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return (value - EPOCH) // _US


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field(ID, indexed=True, fast=True)
    sb.add_text_field(TITLE, tokenizer_name=TERMS_TOKENIZER, index_option="position")
    sb.add_text_field(BODY, tokenizer_name=TERMS_TOKENIZER, index_option="position")
    sb.add_text_field(TITLE_PAIRS, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    sb.add_text_field(BODY_PAIRS, tokenizer_name=TERMS_TOKENIZER, index_option="freq")
    # Raw (untokenised) keywords: exact filters, and fast columns for terms aggregations.
    sb.add_text_field(SOURCE, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field(LANGUAGE, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_unsigned_field(ACTORS, indexed=True, fast=True)
    sb.add_text_field(ACTOR_KINDS, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_text_field(COUNTRIES, tokenizer_name="raw", index_option="basic", fast=True)
    sb.add_unsigned_field(EVENTS, indexed=True, fast=True)
    sb.add_unsigned_field(STORY, indexed=True, fast=True)
    # Range filters, sorts and histograms run on the fast column; no inverted index needed.
    sb.add_integer_field(PUBLISHED, indexed=False, fast=True)
    sb.add_unsigned_field(DUPLICATE_OF, indexed=True, fast=True)
    sb.add_integer_field(CREATED, indexed=False, fast=True)
    sb.add_unsigned_field(SEQ, indexed=False, fast=True)
    # The gazetteer ids of the places an article names (`bbox=` and `near=` select them): a filter only.
    sb.add_text_field(PLACES, tokenizer_name="raw", index_option="basic")
    return sb.build()


@lru_cache(maxsize=1)
def schema() -> tantivy.Schema:
    return build_schema()


@lru_cache(maxsize=1)
def analyzer() -> tantivy.TextAnalyzer:
    """Unicode word runs, lower-cased, diacritics folded (as FTS5's remove_diacritics), English (Porter2)
    stems. Queries and snippets run their words through this same analyzer."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


# Joins two adjacent tokens into a pair term (tokens are word characters: `_` never occurs in one).
PAIR_JOIN = "_"


def pair(first: str, second: str) -> str:
    """The term of two adjacent tokens."""
    return PAIR_JOIN.join((first, second))


# ASCII words are cut as the analyzer's tokenizer cuts them (app.text.ascii_words): Tantivy's simple
# tokenizer keeps runs of alphanumeric characters, which in ASCII are exactly [A-Za-z0-9]+.
_STEM_CACHE_MAX = 100_000
_stems: dict[str, str] = {}  # an ASCII word as written -> its term ("" when the analyzer drops it)


def _term(word: str) -> str:
    terms = analyzer().analyze(word)
    if len(_stems) >= _STEM_CACHE_MAX:
        _stems.clear()
    _stems[word] = term = terms[0] if terms else ""
    return term


def tokens(text: str) -> list[str]:
    """The analyzer's terms of `text`, in order. An ASCII text (most articles) is cut into words here
    and each distinct word analyzed once (cached): every filter of the analyzer (length, lower case,
    folding, stemming) works on one token at a time, so a word gives the same term wherever it stands.
    Analyzing whole texts in Tantivy made `word_pairs` ~110 us an article body and 74 % of the time a
    rebuild's Python thread spent (py-spy); this way ~64. Any other text goes to the analyzer whole."""
    if not text.isascii():
        return analyzer().analyze(text)
    get = _stems.get
    out = []
    for word in ascii_words(text):
        term = get(word)
        if term is None:
            term = _term(word)
        if term:
            out.append(term)
    return out


def pairs(terms: list[str]) -> str:
    """The pair terms of a text's terms (`tokens`), space-separated, for a pair field. A token the
    analyzer drops (longer than MAX_TOKEN_LEN) joins its neighbours into a pair that a phrase query would
    not match: an accepted difference, for words nobody searches for."""
    return " ".join(map(PAIR_JOIN.join, zip(terms, terms[1:], strict=False)))


def word_pairs(text: str) -> str:
    """The pair terms of a text."""
    return pairs(tokens(text))


@lru_cache(maxsize=1)
def _terms_analyzer() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def _prepare(index: tantivy.Index) -> tantivy.Index:
    # Custom analyzers are not persisted with the index: register on every open, before any write (the
    # analyzer too: an index of an earlier schema version names it).
    index.register_tokenizer(ANALYZER, analyzer())
    index.register_tokenizer(TERMS_TOKENIZER, _terms_analyzer())
    # Readers reload when told to (Reader.reload), not from a watcher thread per index.
    index.config_reader("manual")
    return index


def create_index(path: Path) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    return _prepare(tantivy.Index(schema(), str(path), reuse=False))


def open_index(path: Path) -> tantivy.Index:
    return _prepare(tantivy.Index.open(str(path)))
