"""Exact and near-duplicate fingerprints of article text.

- ``content_hash``: sha256 over the casefolded, whitespace-collapsed title and body: identical
  content (up to case and spacing) gives the identical hash.
- ``simhash64``: Charikar's simhash over word 2-shingles (words: the casefolded text split on
  whitespace, surrounding punctuation stripped). A shingle's 64-bit hash is simple tabulation
  hashing, ``T1[w1] ^ T2[w2]``, with ``T1``, ``T2`` independent 64-bit hashes of a word cut from one
  blake2b digest and cached per word; the per-bit majority vote runs in numpy (~200 µs for a
  400-word article). The value is stable across processes, platforms and Python versions; changing
  any of this changes every stored hash.
- Why 2-shingles and not 3 (measured on the 370-word seed article, 300 random trials each):
  with 3-shingles ONE substituted word already gives a median distance of 4 (41 % within 3) and
  "defense"->"defence" throughout gives 13, because nearly every 3-shingle is unique and the
  per-bit votes sit near the majority line. With 2-shingles: 1-3 substituted words median 1
  (99-100 % within 3), 5 words 93 %, 10 words 65 %; added byline 2, dropped dateline 1,
  "defence" spelling 3; different paragraphs of the same story stay 24-36 apart.
- The hash is returned as a SIGNED 64-bit int (fits a BIGINT column); ``hamming`` and
  ``simhash_bands`` accept either form.

Near-duplicate lookup: store the 4 16-bit bands of each hash in indexed columns; two hashes within
``NEAR_DUPLICATE_DISTANCE`` (3) bits differ in at most 3 bands, so they share at least one band
(pigeonhole): look up candidates by band, then confirm with ``hamming``.
"""

from __future__ import annotations

import hashlib
import string
from typing import Final

import numpy as np

__all__ = [
    "NEAR_DUPLICATE_DISTANCE",
    "content_hash",
    "hamming",
    "is_near_duplicate",
    "simhash64",
    "simhash_bands",
    "to_signed64",
    "to_unsigned64",
]

NEAR_DUPLICATE_DISTANCE: Final = 3
SHINGLE_SIZE: Final = 2

_MASK64: Final = (1 << 64) - 1
_EDGE_PUNCT: Final = string.punctuation + "“”‘’„‚«»‹›—–―…·•¡¿"
_WORD_CACHE_MAX: Final = 200_000
_word_cache: dict[str, tuple[bytes, bytes, bytes]] = {}


def _normalize(text: str) -> str:
    return " ".join(text.casefold().split())


def content_hash(title: str, body: str) -> str:
    """sha256 hex digest of the normalised (casefolded, whitespace-collapsed) title and body."""
    data = _normalize(title) + "\n" + _normalize(body)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _word_hashes(word: str) -> tuple[bytes, bytes, bytes]:
    hit = _word_cache.get(word)
    if hit is not None:
        return hit
    d = hashlib.blake2b(word.encode("utf-8"), digest_size=24, person=b"geonews-simhash").digest()
    value = (d[:8], d[8:16], d[16:])
    if len(_word_cache) >= _WORD_CACHE_MAX:
        _word_cache.clear()
    _word_cache[word] = value
    return value


def to_signed64(h: int) -> int:
    h &= _MASK64
    return h - (1 << 64) if h >> 63 else h


def to_unsigned64(h: int) -> int:
    return h & _MASK64


def simhash64(text: str) -> int:
    """64-bit simhash of the text's word 2-shingles, as a signed int (0 for text without words)."""
    # split() + strip() is ~2x faster than a \\w+ regex over the whole text.
    words = [w if w.isalnum() else w.strip(_EDGE_PUNCT) for w in text.casefold().split()]
    words = [w for w in words if w]
    if not words:
        return 0
    hashes = [_word_hashes(w) for w in words]
    k = min(SHINGLE_SIZE, len(hashes))
    n = len(hashes) - k + 1  # number of shingles
    # Shingle i hashes to T1[w_i] ^ T2[w_i+1] (^ ...): XOR whole columns at once.
    acc = np.frombuffer(b"".join([h[0] for h in hashes[:n]]), dtype="<u8")
    for pos in range(1, k):
        acc = acc ^ np.frombuffer(b"".join([h[pos] for h in hashes[pos : pos + n]]), dtype="<u8")
    # Column j of the bit matrix is bit j of every shingle hash (explicit little-endian: portable).
    bits = np.unpackbits(acc.astype("<u8", copy=False).view(np.uint8), bitorder="little")
    counts = bits.reshape(n, 64).sum(axis=0, dtype=np.int64)
    majority = np.packbits(counts * 2 > n, bitorder="little").tobytes()
    return to_signed64(int.from_bytes(majority, "little"))


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def is_near_duplicate(a: int, b: int, max_distance: int = NEAR_DUPLICATE_DISTANCE) -> bool:
    return hamming(a, b) <= max_distance


def simhash_bands(h: int, bands: int = 4) -> list[int]:
    """The hash split into ``bands`` equal bands (16-bit values for 4), lowest bits first."""
    if bands <= 0 or 64 % bands:
        raise ValueError("bands must divide 64")
    width = 64 // bands
    mask = (1 << width) - 1
    u = h & _MASK64
    return [(u >> (i * width)) & mask for i in range(bands)]
