"""The shared GDELT sample, read with the csv module so that tests derive their expectations from the data."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..graph.support import all_pages

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gdelt"
EXPORT = DATA / "20170701234500.export.CSV"
MENTIONS = DATA / "20170701234500.mentions.CSV"
CAMEO = DATA / "cameo-event-codes.tsv"

# Export columns used by the tests (GDELT 2.0 event codebook order).
ID, SQLDATE = 0, 1
A1_CODE, A1_NAME, A1_COUNTRY, A1_GROUP = 5, 6, 7, 8
A2_CODE, A2_NAME, A2_COUNTRY, A2_GROUP = 15, 16, 17, 18
EVENT_CODE, QUAD_CLASS = 26, 29
GEO_NAME, GEO_COUNTRY, GEO_LAT, GEO_LON = 52, 53, 56, 57
SOURCE_URL = 60


def read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def write_tsv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture(scope="session")
def export_rows() -> list[list[str]]:
    if not EXPORT.exists():
        pytest.skip(f"GDELT sample not found at {EXPORT}")
    return read_tsv(EXPORT)


@pytest.fixture(scope="session")
def mention_rows() -> list[list[str]]:
    if not MENTIONS.exists():
        pytest.skip(f"GDELT mentions sample not found at {MENTIONS}")
    return read_tsv(MENTIONS)


def walk(client: TestClient, path: str = "/v1/events", **params: Any) -> list[dict[str, Any]]:
    """Every item of a list (events by default), following next_cursor with the largest page."""
    return all_pages(client, path, **params)
