"""The story signature: compact, stable, and an honest estimate of word-set similarity."""

from __future__ import annotations

import random
import re
import statistics
import struct
import zlib

from app.ingestion.storysig import (
    FEW,
    LEAD_CHARS,
    STEM,
    STOPWORDS,
    K,
    Sketch,
    features,
    similarity,
    sketch,
    unpack,
)


def test_features_drop_stopwords_and_newsroom_words_and_stem():
    f = features(
        "Sanctions on Russia", "The minister said on Tuesday that the sanctioned tankers were seized."
    )
    assert {"sancti", "russia", "tanker", "seized"} <= f
    assert not {"the", "minist", "said", "tuesda", "on"} & f


def test_sketch_is_compact_sorted_and_stable():
    body = " ".join(f"word{i}" for i in range(500))
    blob = sketch("A title", body)
    hashes = unpack(blob)
    assert len(blob) == 4 * K and len(hashes) == K and list(hashes) == sorted(set(hashes))
    # CRC-32 of the features: the same in every process and on every platform.
    assert min(zlib.crc32(w.encode()) for w in features("A title", body)) == hashes[0]
    assert unpack(None) == () and similarity((), hashes) == 0.0


def test_small_sets_are_compared_exactly():
    a = unpack(sketch("Geneva trade talks", "tariffs soybeans chips Geneva"))
    b = unpack(sketch("Geneva truce", "tariffs soybeans farmers"))
    fa, fb = (
        features("Geneva trade talks", "tariffs soybeans chips Geneva"),
        features("Geneva truce", "tariffs soybeans farmers"),
    )
    assert similarity(a, b) == len(fa & fb) / len(fa | fb)


def test_full_sketches_estimate_jaccard_without_bias():
    rng = random.Random(3)
    errors = []
    for _ in range(200):
        universe = [rng.randrange(2**32) for _ in range(500)]
        a, b = set(universe[: rng.randrange(150, 400)]), set(universe[rng.randrange(50, 300) :])
        truth = len(a & b) / len(a | b)
        est = Sketch(tuple(sorted(a)[:K])).similarity(tuple(sorted(b)[:K]))
        errors.append(est - truth)
    assert abs(statistics.mean(errors)) < 0.01
    assert statistics.pstdev(errors) < 0.05


def test_similarities_in_one_pass_equal_the_pairwise_ones() -> None:
    """The vectorised comparison (an arriving article against its candidates) gives exactly the values of
    `similarity`: full and part-full sketches, either side empty, hashes at both ends of uint32."""
    rng = random.Random(11)
    # 0 and 65,536 (and 1 and 65,537) share their low 16 bits: the lookup table gives way to a search.
    universe = [0, 1, 65_536, 65_537, 2**32 - 1, 2**32 - 2, *rng.sample(range(2**32), 300)]

    def some(n: int) -> tuple[int, ...]:
        population = universe[: max(n, rng.choice([70, 120, len(universe)]))]
        return tuple(sorted(rng.sample(population, n)))

    sketches = [some(n) for n in (0, 1, 5, 30, K - 1, K, K, K, K, 40, K)] + [some(K) for _ in range(40)]
    sketches += [tuple(sorted({0, 65_536, *h[2:]})) for h in sketches[20:24]]
    blobs = [struct.pack(f">{len(h)}I", *h) if h else None for h in sketches]
    for mine in sketches:
        expected = [Sketch(mine).similarity(h) for h in sketches]
        assert list(Sketch(mine).similarity_array(blobs)) == expected
        assert Sketch(mine).similarities(blobs) == expected  # more than FEW: numpy
        assert Sketch(mine).similarities(blobs[: FEW - 1]) == expected[: FEW - 1]  # one by one
        # Only full sketches (a live feed's candidates): the unmasked path, the same values.
        full = [k for k, h in enumerate(sketches) if len(h) == K]
        assert list(Sketch(mine).similarity_array([blobs[k] for k in full])) == [expected[k] for k in full]
    assert Sketch(sketches[5]).similarities([]) == []


def test_sketch_is_the_smallest_hashes_of_the_features():
    # sketch() caches each word's hash: its blob must stay that of the rule, cached or not.
    rng = random.Random(3)
    ascii_words = [
        "the",
        "Sanctions",
        "sanctioned",
        "2024",
        "12",
        "a5",
        "of",
        "Tankers",
        "Geneva",
        "said",
        "9",
        "x_y",
        "re-run",
        "(NATO),",
        "'s",
        "U.S.",
        "\tA\n",
    ]
    other_words = [*ascii_words, "naïve", "ÉTÉ", "北京", "«Kyiv»"]
    # ASCII texts (split without a regex) and others, in turn.
    for k in range(120):
        vocabulary = ascii_words if k % 2 else other_words
        title = " ".join(rng.choices(vocabulary, k=rng.randint(0, 8)))
        body = " ".join(rng.choices(vocabulary, k=rng.randint(0, 400)))
        # features() as the module docstring states it: words of letters and digits, stopwords and short
        # non-numbers dropped, cut to STEM letters (an ASCII text's words are split without the regex).
        words = re.findall(r"[^\W_]+", f"{title} {body[:LEAD_CHARS]}".casefold())
        stated = {w[:STEM] for w in words if w not in STOPWORDS and (len(w) >= 3 or w.isdigit())}
        assert features(title, body) == stated
        hashes = sorted({zlib.crc32(f.encode()) for f in features(title, body)})[:K]
        expected = struct.pack(f">{len(hashes)}I", *hashes)
        assert sketch(title, body) == expected
        assert sketch(title, body) == expected
