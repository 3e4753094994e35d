"""prepare_many runs the pipeline stage by stage over a batch: each article must come out exactly as
`prepare` makes it alone, failures in their place."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.actors.gazetteer import load_entries
from app.db import make_sync_engine
from app.ingestion.linker import Gazetteer
from app.ingestion.pipeline import ArticleInput, Prepared, prepare, prepare_many
from app.ingestion.places import PlaceLinker
from app.places.gazetteer import load_records
from bench.linking import load_gold

PAGES = Path(__file__).resolve().parents[1] / "data" / "pages"


@pytest.fixture
def linkers(settings: Any) -> tuple[Gazetteer, PlaceLinker]:
    engine = make_sync_engine(settings)
    try:
        with Session(engine) as session:
            return Gazetteer(load_entries(session)), PlaceLinker(load_records(session))
    finally:
        engine.dispose()


def _one(index: int, item: ArticleInput, gazetteer: Gazetteer, places: PlaceLinker) -> Any:
    try:
        return prepare(index, item, gazetteer, places)
    except ValueError as exc:
        return (index, str(exc))


def test_a_batch_is_prepared_as_each_article_alone(linkers: tuple[Gazetteer, PlaceLinker]) -> None:
    gazetteer, places = linkers
    when = datetime(2024, 11, 5, 9, 30)
    items: list[ArticleInput] = []
    for k, article in enumerate(load_gold()):
        title = article.text.split(". ")[0][:120]
        items.append(
            ArticleInput(
                url=f"https://example.com/{k}?utm_source=x",
                title=title if k % 7 else f"<b>{title}</b> &amp; more",
                body=article.text,
                published_at=when,
                language="en" if k % 3 == 0 else None,
                summary="A <i>summary</i>" if k % 5 == 0 else None,
            )
        )
    # Failures between them: no title, no date, nothing but markup; and a whole page to extract.
    items.insert(
        3, ArticleInput(url="https://example.com/a", title=None, body="Some text.", published_at=when)
    )
    items.insert(
        9, ArticleInput(url="https://example.com/b", title="T", body="Russia and NATO.", published_at=None)
    )
    pages = sorted(PAGES.glob("*.html"))
    if pages:
        page = pages[0].read_text(encoding="utf-8", errors="replace")
        items.insert(12, ArticleInput(url="https://example.com/p", title=None, body=page, published_at=when))
    numbered = [(100 + k, item) for k, item in enumerate(items)]

    batch = prepare_many(numbered, gazetteer, places)
    alone = [_one(index, item, gazetteer, places) for index, item in numbered]

    assert [r.index if isinstance(r, Prepared) else r[0] for r in batch] == [i for i, _ in numbered]
    failed = [r for r in batch if not isinstance(r, Prepared)]
    assert [i for i, _ in failed] == [103, 109]
    assert sum(1 for r in batch if isinstance(r, Prepared) and r.mentions) >= 40
    assert sum(1 for r in batch if isinstance(r, Prepared) and r.places) >= 10
    for got, want in zip(batch, alone, strict=True):
        if isinstance(want, Prepared):
            assert isinstance(got, Prepared)
            assert (got.index, got.values, got.mentions, got.raw_html, got.places) == (
                want.index,
                want.values,
                want.mentions,
                want.raw_html,
                want.places,
            )
        else:
            assert got == want


def test_prepare_raises_why_an_article_cannot_be_stored(linkers: tuple[Gazetteer, PlaceLinker]) -> None:
    gazetteer, places = linkers
    with pytest.raises(ValueError, match="title: missing"):
        prepare(
            0,
            ArticleInput(url="https://e.com/", title=" ", body="Text.", published_at=None),
            gazetteer,
            places,
        )
    with pytest.raises(ValueError, match="published_at: missing"):
        prepare(
            0,
            ArticleInput(url="https://e.com/", title="T", body="Text.", published_at=None),
            gazetteer,
            places,
        )
