"""Snippets with <mark> for a page of hits, from the title and body the caller hydrated from SQL.

The index stores no text (it would triple its size), so highlighting re-tokenises the page's bodies here:
word runs as Tantivy's simple tokenizer cuts them, each word through the index's own analyzer (cached per
distinct word), so a word is marked exactly when the index would match it. The window shown is the
SNIPPET_TOKENS-word span with the most distinct query terms (then the most hits), like FTS5's snippet().
Text outside the marks is HTML-escaped: the snippet can be inserted into a page as it is.
"""

from __future__ import annotations

import html
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
        words = [(m.start(), m.end(), self._match(m.group())) for m in _WORD.finditer(text)]
        hits = [i for i, w in enumerate(words) if w[2] is not None]
        if not hits:
            return None
        best, best_key = 0, (-1, -1)
        for first in hits:
            # Windows starting a little before a hit read better than ones starting on it.
            start = max(0, min(first - 2, len(words) - tokens))
            inside = [words[i][2] for i in hits if start <= i < start + tokens]
            key = (len(set(inside)), len(inside))
            if key > best_key:
                best, best_key = start, key
        return self._render(text, words, best, min(len(words), best + tokens))

    def _render(self, text: str, words: list[tuple[int, int, str | None]], start: int, end: int) -> str:
        out = [ELLIPSIS] if start > 0 else []
        pos = words[start][0] if start > 0 else 0
        for a, b, matched in words[start:end]:
            out.append(html.escape(text[pos:a], quote=False))
            word = html.escape(text[a:b], quote=False)
            out.append(f"{MARK_OPEN}{word}{MARK_CLOSE}" if matched is not None else word)
            pos = b
        if end < len(words):
            out.append(ELLIPSIS)
        else:
            out.append(html.escape(text[pos:], quote=False))
        return "".join(out).strip()

    def lead(self, text: str, tokens: int = SNIPPET_TOKENS) -> str:
        """The opening words, unmarked: for a hit whose match is not in the shown text."""
        words: list[tuple[int, int, str | None]] = [(m.start(), m.end(), None) for m in _WORD.finditer(text)]
        if not words:
            return html.escape(text[:200], quote=False)
        return self._render(text, words, 0, min(len(words), tokens))


def snippets(query: Query, texts: Mapping[int, tuple[str, str]]) -> dict[int, str]:
    """{id: snippet} for {id: (title, body)}: from the body where it matches, else the title, else the
    body's first words."""
    h = Highlighter(query)
    out: dict[int, str] = {}
    for article_id, (title, body) in texts.items():
        out[article_id] = h.snippet(body or "") or h.snippet(title or "") or h.lead(body or title or "")
    return out
