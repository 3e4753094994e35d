"""Snippets with <mark> for a page of hits, from the title and body the caller hydrated from SQL.

The index stores no text (it would triple its size), so highlighting reads the page's bodies here: word
runs as Tantivy's simple tokenizer cuts them, each word through the index's own analyzer (cached per
distinct word), so a word is marked exactly when the index would match it. The window shown is the
SNIPPET_TOKENS-word span with the most distinct query terms (then the most hits), like FTS5's snippet().

Only words that could match are looked at. English (Porter2) stemming rewrites at most the last two
letters of a stem (true of all 333k words of the web2 and GCIDE word lists; the tests check the hard
cases), so a word whose stem is S starts with S minus its last two letters, case-insensitively, or holds
a non-ASCII letter that folding may turn into one. Regexes find those in C, and word positions are counted
only around hits. Tokenising a whole 1,800-character body in Python cost more than the search itself
(3.4-6 ms a page of 20 at 1M, now 0.25-0.8 ms).
Text outside the marks is HTML-escaped: the snippet can be inserted into a page as it is.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Mapping
from functools import lru_cache

from ..query import Query
from .translate import analyze

SNIPPET_TOKENS = 16
MARK_OPEN, MARK_CLOSE, ELLIPSIS = "<mark>", "</mark>", "…"
_WORD = re.compile(r"[^\W_]+")
# Windows are tried from at most this many hits of a text (a word repeated hundreds of times in a body
# would otherwise cost a window each).
MAX_WINDOWS = 32
# Stemming keeps all but (at most) the last two letters of a stem as the word's own first letters.
STEM_TAIL = 2
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def heads(stems: list[str]) -> list[re.Pattern[str]]:
    """One pattern per distinct head (a stem minus its last STEM_TAIL letters), matched against the
    lower-cased text: from the head to the end of its word, wherever the head occurs (the caller keeps
    the occurrences at a word's start). A pattern that starts with a literal is searched for as such:
    several times faster in `re` than an alternation or a look-behind."""
    found = {stem[: max(1, len(stem) - STEM_TAIL)] for stem in stems}
    return [re.compile(re.escape(h) + r"[^\W_]*") for h in sorted(found)]


@lru_cache(maxsize=8)
def _words_back(n: int) -> re.Pattern[str]:
    # Read in the reversed text: what ends a word, then n words and what separates them.
    # Possessive quantifiers: linear.
    return re.compile(r"[\W_]*+(?:[^\W_]++[\W_]++){" + str(n - 1) + r"}[^\W_]++")


def _word_back(text: str, rev: str, pos: int, n: int) -> int:
    """Where the n-th word before `pos` starts (the first word's start if fewer; `pos` if none). `rev`:
    the text reversed (one copy a text, for all its calls): the words before `pos` are one anchored
    match from its end, where listing the word starts before `pos` was a quarter of a snippet's time."""
    m = _words_back(n).match(rev, len(text) - pos)
    if m is not None:
        return len(text) - m.end()
    first = _WORD.search(text, 0, pos)
    return first.start() if first is not None else pos


@lru_cache(maxsize=8)
def _n_words(n: int) -> re.Pattern[str]:
    # Possessive quantifiers: a word cannot be re-split on a failed match, so this stays linear.
    return re.compile(r"(?:[\W_]*+[^\W_]++){" + str(n) + "}")


def _window_end(text: str, start: int, n: int) -> int | None:
    """Where the n-th word from `start` ends; None if fewer than n words follow."""
    m = _n_words(n).match(text, start)
    return m.end() if m is not None else None


def _text_end(text: str) -> int:
    r"""Where the last word ends: before the trailing characters that are not word characters (`[\W_]`,
    which is exactly `not str.isalnum()`). A loop over those few, where a regex search for them tried
    every position of the text (4 % of a ranked page's event-loop time at 1M)."""
    end = len(text)
    while end and not text[end - 1].isalnum():
        end -= 1
    return end


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
        self._heads = heads([*self.exact, *self.prefixes])

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

    def _hits(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word of `text` that matches a query term, in order.

        The head patterns list, in C, the distinct lower-cased runs from a head to the end of its word
        (a run starting inside a word is harmless: only whole-word occurrences are kept below), and the
        words holding a non-ASCII letter are added; each distinct one is stemmed once a page, and only
        those that match are located (str.find, kept where a word starts and ends). Visiting every
        candidate occurrence in Python instead cost 7.4-7.6 ms a page of 20 for `"Bosnia and
        Herzegovina"` at 1M ("and" makes every a-word a candidate), 6.4 ms this way."""
        low = text.lower()
        seen = self._seen
        if len(low) != len(text):  # a letter whose lower case is longer: offsets would shift
            hits = []
            for m in _WORD.finditer(text):
                word = m.group()
                term = seen[word] if word in seen else seen.setdefault(word, self._match(word))
                if term is not None:
                    hits.append((m.start(), m.end(), term))
            return hits
        words: set[str] = set()
        for pattern in self._heads:
            words.update(pattern.findall(low))
        if not text.isascii():  # the words holding a non-ASCII letter (folding may give a head's letters)
            for m in _NON_ASCII.finditer(low):
                a = m.start()
                if low[a].isalnum():  # a word character: [^\W_] in `re`
                    while a and low[a - 1].isalnum():
                        a -= 1
                    whole = _WORD.match(low, a)
                    if whole is not None:
                        words.add(whole.group())
        hits = []
        size = len(low)
        for word in words:
            term = seen[word] if word in seen else seen.setdefault(word, self._match(word))
            if term is None:
                continue
            n = len(word)
            a = low.find(word)
            while a >= 0:
                b = a + n
                if not (a and low[a - 1].isalnum()) and not (b < size and low[b].isalnum()):
                    hits.append((a, b, term))
                a = low.find(word, a + 1)
        if len(hits) > 1:
            hits.sort()
        return hits

    def snippet(self, text: str, tokens: int = SNIPPET_TOKENS) -> str | None:
        """The best window of `text`, or None if no query term occurs in it."""
        # Only candidate words are looked at (see `_hits`), and word positions are counted only around the
        # hits that can start a window.
        hits = self._hits(text)
        if not hits:
            return None
        starts = [a for a, _, _ in hits]
        # A window starts two words before a hit (windows starting a little before a hit read better
        # than ones starting on it), but not so late that it holds fewer than `tokens` words: then it is
        # the last `tokens` words (all of them in a shorter text).
        best, best_key, best_end = -1, (-1, -1), 0
        rev = text[::-1]
        one_term = all(t == hits[0][2] for _, _, t in hits)  # then a window's distinct terms: 1 or 0
        for a in sorted({_word_back(text, rev, a, 2) for a in starts[:MAX_WINDOWS]}):
            end = _window_end(text, a, tokens)
            if end is None:
                a, end = _word_back(text, rev, len(text), tokens), _text_end(text)
            lo, hi = bisect_left(starts, a), bisect_left(starts, end)
            key = (int(hi > lo) if one_term else len({t for _, _, t in hits[lo:hi]}), hi - lo)
            if key > best_key:
                best, best_key, best_end = a, key, end
        marks = [(a, b) for a, b, _ in hits[bisect_left(starts, best) : bisect_left(starts, best_end)]]
        first = _WORD.search(text)
        cut_before = first is not None and first.start() < best
        return _render(text, best, best_end, marks, cut_before, _WORD.search(text, best_end) is not None)

    def lead(self, text: str, tokens: int = SNIPPET_TOKENS) -> str:
        """The opening words, unmarked: for a hit whose match is not in the shown text."""
        first = _WORD.search(text)
        if first is None:
            return _escape(text[:200])
        end = _window_end(text, first.start(), tokens)
        if end is None:
            return _render(text, first.start(), _text_end(text), [], False, False)
        return _render(text, first.start(), end, [], False, _WORD.search(text, end) is not None)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _render(
    text: str, start: int, end: int, marks: list[tuple[int, int]], cut_before: bool, cut_after: bool
) -> str:
    """The window text[start:end] (from the text's start unless cut before; to its end unless cut after)
    with the marked words (offsets into text) in <mark>, escaped."""
    out = [ELLIPSIS] if cut_before else []
    pos = start if cut_before else 0
    for a, b in marks:
        out += (_escape(text[pos:a]), MARK_OPEN, _escape(text[a:b]), MARK_CLOSE)
        pos = b
    if cut_after:
        out += (_escape(text[pos:end]), ELLIPSIS)
    else:
        out.append(_escape(text[pos:]))
    return "".join(out).strip()


def snippets(query: Query, texts: Mapping[int, tuple[str, str]]) -> dict[int, str]:
    """{id: snippet} for {id: (title, body)}: from the body where it matches, else the title, else the
    body's first words."""
    h = Highlighter(query)
    out: dict[int, str] = {}
    for article_id, (title, body) in texts.items():
        out[article_id] = h.snippet(body or "") or h.snippet(title or "") or h.lead(body or title or "")
    return out
