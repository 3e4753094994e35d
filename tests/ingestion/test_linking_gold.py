"""Linking quality on the hand-annotated gold set (tests/data/linking_gold), against the seeded database.

The same evaluation as `bench/linking.py`: a mention counts when its span and its actor match a gold
mention exactly. The floors are the issue's: precision >= 0.97 and recall >= 0.95 on the whole set.
"""

from __future__ import annotations

import json

import pytest

from app.ingestion.linker import Gazetteer
from bench.linking import GOLD_DIR, KINDS, Linker, evaluate, linker_for, load_gold

PRECISION_FLOOR = 0.97
RECALL_FLOOR = 0.95


@pytest.fixture
def linker(settings) -> Linker:  # type: ignore[no-untyped-def]
    return linker_for(settings)


def test_gold_set_is_well_formed() -> None:
    articles = load_gold()  # checks every offset against the text
    assert len(articles) >= 40
    assert sum(a.split == "heldout" for a in articles) >= 10
    assert {a.split for a in articles} == {"dev", "heldout"}
    kinds = {k for a in articles for k in a.kinds.values()}
    assert kinds == set(KINDS)
    assert sum(len(a.traps) for a in articles) >= 40
    for path in GOLD_DIR.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["licence"] and doc["id"] == path.stem
        spans = sorted((m["start"], m["end"]) for m in doc["mentions"] + doc["non_mentions"])
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), (
            f"{path.name}: overlapping spans"
        )


def test_linking_meets_the_floors_on_the_gold_set(linker: Linker) -> None:
    report = evaluate(linker, load_gold())
    mistakes = "\n".join(f"{e[0]} {e[1]} {e[4]!r} -> {e[5]}" for e in sorted(report.errors))
    assert report.overall.precision >= PRECISION_FLOOR, mistakes
    assert report.overall.recall >= RECALL_FLOOR, mistakes
    # No trap (a city as a place, "ICC" the cricket council, "us", "New Mexico"...) may be linked.
    assert report.traps_linked <= report.traps // 20, mistakes


def test_the_evaluation_counts_misses_and_false_positives(linker: Linker) -> None:
    articles = load_gold()
    empty = Linker(Gazetteer([]), linker.slugs, linker.names)
    report = evaluate(empty, articles)
    assert report.overall.tp == 0 and report.overall.recall == 0.0
    assert report.overall.fn == sum(len(a.mentions) for a in articles)
    # Every gold mention, moved by one character, is a false positive and a miss.
    shifted = [
        type(a)(a.id, a.split, " " + a.text, a.mentions, a.kinds, a.traps)
        for a in articles
        if a.split == "dev"
    ]
    report = evaluate(linker, shifted)
    assert report.overall.tp == 0 and report.overall.fp > 0
