"""The scores of an article's candidate stories, computed in numpy (`_scores`) or, for a few candidates, in
plain Python (`_scores_few`), are what the rule says:
each story's mean of its TOP best similarities, those at least JOIN, best first, and stories
tied on score in the order they first appear among the candidates. Compared with that rule written out
in Python, over random candidates with many ties (similarities on a coarse grid)."""

from __future__ import annotations

import random
import struct
from datetime import datetime, timedelta

import numpy as np
import pytest

from app.ingestion import storysig
from app.stories import service
from app.stories.service import JOIN, TOP, NewArticle, _scores, _scores_few, match


def score(similarities: list[float]) -> float:
    best = sorted(similarities, reverse=True)[:TOP]
    return sum(best) / len(best)


def _rule(stories: list[int], similar: list[float]) -> list[tuple[int, float]]:
    per_story: dict[int, list[float]] = {}
    for story, s in zip(stories, similar, strict=True):
        per_story.setdefault(story, []).append(s)
    scores = {sid: score(sims) for sid, sims in per_story.items()}
    return sorted(((s, v) for s, v in scores.items() if v >= JOIN), key=lambda x: -x[1])


@pytest.mark.parametrize("seed", range(40))
def test_scores_in_numpy_are_the_rule(seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.choice([1, 2, 3, 7, 50, 200])
    stories = [rnd.randrange(1, max(2, n // rnd.choice([1, 2, 5]))) for _ in range(n)]
    similar = [rnd.choice([0.0, 0.1, 0.14, 0.15, 0.2, 0.25, 0.5, 1 / 3, 0.9]) for _ in range(n)]
    got = _scores(np.array(stories, dtype=np.int64), np.array(similar))
    assert list(got.items()) == _rule(stories, similar)  # same floats, same order
    assert list(_scores_few(stories, similar).items()) == _rule(stories, similar)


def test_a_tie_goes_to_the_story_met_first() -> None:
    got = _scores(np.array([9, 4, 9, 4], dtype=np.int64), np.array([0.5, 0.5, 0.2, 0.2]))
    assert list(got) == [9, 4]
    got = _scores(np.array([4, 9, 9, 4], dtype=np.int64), np.array([0.5, 0.5, 0.2, 0.2]))
    assert list(got) == [4, 9]
    assert list(_scores_few([9, 4, 9, 4], [0.5, 0.5, 0.2, 0.2])) == [9, 4]
    assert list(_scores_few([4, 9, 9, 4], [0.5, 0.5, 0.2, 0.2])) == [4, 9]


@pytest.mark.parametrize("n", [1, 2, 5, storysig.FEW - 1, storysig.FEW, 120])
def test_an_articles_matches_are_the_same_one_by_one_and_in_numpy(n: int, monkeypatch) -> None:
    """match() compares a few candidates one by one in Python and many in numpy: the same stories, scores
    and order either way (sketches drawn from a small universe of hashes, so that many are similar)."""
    rnd = random.Random(n)
    universe = rnd.sample(range(2**32), 100)

    def sig(size: int | None = None) -> bytes:
        hashes = sorted(rnd.sample(universe, size or rnd.choice([3, 20, storysig.K, storysig.K])))
        return struct.pack(f">{len(hashes)}I", *hashes)

    when = datetime(2024, 5, 1)
    art = NewArticle(10_000, "t", when, sig(storysig.K), frozenset({1}))
    stored = [
        (when - timedelta(hours=k), k + 1, rnd.randrange(1, 1 + max(1, n // 3)), sig()) for k in range(n)
    ]
    found = {}
    for few in (0, 10_000):  # all in numpy; all one by one
        monkeypatch.setattr(service, "FEW", few)
        monkeypatch.setattr(storysig, "FEW", few)
        found[few] = list(match(art, stored).items())
    assert found[0] == found[10_000]
    assert found[0], "no story scored at least JOIN: the comparison would prove nothing"


def test_unpacked_sketches_are_reused_by_article_across_one_batchs_matches() -> None:
    """match(..., unpacked) keeps each candidate's unpacked sketch under its ARTICLE id for the batch's
    later matches: the same scores as unpacking each time, over candidates of which several share a story
    (a cache keyed by story would hand one article's hashes to another), and a sketch already in the
    cache is what the candidate is compared with."""
    rnd = random.Random(5)
    universe = rnd.sample(range(2**32), 90)

    def sig() -> bytes:
        hashes = sorted(rnd.sample(universe, rnd.choice([10, 30, storysig.K])))
        return struct.pack(f">{len(hashes)}I", *hashes)

    when = datetime(2024, 5, 1)
    arts = [NewArticle(10_000 + i, "t", when, sig(), frozenset({1})) for i in range(6)]
    stored = [(when - timedelta(hours=k), k + 1, 1 + k % 3, sig()) for k in range(12)]
    cache: dict[int, tuple[int, ...]] = {}
    for art in arts:
        expected = list(match(art, stored).items())
        assert list(match(art, stored, (), cache).items()) == expected
    assert expected, "no story scored at least JOIN: the comparison would prove nothing"
    assert sorted(cache) == [k + 1 for k in range(12)]
    # What the cache holds is used: candidate 1 stands for the arriving article itself.
    cache[1] = storysig.unpack(arts[0].story_sig)
    best = match(arts[0], stored[:1], (), cache)
    assert best == {stored[0][2]: 1.0}
