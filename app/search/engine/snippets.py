"""Snippets with <mark> for a page of hits, from the title and body the caller hydrated from SQL.

The index stores no text (it would triple its size), so highlighting re-tokenises the page's bodies here:
word runs as Tantivy's simple tokenizer cuts them, each word through the index's own analyzer (cached per
distinct word), so a word is marked exactly when the index would match it. The window shown is the
SNIPPET_TOKENS-word span with the most distinct query terms (then the most hits), like FTS5's snippet().
Text outside the marks is HTML-escaped: the snippet can be inserted into a page as it is.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping
from functools import lru_cache

from ..query import Query
from .translate import analyze

SNIPPET_TOKENS = 16
MARK_OPEN, MARK_CLOSE, ELLIPSIS = "<mark>", "</mark>", "…"
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str | None:
    tokens = analyze(word)
    return tokens[0] if len(tokens) == 1 else None


class Highlighter:
    """The terms of one query, ready to mark any number of texts."""

    def __init__(self, query: Query) -> None:
        self.exact: set[str] = set()
        self.prefixes: list[str] = []
        for clause in query.positive:
            for term in clause:
                stems = [t for w in term.words for t in analyze(w)]
                if term.prefix and stems:
                    self.prefixes.append(stems[-1])
                    stems = stems[:-1]
                self.exact.update(stems)
        self._seen: dict[str, str | None] = {}  # word -> the query term it matches, for this page

    def _match(self, word: str) -> str | None:
        stem = _stem(word)
        if stem is None:
            return None
        if stem in self.exact:
            return stem
        for p in self.prefixes:
            if stem.startswith(p):
                return p
        return None

    def snippet(self, text: str, tokens: int = SNIPPET_TOKENS) -> str | None:
        """The best window of `text`, or None if no query term occurs in it."""
        # Each distinct word of the page is matched once (a body of 300 words has ~150, and a page's
        # bodies share most of them), and the words' offsets are only looked for inside the window shown.
        words = _WORD.findall(text)
        seen = self._seen
        for w in set(words).difference(seen):
            seen[w] = self._match(w)
        terms = [seen[w] for w in words]
        hits = [i for i, t in enumerate(terms) if t is not None]
        if not hits:
            return None
        best, best_key = 0, (-1, -1)
        for first in hits:
            # Windows starting a little before a hit read better than ones starting on it.
            start = max(0, min(first - 2, len(words) - tokens))
            inside = [terms[i] for i in hits if start <= i < start + tokens]
            key = (len(set(inside)), len(inside))
            if key > best_key:
                best, best_key = start, key
        end = min(len(words), best + tokens)
        spans = [
            (m.start(), m.end(), terms[best + k])
            for k, m in enumerate(itertools.islice(_WORD.finditer(text), best, end))
        ]
        return self._render(text, spans, best > 0, end < len(words))

    def _render(
        self, text: str, words: list[tuple[int, int, str | None]], cut_before: bool, cut_after: bool
    ) -> str:
        """The words (offsets into text, matched term) of the window, with the text between them."""
        out = [ELLIPSIS] if cut_before else []
        pos = words[0][0] if cut_before else 0
        for a, b, matched in words:
            out.append(html.escape(text[pos:a], quote=False))
            word = html.escape(text[a:b], quote=False)
            out.append(f"{MARK_OPEN}{word}{MARK_CLOSE}" if matched is not None else word)
            pos = b
        if cut_after:
            out.append(ELLIPSIS)
        else:
            out.append(html.escape(text[pos:], quote=False))
        return "".join(out).strip()

    def lead(self, text: str, tokens: int = SNIPPET_TOKENS) -> str:
        """The opening words, unmarked: for a hit whose match is not in the shown text."""
        words: list[tuple[int, int, str | None]] = [
            (m.start(), m.end(), None) for m in itertools.islice(_WORD.finditer(text), tokens + 1)
        ]
        if not words:
            return html.escape(text[:200], quote=False)
        return self._render(text, words[:tokens], False, len(words) > tokens)


def snippets(query: Query, texts: Mapping[int, tuple[str, str]]) -> dict[int, str]:
    """{id: snippet} for {id: (title, body)}: from the body where it matches, else the title, else the
    body's first words."""
    h = Highlighter(query)
    out: dict[int, str] = {}
    for article_id, (title, body) in texts.items():
        out[article_id] = h.snippet(body or "") or h.snippet(title or "") or h.lead(body or title or "")
    return out
