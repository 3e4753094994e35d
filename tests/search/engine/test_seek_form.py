"""A one-term text ANDed with filters in its seek form (body required, title optional: translate.text_query
with seek=True): the same documents with the same scores, to the bit, as the disjunction form, so every
plan of a query ranks ties alike; the reader takes it under selective filters and for counts."""

from __future__ import annotations

from typing import Any

import pytest

from app.search.engine import reader as reader_module
from app.search.engine.reader import MAX_TOP, SEEK_SHARE, _selectivity
from app.search.engine.translate import combine, filter_query, text_query
from tests.search.engine.test_oracle import resolve

CASES = [
    {"actor": ["russia"]},
    {"actor": ["russia", "united-states", "china"], "published_after": "2021-06-01T00:00:00"},
    {"member_of": "nato"},
    {"language": ["en", "de"], "actor_kind": ["country"]},
    {"source": ["TOP0", "TOP1"]},
    {"published_after": "2022-01-01T00:00:00", "published_before": "2023-01-01T00:00:00"},
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("text", ["talks", "sanctions", "sanc*", '"ceasefire talks"', "wheat"])
def test_the_seek_form_scores_as_the_disjunction(world, text, case):
    _, q, filters = resolve(world, {"q": text, **case})
    searcher, bounds = world.reader.snapshot()
    fq = filter_query(filters, bounds)
    plain = searcher.search(combine(text_query(searcher, q), fq), MAX_TOP, count=False).hits
    seek = searcher.search(combine(text_query(searcher, q, seek=True), fq), MAX_TOP, count=False).hits

    def scored(hits: list[Any]) -> list[tuple[float, int]]:
        ids = world.reader._ids(searcher, [a for _, a in hits])
        return sorted(
            ((float(sc), i) for (sc, _), i in zip(hits, ids, strict=True)), key=lambda r: (-r[0], r[1])
        )

    assert plain, "the case must match something"
    assert scored(seek) == scored(plain)  # exact floats


def test_the_reader_takes_it_under_selective_filters(world, monkeypatch):
    """The page and the count are the same whichever form the reader takes; it takes the seek form below
    SEEK_SHARE and for counts."""
    _, q, filters = resolve(world, {"q": "talks", "actor": ["russia"]})
    searcher, bounds = world.reader.snapshot()
    assert _selectivity(searcher, filters, bounds) < SEEK_SHARE
    forms: list[bool] = []
    plain = reader_module.text_query

    def spy(searcher: Any, query: Any, *, seek: bool = False) -> Any:
        forms.append(seek)
        return plain(searcher, query, seek=seek)

    expected = world.reader.search(q, filters, sort="relevance", limit=MAX_TOP)
    total = world.reader.count(q, filters)
    monkeypatch.setattr(reader_module, "text_query", spy)
    page = world.reader.search(q, filters, sort="relevance", limit=MAX_TOP)
    assert True in forms
    assert [(h.id, h.score) for h in page.hits] == [(h.id, h.score) for h in expected.hits]
    forms.clear()
    assert world.reader.count(q, filters) == total == len(expected.hits)
    assert True in forms
    forms.clear()
    monkeypatch.setattr(reader_module, "SEEK_SHARE", 0.0)  # every filter counts as broad
    page = world.reader.search(q, filters, sort="relevance", limit=MAX_TOP)
    assert True not in forms
    assert [(h.id, h.score) for h in page.hits] == [(h.id, h.score) for h in expected.hits]
