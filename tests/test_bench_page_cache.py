"""bench/common.py's PageCacheHold: what bench/http.py holds in memory while it measures reads."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import bench_module

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mlock and mincore: Linux only")


def test_a_database_and_its_index_are_held_and_let_go(tmp_path):
    common = bench_module("common")
    db = tmp_path / "c.db"
    db.write_bytes(b"x" * 300_000)
    (tmp_path / "c.db-wal").write_bytes(b"")  # empty: nothing to map
    gen = tmp_path / "c.db.index" / "gen-000001"
    gen.mkdir(parents=True)
    (gen / "a.idx").write_bytes(b"y" * 70_000)
    (tmp_path / "c.db.index" / "current").symlink_to(gen)  # a link to the generation: not held twice
    (tmp_path / "other.db").write_bytes(b"z" * 10)

    files = common.files_of(db)
    assert files == [db, tmp_path / "c.db-wal", gen / "a.idx"]

    cache = common.PageCacheHold()
    cache.hold(files)
    if cache.problem is not None and "mlock" in cache.problem:
        pytest.skip(f"no privilege to lock memory here: {cache.problem}")
    assert cache.problem is None
    assert cache.bytes == 370_000  # the two files with bytes, each whole
    assert len(cache.held) == 2
    assert cache.resident is not None and 0.0 <= cache.resident <= 1.0
    assert "0.00 GiB held (mlock)" in cache.describe()
    cache.hold(files)  # again, as bench/http.py does once the server has built its index: nothing twice
    assert cache.bytes == 370_000 and len(cache.held) == 2
    cache.release()
    assert cache.held == []
    cache.release()  # twice is harmless


def test_a_file_that_cannot_be_mapped_is_said_not_held(tmp_path, monkeypatch):
    common = bench_module("common")
    db = tmp_path / "c.db"
    db.write_bytes(b"x" * 5000)
    cache = common.PageCacheHold()
    monkeypatch.setattr(
        common.os, "open", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "denied"))
    )
    cache.hold([db, tmp_path / "gone.db"])
    assert cache.problem == f"{db}: denied"
    assert cache.held == [] and cache.bytes == 0
    assert cache.describe() == f"page cache: not held ({db}: denied)"
