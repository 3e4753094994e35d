"""The user's search dialect, parsed once and rendered for SQLite FTS5 or PostgreSQL tsquery.

Supported: words (all must match), "exact phrases", prefix* terms, OR between terms, and -exclusions.
Anything else is ignored as punctuation, so no user string can reach the engine as syntax: a query
with nothing searchable left (or only exclusions) is the client's error, reported as a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BadRequest

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 32


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """A conjunction of clauses; each clause is a disjunction of positive terms, or one negated term."""

    clauses: tuple[tuple[Term, ...], ...]

    @property
    def positive(self) -> list[tuple[Term, ...]]:
        return [c for c in self.clauses if not c[0].negated]

    @property
    def negative(self) -> list[Term]:
        return [c[0] for c in self.clauses if c[0].negated]


def _fail(q: str, why: str) -> BadRequest:
    return BadRequest(f"Cannot search for {q!r}: {why}.", errors=[{"loc": ["query", "q"], "msg": why}])


def parse(q: str) -> Query:
    terms: list[Term | str] = []
    for m in _TOKEN.finditer(q):
        neg, phrase, bare = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            words = tuple(w.lower() for w in _WORD.findall(phrase))
            if words:
                terms.append(Term(words, False, bool(neg)))
            continue
        if bare == "OR":
            terms.append("OR")
            continue
        negated = bare.startswith("-") and len(bare) > 1
        body = bare[1:] if negated else bare
        prefix = body.endswith("*")
        words = tuple(w.lower() for w in _WORD.findall(body))
        if not words:
            continue
        if len(words) > 1:  # "U.S." or "Kim-Seon-ho": the words in order, as a phrase
            terms.append(Term(words, False, negated))
        else:
            terms.append(Term(words, prefix, negated))
    clauses: list[list[Term]] = []
    join_next = False
    for t in terms:
        if t == "OR":
            join_next = bool(clauses) and not clauses[-1][0].negated
            continue
        assert isinstance(t, Term)
        if join_next and not t.negated:
            clauses[-1].append(t)
        else:
            clauses.append([t])
        join_next = False
    if len(clauses) > MAX_TERMS:
        raise _fail(q, f"at most {MAX_TERMS} terms")
    query = Query(tuple(tuple(c) for c in clauses))
    if not query.positive:
        raise _fail(q, "nothing to search for (only exclusions or punctuation)")
    return query


def _fts5_term(t: Term) -> str:
    text = '"' + " ".join(t.words) + '"'
    return text + "*" if t.prefix else text


def to_fts5(query: Query) -> str:
    """An FTS5 MATCH expression: every word is quoted, so it is never read as FTS5 syntax."""
    parts = []
    for clause in query.positive:
        inner = " OR ".join(_fts5_term(t) for t in clause)
        parts.append(f"({inner})" if len(clause) > 1 else inner)
    expr = " AND ".join(parts)
    for t in query.negative:
        expr = f"({expr}) NOT {_fts5_term(t)}"
    return expr


def _ts_term(t: Term) -> str:
    # Words are \w+ only, so quoting them for tsquery is safe; phrases use the followed-by operator.
    words = [f"'{w}'" for w in t.words]
    if t.prefix:
        words[-1] += ":*"
    return " <-> ".join(words) if len(words) > 1 else words[0]


def to_tsquery(query: Query) -> str:
    """A PostgreSQL to_tsquery() string."""
    parts = []
    for clause in query.positive:
        inner = " | ".join(f"({_ts_term(t)})" for t in clause)
        parts.append(f"({inner})")
    parts += [f"!({_ts_term(t)})" for t in query.negative]
    return " & ".join(parts)
