"""The story signature of an article: a bottom-k MinHash sketch of its content words.

Articles about one story, written by different outlets, share few phrases but many content words: the
names, places, numbers and the story's own nouns ("tariffs", "soybeans", "Geneva"). So the features are
single words of the title and the lead (the first LEAD_CHARS of the body), lower-cased, stopwords and
generic newsroom words dropped, cut to their first STEM letters (a crude stemmer: "sanctions" and
"sanctioned" meet). Each feature is hashed with CRC-32 (stable across processes and platforms) and the
sketch keeps the K smallest distinct hashes: a bottom-k MinHash, so that the Jaccard similarity of two
articles' word sets is estimated from the sketches alone (exact when both sets have fewer than K words).
Stored as K big-endian uint32 values: at most 256 bytes an article.
"""

from __future__ import annotations

import re
import struct
import threading
import zlib
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

from ..text import ascii_words

K = 64
STEM = 6
LEAD_CHARS = 1500

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# English function words, and the words almost every political news story uses.
_STOPWORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our ours out over own same she should so some
    such than that the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    said says say saying told tell according added adding spokesperson spokesman spokeswoman statement
    statements official officials government governments minister ministers ministry president
    prime leader leaders country countries state states national international foreign week weeks
    day days year years month months today yesterday tomorrow monday tuesday wednesday thursday friday
    saturday sunday morning evening night time new news report reports reported reporting reporters
    press agency people one two three first last next since earlier later still however though
    amid across around near among within without while whether yet may might must shall us
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _feature(word: str) -> str | None:
    """A lower-cased word's feature: its first STEM letters; None for a stopword or a short non-number."""
    if word in STOPWORDS or (len(word) < 3 and not word.isdigit()):
        return None
    return word[:STEM]


def _words(title: str, body: str) -> list[str]:
    text = f"{title} {body[:LEAD_CHARS]}".casefold()
    return ascii_words(text) if text.isascii() else _WORD.findall(text)


def features(title: str, body: str) -> set[str]:
    return {f for w in _words(title, body) if (f := _feature(w)) is not None}


_HASH_CACHE_MAX = 100_000  # ~12 MB at most


class _HashCache(dict[str, int]):
    """A word -> its feature's hash, -1 for a word that is no feature; computed on a miss (looked up with
    `map(cache.__getitem__, words)`: no Python code runs for a word seen before)."""

    def __missing__(self, word: str) -> int:
        return _word_hash(word)


_hash_cache = _HashCache()


def _word_hash(word: str) -> int:
    feature = _feature(word)
    h = -1 if feature is None else zlib.crc32(feature.encode())
    if len(_hash_cache) >= _HASH_CACHE_MAX:
        _hash_cache.clear()
    _hash_cache[word] = h
    return h


def sketch(title: str, body: str) -> bytes:
    """The K smallest CRC-32 hashes of the article's features, packed big-endian (each word's hash
    cached: the same as hashing `features`, in 3/4 of the time)."""
    hashes = set(map(_hash_cache.__getitem__, _words(title, body)))
    hashes.discard(-1)
    smallest = sorted(hashes)[:K]
    return struct.pack(f">{len(smallest)}I", *smallest)


def unpack(blob: bytes | None) -> tuple[int, ...]:
    if not blob:
        return ()
    return struct.unpack(f">{len(blob) // 4}I", blob)


# Below this many sketches compared with one, comparing them one by one in Python costs less than numpy's
# fixed cost (both ~0.2 ms at 40 here: bench/stories_match.py).
FEW = 32

_SLOTS = 1 << 16
_tables = threading.local()


def _members(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Which of `theirs` are in `mine` (sorted, distinct): looked up in a table indexed by a hash's low 16
    bits (three times faster than a binary search each), or, when two of `mine` share them, searched."""
    low = mine & (_SLOTS - 1)
    table = getattr(_tables, "table", None)
    if table is None:
        table = _tables.table = np.full(_SLOTS, -1, dtype=np.int64)  # no hash is negative
    table[low] = mine
    try:
        # Two of `mine` sharing their low bits: the later one's write hid the other (cheaper than np.unique).
        if not np.array_equal(table[low], mine):
            at = np.minimum(np.searchsorted(mine, theirs), len(mine) - 1)
            return np.asarray(mine[at] == theirs)
        return np.asarray(np.take(table, theirs & (_SLOTS - 1)) == theirs)
    finally:
        table[low] = -1  # empty again for the next sketch of this thread


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard similarity of two articles' word sets from their sketches (see `Sketch.similarity`)."""
    return Sketch(a).similarity(b)


class Sketch:
    """One article's sketch, compared with many others.

    A full sketch holds every hash of its set up to its largest, `top`. Below tau = the smaller `top` of
    two sketches (infinite for a sketch that is not full: it holds its whole set), both sketches hold
    every hash of their sets, so the hashes below tau are a uniform sample of the union on which
    intersection and union are known exactly: J ~ |common| / |union below tau| (every common hash is
    below tau). Exact when neither sketch is full; no sorting, two bisections and one intersection."""

    __slots__ = ("hashes", "sorted", "top")

    def __init__(self, hashes: tuple[int, ...]) -> None:
        self.sorted = hashes
        self.hashes = frozenset(hashes)
        self.top = hashes[-1] if len(hashes) >= K else None

    def similarity(self, other: tuple[int, ...]) -> float:
        if not self.sorted or not other:
            return 0.0
        common = len(self.hashes.intersection(other))
        tops = [t for t in (self.top, other[-1] if len(other) >= K else None) if t is not None]
        if not tops:
            return common / (len(self.sorted) + len(other) - common)
        tau = min(tops)
        union = bisect_right(self.sorted, tau) + bisect_right(other, tau) - common
        return common / union

    def similarities(self, others: Sequence[bytes | None]) -> list[float]:
        """`similarity` with each of many packed sketches (as stored): fewer than FEW one by one, more in
        one pass of numpy (the same values, ~4x faster for the hundreds of candidates of an arriving
        article in a live feed, but ~0.18 ms however few: most of a backfill's articles have a handful)."""
        if len(others) < FEW:
            return [self.similarity(unpack(b)) for b in others]
        return [float(x) for x in self.similarity_array(others)]

    def similarity_array(self, others: Sequence[bytes | None]) -> np.ndarray:
        """`similarities` as a float64 array."""
        n = len(others)
        if not n or not self.sorted:
            return np.zeros(n)
        blobs = [b or b"" for b in others]
        # Most sketches are full (K hashes): joined as they are; others padded to K. No sketch holds more
        # than K, so all are full when together they hold n * K.
        packed = b"".join(blobs)
        full = len(packed) == 4 * K * n
        mine = np.asarray(self.sorted, dtype=np.int64)
        if full:  # no padding, and every tau is a hash of theirs: the general case below, without masks
            theirs = np.frombuffer(packed, dtype=">u4").reshape(n, K).astype(np.int64)
            common = np.count_nonzero(_members(mine, theirs), axis=1)
            # tau = the smaller top; each of theirs is sorted, so those up to tau are all K when their top
            # is the smaller, else those up to mine's top.
            if self.top is None:
                tau, theirs_below = theirs[:, K - 1], K
            else:
                tau = np.minimum(theirs[:, K - 1], self.top)
                theirs_below = np.count_nonzero(theirs <= self.top, axis=1)
            below = np.searchsorted(mine, tau, side="right") + theirs_below
            return np.asarray(common / np.maximum(below - common, 1), dtype=np.float64)
        lengths = np.fromiter(map(len, blobs), dtype=np.int64, count=n) // 4
        packed = b"".join(b.ljust(4 * K, b"\0") for b in blobs)
        theirs = np.frombuffer(packed, dtype=">u4").reshape(n, K).astype(np.int64)
        held = np.arange(K) < lengths[:, None]  # the padding is no hash
        common = (_members(mine, theirs) & held).sum(axis=1)
        # tau: the smaller top of the full sketches of the two; none full: the union is known exactly.
        big = np.int64(1) << 40
        their_top = np.where(lengths >= K, theirs[:, K - 1], big)
        tau = np.minimum(their_top, self.top if self.top is not None else big)
        below = np.searchsorted(mine, tau, side="right") + ((theirs <= tau[:, None]) & held).sum(axis=1)
        union = np.where(tau == big, len(mine) + lengths, below) - common
        return np.asarray(np.where(lengths > 0, common / np.maximum(union, 1), 0.0), dtype=np.float64)
