"""content_hash, simhash64 and the near-duplicate band lookup."""

from __future__ import annotations

import hashlib
import random
from itertools import combinations

import pytest

from app.ingestion.fingerprint import (
    _EDGE_PUNCT,
    NEAR_DUPLICATE_DISTANCE,
    content_hash,
    earlier_near,
    fingerprints,
    hamming,
    is_near_duplicate,
    simhash64,
    simhash_bands,
    to_signed64,
    to_unsigned64,
)

ARTICLE = """BRUSSELS: North Korea might be supporting Russia with civilian personnel instead of military \
troops for the conflict in Ukraine, according to a senior South Korean defense official. Vice Defense \
Minister Kim Seon-ho discussed these developments during an interview at a NATO defense ministers' meeting \
in Brussels, providing a different perspective amid claims of North Korean soldiers being sent to aid Russia.

According to Yonhap News Agency, Vice Defense Minister Kim Seon-ho suggested the possibility that North \
Korea is contributing civilian personnel rather than soldiers to Russia's military efforts. This statement \
comes amid ongoing speculation and recent assertions by Ukrainian President Volodymyr Zelenskyy that North \
Korea is preparing to dispatch more troops to support Russia in Ukraine. Kim emphasized the need for further \
information to confirm the nature of North Korea's involvement.

The implications of North Korea's involvement are significant as they reflect the evolving relationship \
between Pyongyang and Moscow, especially after the announcement of a new bilateral treaty during a summit \
in June between Russian President Vladimir Putin and North Korean leader Kim Jong-un. This treaty, which \
resembles a mutual defense agreement, obligates both nations to provide military assistance swiftly in case \
of an armed attack.

The United States and its allies remain skeptical of Ukraine's claims regarding North Korean troops, noting \
a lack of evidence. Kim also speculated that any military cooperation with Russia might be a strategic move \
by North Korea to secure protection and support for its regime."""

# The same story as syndicated elsewhere: byline added, dateline dropped, a few words edited.
SYNDICATED = "By Staff Reporter\n\n" + (
    ARTICLE.replace("BRUSSELS: ", "")
    .replace("a senior South Korean defense official", "a senior South Korean defence official")
    .replace("ongoing speculation", "continuing speculation")
    .replace("swiftly", "quickly")
)

UNRELATED = """FRANKFURT: The European Central Bank left its key interest rates unchanged on Thursday, \
saying that inflation in services remained stubborn even as the wider economy of the euro area slowed. \
Policymakers signalled that they were in no hurry to cut borrowing costs again before the summer, and the \
bank's president told reporters that wage growth would need to ease further. Markets had priced in a \
small chance of a surprise cut, and the euro rose slightly against the dollar after the announcement. \
Economists expect the first reduction in June, when new staff projections will be available to the \
governing council, which meets every six weeks in Frankfurt."""


def test_content_hash_normalises_case_and_whitespace() -> None:
    a = content_hash("North Korea  Sends Troops", "Line one.\n\nLine   two.")
    b = content_hash("north korea sends troops", " Line one. Line two. ")
    assert a == b
    assert len(a) == 64 and int(a, 16) >= 0
    assert a == hashlib.sha256(b"north korea sends troops\nline one. line two.").hexdigest()


def test_content_hash_differs_for_different_content() -> None:
    assert content_hash("Title", "Body text") != content_hash("Title", "Body text!")
    assert content_hash("Title", "Body text") != content_hash("Title Body", "text")


def test_simhash_is_a_stable_signed_64_bit_value() -> None:
    # Stored hashes must never change silently: this pins the exact algorithm.
    assert (
        simhash64("North Korea may be providing civilian support to Russia, a South Korean official said.")
        == 3831382126385812226
    )
    for text in (ARTICLE, UNRELATED, "one", "two words"):
        h = simhash64(text)
        assert -(2**63) <= h < 2**63
        assert simhash64(text) == h
    assert simhash64("") == 0
    assert simhash64("  ... — ") == 0


def test_simhash_ignores_case_whitespace_and_edge_punctuation() -> None:
    assert simhash64(ARTICLE) == simhash64(ARTICLE.upper().replace("\n\n", "  "))
    assert simhash64("Russia, Ukraine.") == simhash64("russia ukraine")


def test_syndicated_copy_is_a_near_duplicate() -> None:
    distance = hamming(simhash64(ARTICLE), simhash64(SYNDICATED))
    assert distance <= NEAR_DUPLICATE_DISTANCE
    assert is_near_duplicate(simhash64(ARTICLE), simhash64(SYNDICATED))


def test_unrelated_and_same_topic_articles_are_not_near_duplicates() -> None:
    assert hamming(simhash64(ARTICLE), simhash64(UNRELATED)) > 3 * NEAR_DUPLICATE_DISTANCE
    # Different paragraphs of the same story share the vocabulary but not the text.
    paragraphs = ARTICLE.split("\n\n")
    for a, b in combinations(paragraphs, 2):
        assert not is_near_duplicate(simhash64(a), simhash64(b))


def test_near_duplicates_under_random_word_substitutions() -> None:
    """Copies with three substituted words mostly stay within the threshold.

    Deterministic (seeded edits, pinned hash): 100/100 today. Averaged over other hash functions
    this text would give ~64 % (see the module docstring), so the bound is a regression guard.
    """
    rnd = random.Random(7)
    words = ARTICLE.split()
    base = simhash64(ARTICLE)
    within = 0
    for _ in range(100):
        copy = list(words)
        for _ in range(3):
            copy[rnd.randrange(len(copy))] = rnd.choice(["alpha", "bravo", "charlie", "said"])
        within += hamming(base, simhash64(" ".join(copy))) <= NEAR_DUPLICATE_DISTANCE
    assert within >= 80


def test_hamming() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(-1, 0) == 64
    assert hamming(-1, 2**64 - 1) == 0  # signed and unsigned forms of the same hash
    assert hamming(to_signed64(2**63), 2**63) == 0


def test_signed_unsigned_round_trip() -> None:
    for u in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert to_unsigned64(to_signed64(u)) == u
    assert to_signed64(2**64 - 1) == -1


def test_simhash_bands() -> None:
    h = to_signed64(0x1234_5678_9ABC_DEF0)
    assert simhash_bands(h) == [0xDEF0, 0x9ABC, 0x5678, 0x1234]
    assert simhash_bands(-1) == [0xFFFF] * 4
    assert simhash_bands(h, bands=2) == [0x9ABC_DEF0, 0x1234_5678]
    assert len(simhash_bands(h, bands=8)) == 8
    with pytest.raises(ValueError):
        simhash_bands(h, bands=3)


def test_hashes_within_the_threshold_share_a_band() -> None:
    rnd = random.Random(11)
    for _ in range(2000):
        a = to_signed64(rnd.getrandbits(64))
        flips = rnd.sample(range(64), rnd.randint(0, NEAR_DUPLICATE_DISTANCE))
        b = to_signed64(to_unsigned64(a) ^ sum(1 << i for i in flips))
        assert hamming(a, b) <= NEAR_DUPLICATE_DISTANCE
        assert set(simhash_bands(a)) & set(simhash_bands(b)) or not flips
        assert any(x == y for x, y in zip(simhash_bands(a), simhash_bands(b), strict=True))
    # And the real near-duplicate pair from above can be found through a band.
    assert any(
        x == y
        for x, y in zip(simhash_bands(simhash64(ARTICLE)), simhash_bands(simhash64(SYNDICATED)), strict=True)
    )


def test_earlier_near_matches_pairwise_hamming() -> None:
    """The vectorised pass finds exactly the earlier hashes a pairwise loop finds, signed or not."""
    rng = random.Random(16)
    hashes: list[int] = []
    for _ in range(300):
        if hashes and rng.random() < 0.3:  # a near or not-so-near copy of an earlier one
            flips = rng.sample(range(64), rng.randint(0, 6))
            h = to_unsigned64(rng.choice(hashes))
            for bit in flips:
                h ^= 1 << bit
        else:
            h = rng.getrandbits(64)
        hashes.append(to_signed64(h) if rng.random() < 0.5 else h)
    expected = {
        i: [j for j in range(i) if hamming(hashes[i], hashes[j]) <= NEAR_DUPLICATE_DISTANCE]
        for i in range(len(hashes))
    }
    expected = {i: js for i, js in expected.items() if js}
    assert expected  # the set has near pairs to find
    assert earlier_near(hashes) == expected
    assert earlier_near(hashes[:1]) == {}


def _simhash_written_out(text: str) -> int:
    """The rule of the module docstring in plain Python: a bit is set when more than half the features
    (each word's T0, each adjacent pair's T1 ^ T2) have it."""
    words = [w.strip(_EDGE_PUNCT) for w in text.casefold().split()]
    words = [w for w in words if w]
    if not words:
        return 0
    digests = [hashlib.blake2b(w.encode(), digest_size=24, person=b"geonews-simhash").digest() for w in words]
    t = [[int.from_bytes(d[8 * k : 8 * k + 8], "little") for k in range(3)] for d in digests]
    features = [row[0] for row in t] + [a[1] ^ b[2] for a, b in zip(t, t[1:], strict=False)]
    value = sum(1 << bit for bit in range(64) if 2 * sum(f >> bit & 1 for f in features) > len(features))
    return to_signed64(value)


def test_simhash_equals_the_rule_written_out() -> None:
    rng = random.Random(7)
    vocabulary = ARTICLE.split() + ["—", "...", "«Kyiv»", "Ünïcode", "数字", "a.b", "'", "(NATO)"]
    texts = [ARTICLE, UNRELATED, "one", "— one —", "x y", "\t tabs\nand  lines "]
    texts += [" ".join(rng.choices(vocabulary, k=rng.randint(1, 600))) for _ in range(40)]
    for text in texts:
        assert simhash64(text) == _simhash_written_out(text), text[:60]
        assert simhash64(text) == _simhash_written_out(text)  # its words cached now


def test_fingerprints_are_the_hashes_of_title_and_body() -> None:
    for title, body in [("North Korea", ARTICLE), ("— «A» —", " ... "), ("", "one two"), ("Ü", "\tx\ny ")]:
        sim = simhash64(f"{title}\n{body}")
        assert fingerprints(title, body) == {
            "content_hash": content_hash(title, body),
            "simhash": sim,
            **{f"sh{i}": b for i, b in enumerate(simhash_bands(sim))},
        }


@pytest.mark.parametrize("max_distance", [0, 3, 5])
def test_earlier_near_when_many_hashes_share_band_values(max_distance: int) -> None:
    """Hashes crowded on a few values of each band (as a generated corpus's are): the pairs sharing a band
    are many, and still exactly the pairwise loop's answer; beyond 3 bits, every pair is compared."""
    rng = random.Random(7)
    common = [rng.getrandbits(16) for _ in range(3)]
    hashes: list[int] = []
    for _ in range(400):
        bands = [rng.choice(common) if rng.random() < 0.6 else rng.getrandbits(16) for _ in range(4)]
        h = sum(v << (16 * b) for b, v in enumerate(bands))
        for bit in rng.sample(range(64), rng.randint(0, 2)) if rng.random() < 0.3 else []:
            h ^= 1 << bit
        hashes.append(h)
    hashes += hashes[:5]  # equal hashes share all four bands: each pair once
    expected = {
        i: [j for j in range(i) if hamming(hashes[i], hashes[j]) <= max_distance] for i in range(len(hashes))
    }
    expected = {i: js for i, js in expected.items() if js}
    assert earlier_near(hashes, max_distance) == expected
    sharing = sum(
        1
        for i in range(len(hashes))
        for j in range(i)
        if any(simhash_bands(hashes[i])[b] == simhash_bands(hashes[j])[b] for b in range(4))
    )
    assert sharing > 20_000 and len(expected) >= 5  # crowded enough to mean something
