"""The parsed user query (app/search/query.py) and the list filters, as Tantivy queries.

Text: every positive clause must match (AND), a clause is a disjunction (OR) of terms, and a term matches
in the title (boosted TITLE_BOOST x) or the body; negated terms exclude articles that have them in either.
Words go through the index's analyzer here, because Tantivy's term and phrase queries take terms as they
are stored. A prefix term is stemmed first, as FTS5 and to_tsquery do (`governments*` -> `govern*`), then
expanded against the term dictionary so each expansion is scored by BM25; a prefix with more than
PREFIX_EXPANSIONS terms falls back to a constant-score regex over the dictionary. A two-word phrase is one
term of the field's word pairs (schema.PAIR_FIELDS); longer phrases check positions.

Filters are wrapped in a zero-score query: they select, they never change a BM25 score.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import tantivy
from tantivy import FieldType, Occur
from tantivy import Query as TQ

from ..query import Query, Term
from . import schema as s
from .repository import MemberSpan

PREFIX_EXPANSIONS = 64
UNION_MAX = 64
# Article ids (one posting each) are looked up one by one up to this many: a term set of ids walks every
# segment's term dictionary, 2.9 ms for 100 ids at 1M articles against 0.6 for their union, 28.8 against
# 10.2 for 2,000; the two meet near 8,000.
ID_UNION_MAX = 4_096


@dataclass(frozen=True)
class Filters:
    """The list filters of GET /v1/articles. Empty sequences mean "no filter"; `member_of=[]` (no spans)
    matches nothing, `member_of=None` is no filter."""

    actor_ids: Sequence[int] = ()  # mentions any of these
    actors_all: Sequence[int] = ()  # mentions every one of these
    actor_kinds: Sequence[str] = ()  # mentions an actor of any of these kinds
    countries: Sequence[str] = ()  # mentions an actor of any of these countries (alpha-3)
    sources: Sequence[str] = ()
    languages: Sequence[str] = ()
    event_id: int | None = None
    published_after: datetime | None = None  # inclusive
    published_before: datetime | None = None  # exclusive
    member_of: Sequence[MemberSpan] | None = None
    place_ids: Sequence[str] | None = None  # names any of these places; [] matches nothing, None: no filter
    max_id: int | None = None  # only articles with id <= max_id (freezing a ranking at its first page)
    exclude_duplicates: bool = False


def analyze(word: str) -> list[str]:
    return s.analyzer().analyze(word)


def term_tokens(term: Term) -> list[str]:
    return [tok for word in term.words for tok in analyze(word)]


def _field_query(searcher: tantivy.Searcher, field: str, term: Term) -> TQ | None:
    sch = s.schema()
    tokens = term_tokens(term)
    if not tokens:
        return None
    if term.prefix:
        if len(tokens) > 1:
            return TQ.phrase_prefix_query(sch, field, list[str | tuple[int, str]](tokens))
        found = searcher.terms_with_prefix(field, tokens[0], limit=PREFIX_EXPANSIONS + 1)
        if len(found) > PREFIX_EXPANSIONS:
            return TQ.regex_query(sch, field, re.escape(tokens[0]) + ".*")
        if not found:
            return TQ.empty_query()
        if len(found) == 1:
            return TQ.term_query(sch, field, found[0][0])
        return TQ.boolean_query([(Occur.Should, TQ.term_query(sch, field, t)) for t, _ in found])
    if len(tokens) == 1:
        return TQ.term_query(sch, field, tokens[0])
    if len(tokens) == 2:  # one term of the field's pairs: scored like a word
        return TQ.term_query(sch, s.PAIR_FIELDS[field], s.pair(*tokens))
    words: list[str | tuple[int, str]] = list(tokens)
    return TQ.phrase_query(sch, field, words)


def _field_clauses(searcher: tantivy.Searcher, term: Term) -> list[tuple[Occur, TQ]] | None:
    """The term in the title (boosted) or the body: the clauses a disjunction of them takes."""
    title = _field_query(searcher, s.TITLE, term)
    body = _field_query(searcher, s.BODY, term)
    if title is None or body is None:
        return None
    return [(Occur.Should, TQ.boost_query(title, s.TITLE_BOOST)), (Occur.Should, body)]


def _term_query(searcher: tantivy.Searcher, term: Term) -> TQ | None:
    clauses = _field_clauses(searcher, term)
    return TQ.boolean_query(clauses) if clauses is not None else None


def text_query(searcher: tantivy.Searcher, query: Query, *, seek: bool = False) -> TQ:
    """Needs a searcher: prefix terms are expanded against its term dictionary.

    The body field holds the title too (schema version 4), so a term matches a document exactly where it
    matches its body field, and the title only adds to the score. One clause is a disjunction of (title
    boosted, body) per term (the bindings score every match of it: no block-max WAND). Several clauses
    are their body queries intersected, every title query optional: the same score (a sum over the
    matching term queries either way) from an intersection of plain postings instead of disjunctions
    (`ceasefire talks` over a year at 1M: 12.4 -> 7 ms of CPU for its best 21).

    `seek`: one clause in that form too (its terms' body queries required, their title queries optional),
    for an intersection with filters: the same scores, and a filter's postings lead through plain
    postings instead of seeking through a disjunction (at 1M, CPU: `negotiations` under an actor in 10 %
    of the index 5.2 -> 3.4 ms, `sanctions` under one in 1.5 % 2.2 -> 0.7; but `summit` under
    language=en, 90 %, 12.3 -> 16.3: see reader.SEEK_SHARE)."""
    parts: list[tuple[Occur, TQ]] = []
    if len(query.positive) == 1 and not seek:
        alternatives = [q for q in (_term_query(searcher, t) for t in query.positive[0]) if q is not None]
        if not alternatives:
            return TQ.empty_query()  # nothing searchable left: matches nothing
        if len(alternatives) == 1:
            parts.append((Occur.Must, alternatives[0]))
        else:
            parts.append((Occur.Must, TQ.boolean_query([(Occur.Should, a) for a in alternatives])))
    else:
        titles: list[tuple[Occur, TQ]] = []
        for clause in query.positive:
            bodies: list[TQ] = []
            for term in clause:
                title, body = _field_query(searcher, s.TITLE, term), _field_query(searcher, s.BODY, term)
                if title is None or body is None:
                    continue
                bodies.append(body)
                titles.append((Occur.Should, TQ.boost_query(title, s.TITLE_BOOST)))
            if not bodies:
                return TQ.empty_query()  # a clause with nothing searchable left can match nothing
            match = bodies[0] if len(bodies) == 1 else TQ.boolean_query([(Occur.Should, b) for b in bodies])
            parts.append((Occur.Must, match))
        parts += titles
    parts += exclusions(searcher, query)
    if len(parts) == 1:
        return parts[0][1]
    return TQ.boolean_query(parts)


def exclusions(searcher: tantivy.Searcher, query: Query) -> list[tuple[Occur, TQ]]:
    """The query's excluded terms as MustNot clauses (on the body, which holds the title)."""
    return [
        (Occur.MustNot, q) for t in query.negative if (q := _field_query(searcher, s.BODY, t)) is not None
    ]


def loose_query(searcher: tantivy.Searcher, query: Query) -> TQ | None:
    """Any word of the text, scored as the text scores it: one flat disjunction of every field query
    of every positive clause (title boosted). For a document that matches the text (every clause) its
    score is the text's score, the same BM25 terms summed; for others it is what their words give.
    Tantivy finds the best of a flat disjunction about twice as fast as the best of a conjunction of
    two common words, which it scores document by document (see Reader._loose_top). None where that
    does not hold or does not pay: one clause, exclusions (they would need the conjunction anyway),
    prefix terms (expansions)."""
    if len(query.positive) < 2 or query.negative:
        return None
    parts: list[tuple[Occur, TQ]] = []
    for clause in query.positive:
        for term in clause:
            clauses = None if term.prefix else _field_clauses(searcher, term)
            if clauses is None:
                return None
            parts += clauses
    return TQ.boolean_query(parts)


def text_matches_bound(searcher: tantivy.Searcher, query: Query) -> int:
    """An upper bound on the documents the text of `query` matches, from document frequencies (term
    dictionary lookups, microseconds): for each clause the sum over its terms and both text fields, the
    smallest over the clauses. A prefix term counts as the whole index."""
    n = searcher.num_docs
    bound = n
    for clause in query.positive:
        bound = min(bound, sum(_term_matches_bound(searcher, term, n) for term in clause))
    return min(bound, n)


def _term_matches_bound(searcher: tantivy.Searcher, term: Term, n: int) -> int:
    if term.prefix:
        return n
    tokens = term_tokens(term)
    if not tokens:
        return 0
    # The body field holds the title too: its document frequencies bound the matches.
    if len(tokens) == 2:
        return int(searcher.doc_freq(s.BODY_PAIRS, s.pair(*tokens)))
    return min(int(searcher.doc_freq(s.BODY, tok)) for tok in tokens)  # no more than its rarest word


def _day_start(value: date) -> int:
    return s.to_micros(datetime.combine(value, time()))


def micros_range(field: str, lo: int | None, hi: int | None) -> TQ:
    """lo <= field < hi on an i64 fast field (either side may be open)."""
    return TQ.range_query(
        s.schema(),
        field,
        FieldType.Integer,
        lo,
        hi,
        include_lower=True,
        include_upper=hi is None,
    )


def member_groups(
    spans: Sequence[MemberSpan], bounds: tuple[int, int] | None
) -> list[tuple[int | None, int | None, list[int]]]:
    """member_of's spans as (lo, hi, actor ids): published_at (µs) from lo (inclusive) to hi (exclusive),
    either open, for the actors whose spans have those dates. A span bound outside the index's dates
    (`bounds`: its first and last published_at) is dropped, and spans with the same dates are merged into
    one group: NATO's 32 members, who joined between 1949 and 2024, are 3 groups over a corpus of
    2021-2025, not 32 (measured 22 ms -> 2 ms at 1M articles). In a fixed order."""
    by_span: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for actor_id, valid_from, valid_to in spans:
        lo = _day_start(valid_from) if valid_from is not None else None
        hi = _day_start(valid_to) if valid_to is not None else None
        if lo is not None and hi is not None and hi <= lo:
            continue  # an empty span
        if bounds is not None:
            if lo is not None and lo <= bounds[0]:
                lo = None
            if hi is not None and hi > bounds[1]:
                hi = None
        by_span[(lo, hi)].append(actor_id)
    return [(lo, hi, actor_ids) for (lo, hi), actor_ids in sorted(by_span.items(), key=lambda kv: str(kv[0]))]


def _member_of(spans: Sequence[MemberSpan], bounds: tuple[int, int] | None) -> TQ:
    """A disjunction of (mentions a member AND published within its span), one clause a group of
    `member_groups`."""
    clauses: list[tuple[Occur, TQ]] = []
    for lo, hi, actor_ids in member_groups(spans, bounds):
        mentions = any_of(s.ACTORS, actor_ids)
        if lo is None and hi is None:
            clauses.append((Occur.Should, mentions))
            continue
        window = micros_range(s.PUBLISHED, lo, hi)
        clauses.append((Occur.Should, TQ.boolean_query([(Occur.Must, mentions), (Occur.Must, window)])))
    if not clauses:
        return TQ.empty_query()
    return clauses[0][1] if len(clauses) == 1 else TQ.boolean_query(clauses)


def any_of(field: str, values: Sequence[object], union_max: int = UNION_MAX) -> TQ:
    """Posting lists merged lazily (a union that can skip) for a few values; a term set, which builds a
    bitset of every posting up front, for many (more than `union_max`)."""
    sch = s.schema()
    distinct = sorted(set(values))  # type: ignore[type-var]
    if not distinct:
        return TQ.empty_query()
    if len(distinct) > union_max:
        return TQ.term_set_query(sch, field, distinct)
    terms = [TQ.term_query(sch, field, v, index_option="basic") for v in distinct]
    return terms[0] if len(terms) == 1 else TQ.boolean_query([(Occur.Should, t) for t in terms])


def ids_query(ids: Sequence[int]) -> TQ:
    """The documents of these article ids (see ID_UNION_MAX)."""
    return any_of(s.ID, ids, ID_UNION_MAX)


def filter_query(f: Filters, bounds: tuple[int, int] | None = None) -> TQ | None:
    """The conjunction of the filters, or None when there are none. `bounds`: the first and last
    published_at (µs) in the index searched, if known (lets member_of drop span bounds that cut nothing)."""
    sch = s.schema()
    parts: list[tuple[Occur, TQ]] = []

    def must(q: TQ) -> None:
        parts.append((Occur.Must, q))

    if f.actor_ids:
        must(any_of(s.ACTORS, f.actor_ids))
    for actor_id in sorted(set(f.actors_all)):
        must(TQ.term_query(sch, s.ACTORS, actor_id, index_option="basic"))
    if f.actor_kinds:
        must(any_of(s.ACTOR_KINDS, f.actor_kinds))
    if f.countries:
        must(any_of(s.COUNTRIES, f.countries))
    if f.sources:
        must(any_of(s.SOURCE, f.sources))
    if f.languages:
        must(any_of(s.LANGUAGE, f.languages))
    if f.event_id is not None:
        must(TQ.term_query(sch, s.EVENTS, f.event_id, index_option="basic"))
    if f.published_after is not None or f.published_before is not None:
        lo = s.to_micros(f.published_after) if f.published_after is not None else None
        hi = s.to_micros(f.published_before) if f.published_before is not None else None
        if lo is not None and hi is not None and hi <= lo:
            return TQ.empty_query()
        must(micros_range(s.PUBLISHED, lo, hi))
    if f.member_of is not None:
        must(_member_of(f.member_of, bounds))
    if f.place_ids is not None:
        if not f.place_ids:
            return TQ.empty_query()  # an area holding no place
        must(any_of(s.PLACES, f.place_ids))
    if f.max_id is not None:
        must(TQ.range_query(sch, s.ID, FieldType.Unsigned, None, max(f.max_id, 0)))
    if f.exclude_duplicates:
        parts.append((Occur.MustNot, TQ.exists_query(s.DUPLICATE_OF)))
    if not parts:
        return None
    if len(parts) == 1 and parts[0][0] == Occur.Must:
        return parts[0][1]
    if all(occur == Occur.MustNot for occur, _ in parts):
        parts.append((Occur.Must, TQ.all_query()))
    return TQ.boolean_query(parts)


def combine(text: TQ | None, filters: TQ | None) -> TQ:
    """Text (scored) AND filters (zero score)."""
    if filters is not None:
        filters = TQ.const_score_query(filters, 0.0)
    if text is None:
        return filters if filters is not None else TQ.all_query()
    if filters is None:
        return text
    return TQ.boolean_query([(Occur.Must, text), (Occur.Must, filters)])
