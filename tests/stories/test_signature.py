"""The story signature: compact, stable, and an honest estimate of word-set similarity."""

from __future__ import annotations

import random
import statistics
import zlib

from app.ingestion.storysig import K, Sketch, features, similarity, sketch, unpack


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
