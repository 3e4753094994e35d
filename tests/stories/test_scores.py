"""The scores of an article's candidate stories, computed in numpy (`_scores`), are what the rule says:
each story's mean of its TOP best similarities, those at least JOIN, best first, and stories
tied on score in the order they first appear among the candidates. Compared with that rule written out
in Python, over random candidates with many ties (similarities on a coarse grid)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from app.stories.service import JOIN, TOP, _scores


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


def test_a_tie_goes_to_the_story_met_first() -> None:
    got = _scores(np.array([9, 4, 9, 4], dtype=np.int64), np.array([0.5, 0.5, 0.2, 0.2]))
    assert list(got) == [9, 4]
    got = _scores(np.array([4, 9, 9, 4], dtype=np.int64), np.array([0.5, 0.5, 0.2, 0.2]))
    assert list(got) == [4, 9]
