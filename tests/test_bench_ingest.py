"""bench/ingest.py's generated NDJSON: what bench/cli_cpu.py and bench/bulk_cpu.py ingest, with and without a
declared language (`--language`)."""

from __future__ import annotations

import json

from app.ingestion.pipeline import prepare_many
from tests.conftest import bench_module


def test_generated_articles_declare_a_language_only_when_asked(tmp_path):
    ingest = bench_module("ingest")
    plain, declared = tmp_path / "plain.ndjson", tmp_path / "en.ndjson"
    assert ingest.write_ndjson(plain, 12) == 12
    ingest.write_ndjson(declared, 12, language="en")
    a = [json.loads(line) for line in plain.read_text().splitlines()]
    b = [json.loads(line) for line in declared.read_text().splitlines()]
    assert len(a) == len(b) == 12
    assert all("language" not in r for r in a)
    assert [r["language"] for r in b] == ["en"] * 12
    assert a == [{k: v for k, v in r.items() if k != "language"} for r in b]  # the same articles otherwise

    # What the option is for: a declared language is taken as it is, nothing detected (confidence None);
    # without it the generator's English is detected.
    from app.articles.schemas import ArticleCreate
    from app.articles.service import to_input
    from app.ingestion.linker import Gazetteer

    def prepared(records):
        items = [(k, to_input(ArticleCreate.model_validate(r))) for k, r in enumerate(records)]
        return prepare_many(items, Gazetteer([]))

    detected = prepared(a)
    assert {p.values["language"] for p in detected} == {"en"}
    assert all(p.values["language_confidence"] is not None for p in detected)
    given = prepared(b)
    assert {(p.values["language"], p.values["language_confidence"]) for p in given} == {("en", None)}
