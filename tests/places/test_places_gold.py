"""Place linking on the actor gold set, whose traps annotate places (bench/places.py): floors below the
measured figures (precision 0.918, recall 0.938, 1.000 over places the gazetteer holds)."""

from __future__ import annotations

import pytest

from bench.linking import Linker, linker_for, load_gold
from bench.places import evaluate_places

PRECISION_FLOOR = 0.9
RECALL_KNOWN_FLOOR = 0.95


@pytest.fixture
def linker(settings) -> Linker:  # type: ignore[no-untyped-def]
    return linker_for(settings)


def test_place_linking_floors_on_the_gold_set(linker: Linker) -> None:
    report = evaluate_places(linker, load_gold())
    assert report.tp >= 40, "the gold set's places were not found: the check would pass vacuously"
    assert report.precision >= PRECISION_FLOOR, report.errors
    assert report.recall_known >= RECALL_KNOWN_FLOOR, report.errors
