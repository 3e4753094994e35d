"""`geonews ingest` over real and broken files: where and why every failure happened, compressed inputs,
warnings for empty or ill-formed feeds, the summary, and the dates and sources of feed entries."""

from __future__ import annotations

import bz2
import gzip
import inspect
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import make_key

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test Wire</title><language>en-us</language>
<item><title>Seoul and Tokyo talk</title><link>https://wire.example.com/1?utm_source=rss</link>
<description>&lt;p&gt;Officials in Seoul and Tokyo met in Canberra.&lt;/p&gt;</description>
<pubDate>Fri, 18 Oct 2024 09:00:00 GMT</pubDate></item>
<item><title>Kyiv warns</title><link>https://wire.example.com/2</link>
<description>Kyiv said Pyongyang was sending troops to Russia.</description>
<pubDate>Sat, 19 Oct 2024 10:30:00 +0200</pubDate></item>
<item><title>Kyiv warns</title><link>https://wire.example.com/2#again</link>
<description>Kyiv said Pyongyang was sending troops to Russia.</description>
<pubDate>Sat, 19 Oct 2024 10:30:00 +0200</pubDate></item>
</channel></rss>
"""


class Run:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _run(
    args: list[str], env: dict[str, str], tmp_path: Path, program: tuple[str, ...] = ("-m", "app.cli")
) -> Run:
    """The command in tmp_path, so that files are named as a user there names them ("feeds/x.xml");
    `program`: what Python runs (a script of the test's that wraps the command)."""
    # Output to files, not pipes: a pipe held open by a stray worker process could never reach EOF.
    out, errs = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as o, errs.open("w") as e:
        proc = subprocess.run(
            [sys.executable, *program, *args],
            stdout=o,
            stderr=e,
            text=True,
            env=env,
            timeout=300,
            cwd=tmp_path,
        )
    return Run(proc.returncode, out.read_text(), errs.read_text())


def _env(settings: Any) -> dict[str, str]:
    return {**os.environ, "GEONEWS_DATABASE_URL": settings.database_url, "COLUMNS": "200"}


def _client_env() -> dict[str, str]:
    """With --server the command never opens a database: one that cannot exist proves it."""
    return {**os.environ, "GEONEWS_DATABASE_URL": "sqlite:////nonexistent/unused.db", "COLUMNS": "200"}


def _article(host: str, i: int, **fields: Any) -> bytes:
    """An NDJSON line of an article of `host` (its i-th), with `fields` over the defaults."""
    return orjson.dumps(
        {
            "url": f"https://{host}/{i}",
            "title": f"T{i}",
            "body": "Moscow.",
            "published_at": "2024-10-18",
            **fields,
        }
    )


def _write(tmp_path: Path, lines: list[bytes]) -> None:
    (tmp_path / "articles.ndjson").write_bytes(b"\n".join(lines))


def _all(client: Any, **params: Any) -> list[dict[str, Any]]:
    return client.get("/v1/articles", params={"limit": 100, **params}).json()["items"]


def test_ingest_rss_straight_into_the_database(client, settings, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS)
    out = _run(["ingest", "feed.xml"], _env(settings), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "created 2, updated 0, unchanged 1, failed 0" in out.stdout
    assert "ingest" in out.stderr  # the progress bar
    assert "ingest summary" in out.stderr
    # `source` is the site's host, as for articles posted over HTTP; the feed's title is kept apart.
    items = _all(client, source="wire.example.com", sort="published_at")
    assert [a["url"] for a in items] == [
        "https://wire.example.com/1?utm_source=rss",
        "https://wire.example.com/2",
    ]
    assert _all(client, source="Test Wire") == []
    assert items[1]["published_at"] == "2024-10-19T08:30:00Z"
    detail = client.get(f"/v1/articles/{items[1]['id']}").json()
    assert detail["feed_title"] == "Test Wire"
    assert detail["date_source"] == "published"
    assert detail["language"] == "en" and detail["language_confidence"] is None  # declared by the feed
    assert {m["actor"]["slug"] for m in detail["mentions"]} == {"ukraine", "north-korea", "russia"}
    again = _run(["ingest", "feed.xml"], _env(settings), tmp_path)
    assert "created 0, updated 0, unchanged 3" in again.stdout


@pytest.mark.parametrize("in_flight", [1, 3])
def test_ingest_ndjson_to_a_server_names_each_bad_line(server, settings, tmp_path, in_flight):
    lines = [_article("nd.example.com", i) for i in range(5)]
    lines.insert(2, b'{"url": broken')
    lines.append(
        orjson.dumps({"url": "https://nd.example.com/x", "title": "bad date", "published_at": "2024-13-01"})
    )
    lines.append(b"[1, 2]")
    # Valid for the client (a whole page may bring its own title), refused by the server (this one has
    # none): named by its line whichever batch's answer comes back first.
    page = (
        "<html><head></head><body><article><p>Moscow and Kyiv traded accusations.</p></article></body></html>"
    )
    lines.insert(
        4, orjson.dumps({"url": "https://nd.example.com/t", "body": page, "published_at": "2024-10-18"})
    )
    _write(tmp_path, lines)
    key = make_key(settings, "write")
    args = ["ingest", "articles.ndjson", "--server", server, "--key", key, "--batch", "3"]
    out = _run([*args, "--in-flight", str(in_flight)], _client_env(), tmp_path)
    assert out.returncode == 0, out.stderr
    assert "created 5, updated 0, unchanged 0, failed 4" in out.stdout
    assert "line 3 of articles.ndjson: not valid JSON" in out.stderr
    assert "line 5 of articles.ndjson: title: missing, and the page has none" in out.stderr
    assert "line 8 of articles.ndjson: published_at:" in out.stderr
    assert "line 9 of articles.ndjson: not a JSON object" in out.stderr


def test_bodies_over_the_servers_limit_are_cut_and_a_lone_giant_fails_alone(settings, tmp_path):
    """A server that accepts bodies of 6,000 bytes: a batch of 100 articles of ~1 kB goes as bodies under
    the limit its 413 names, every article is stored, and the one article larger than that on its own
    fails with the server's reason while the others go on."""
    from tests.conftest import start_server, stop_server

    def line(i: int, words: int) -> bytes:
        body = " ".join(f"Moscow talks round {i} word{k}." for k in range(words))
        return _article("big.example.com", i, title=f"Round {i}", body=body)

    lines = [line(i, 30) for i in range(24)]
    assert all(900 < len(x) < 1500 for x in lines)
    lines.insert(7, line(99, 400))  # ~12 kB: larger than the server's limit on its own
    assert len(lines[7]) > 6000
    _write(tmp_path, lines)
    proc, base = start_server(settings, env={"GEONEWS_MAX_BODY_BYTES": "6000"})
    try:
        key = make_key(settings, "write")
        out = _run(
            ["ingest", "articles.ndjson", "--server", base, "--key", key, "--batch", "100"],
            _client_env(),
            tmp_path,
        )
        assert out.returncode == 0, out.stderr
        assert "created 24, updated 0, unchanged 0, failed 1" in out.stdout
        assert "line 8 of articles.ndjson: too large for the server: The body is larger than 6000 bytes" in (
            " ".join(out.stderr.split())
        )
        import httpx

        stored = httpx.get(f"{base}/v1/articles", params={"source": "big.example.com", "limit": 100}).json()
        assert sorted(a["url"] for a in stored["items"]) == sorted(
            f"https://big.example.com/{i}" for i in range(24)
        )
    finally:
        stop_server(proc)


def test_a_server_that_is_not_up_yet_is_waited_for_and_nothing_is_lost(settings, tmp_path):
    """`geonews ingest --server` started before its server: the first bodies meet a refused connection and
    are sent again (0.5, 1, 2 … s) until the server answers; every article is stored once."""
    from app.articles.cli import RETRIES
    from app.cli import ingest
    from tests.conftest import _port, start_server, stop_server

    # The command's default is the module's (app/cli.py does not import it: its start-up stays light).
    assert inspect.signature(ingest).parameters["retries"].default == RETRIES

    _write(
        tmp_path,
        [_article("early.example.com", i, title=f"Early {i}", body="Moscow and Kyiv.") for i in range(30)],
    )
    key = make_key(settings, "write")
    port = _port()
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    args = [
        "ingest",
        "articles.ndjson",
        "--server",
        f"http://127.0.0.1:{port}",
        "--key",
        key,
        "--batch",
        "10",
        "--retries",  # enough for a loaded machine's server start (0.5 + 1 + ... + 30 + 30: minutes)
        "12",
    ]
    with out_path.open("w") as o, err_path.open("w") as e:
        ingest = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args], stdout=o, stderr=e, env=_client_env(), cwd=tmp_path
        )
        proc = None
        try:
            proc, base = start_server(settings, port=port)
            assert ingest.wait(timeout=120) == 0, err_path.read_text()
        finally:
            if ingest.poll() is None:
                ingest.kill()
            if proc is not None:
                stop_server(proc)
    assert "created 30, updated 0, unchanged 0, failed 0" in out_path.read_text()
    assert "ConnectError" in err_path.read_text() and "sending again in" in err_path.read_text()


_FULL_DISK = """
import sys

from sqlalchemy import event

import app.db


def _capped(make):
    def make_capped(settings, cache_mib=0):
        engine = make(settings, cache_mib)

        @event.listens_for(engine, "connect")
        def cap(dbapi_connection, record):  # the file may grow by EXTRA pages, as a nearly full disk
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + int(sys.argv[1])}")

        return engine

    return make_capped


app.db.make_sync_engine = _capped(app.db.make_sync_engine)
from app.cli import app as cli  # noqa: E402

cli(sys.argv[2:], prog_name="geonews")
"""


def test_a_database_that_is_full_stops_the_run_with_what_it_kept_and_the_rest_goes_in_later(
    client, settings, tmp_path
):
    """SQLite answers "database or disk is full" in the middle of `geonews ingest` (the file capped a few
    batches past its size): the run stops with the summary, the batch and reason named, the earlier
    batches kept whole and the failing one not at all; run again, it stores the rest and recognises the
    rest as stored."""
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's max_page_count stands in for a full disk")
    import random

    rng = random.Random(7)
    vocabulary = [f"{a}{b}" for a in ("kor", "jap", "aus", "zea", "nat", "sum", "tre") for b in range(60)]
    lines = [
        _article(
            "full.example.com",
            i,
            title=f"Summit {i} in Seoul",
            body="Seoul and Tokyo. " + " ".join(rng.choice(vocabulary) for _ in range(400)),
            published_at=f"2024-10-{1 + i % 28:02d}",
        )
        for i in range(60)
    ]
    _write(tmp_path, lines)
    (tmp_path / "capped.py").write_text(_FULL_DISK)
    env = {**_env(settings), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = ["ingest", "articles.ndjson", "--batch", "20"]
    capped = _run(["50", *args], env, tmp_path, program=("capped.py",))
    stderr = " ".join(capped.stderr.split())
    assert capped.returncode == 1, stderr
    created = len(_all(client, source="full.example.com"))
    assert 0 < created < 60 and created % 20 == 0, stderr  # whole batches, the failing one not at all
    assert f"created {created}, updated 0, unchanged 0, failed 0" in capped.stdout
    assert (
        f"stopped: the database refused the batch from line {created + 1} of articles.ndjson: "
        "database or disk is full" in stderr
    )
    assert f"not confirmed stored: the run stopped │ {60 - created}" in stderr
    assert "Traceback" not in stderr
    again = _run(args, _env(settings), tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"created {60 - created}, updated 0, unchanged {created}, failed 0" in again.stdout
    assert len(_all(client, source="full.example.com")) == 60


def test_a_server_that_refuses_the_key_stops_the_run_with_its_summary(server, settings, tmp_path):
    _write(tmp_path, [_article("nokey.example.com", i) for i in range(5)])
    env = {k: v for k, v in _client_env().items() if k != "GEONEWS_API_KEY"}
    out = _run(["ingest", "articles.ndjson", "--server", server, "--batch", "2"], env, tmp_path)
    assert out.returncode == 1
    assert "created 0, updated 0, unchanged 0, failed 0" in out.stdout
    said = " ".join(out.stderr.split())
    assert "stopped: server answered 401: An API key is required" in said
    assert "(the batch from line 1 of articles.ndjson)" in said
    assert "not confirmed stored: the run stopped │ 5" in said
    assert "Traceback" not in said


def test_parts_keep_bodies_under_the_limit():
    from app.articles.cli import _parts

    lines = [b"a" * 10, b"b" * 10, b"c" * 30, b"d" * 5, b"e" * 5]
    # Bodies: lines joined by newlines; a line over the limit alone.
    assert _parts(lines, 21) == [(0, lines[0:2]), (2, lines[2:3]), (3, lines[3:5])]
    assert _parts(lines, 1000) == [(0, lines)]
    assert _parts(lines, 1) == [(k, [x]) for k, x in enumerate(lines)]
    assert _parts([], 10) == []
    for limit in (11, 20, 21, 31, 40, 45):
        parts = _parts(lines, limit)
        assert [x for _, p in parts for x in p] == lines
        assert [start for start, _ in parts] == [
            0,
            *(sum(len(p) for _, p in parts[:k]) for k in range(1, len(parts))),
        ]
        assert all(len(b"\n".join(p)) <= limit or len(p) == 1 for _, p in parts)


def _feed_directory(tmp_path: Path) -> Path:
    """The real and broken feeds of tests/data/feeds, some of them compressed in each supported way."""
    d = tmp_path / "feeds"
    shutil.copytree(FEEDS, d)
    with zipfile.ZipFile(d / "bundle.zip", "w") as z:
        z.write(d / "livemint.xml", "livemint.xml")
        z.write(d / "manton.rss", "blogs/manton.rss")
        z.writestr("notes.txt", "not a feed")
    (d / "livemint.xml").unlink()
    (d / "manton.rss").unlink()
    (d / "scriptingNews.rss.bz2").write_bytes(bz2.compress((d / "scriptingNews.rss").read_bytes()))
    (d / "scriptingNews.rss").unlink()
    # A download cut short: what is there is read, and the file is a warning.
    whole = gzip.compress((d / "kc0011.rss").read_bytes())
    (d / "kc0011.rss.gz").write_bytes(whole[: len(whole) // 2])
    (d / "kc0011.rss").unlink()
    return d


def test_a_directory_of_real_and_broken_feeds(client, settings, tmp_path):
    _feed_directory(tmp_path)
    out = _run(["ingest", "feeds", "--batch", "40"], _env(settings), tmp_path)
    # Ill-formed and empty feeds are warnings, and the run fails because of them...
    assert out.returncode == 1, out.stderr
    err = out.stderr
    for name, warning in [
        ("rss_empty_document.xml", "ill-formed feed: line 6: no element found; no entries"),
        ("aaa_illformed.xml", "ill-formed feed: line 7: unclosed token; no entries"),
        ("undeclared_namespace.xml", "ill-formed feed: line 9: unbound prefix; no entries"),
        ("rss_incomplete_cdata.xml", "ill-formed feed"),
        ("kc0011.rss.gz", "unreadable file"),
        ("bundle.zip:notes.txt", "skipped"),
    ]:
        assert any(name in line and warning in line for line in err.splitlines()), (name, err)
    # ... and every failed entry is named with its file, its number and its reason.
    assert "entry 1 of feeds/item_description.xml: no link and no title" in err
    assert (
        "entry 1 of feeds/item_description_code_br.xml: no date (neither the entry nor the feed has one)"
        in err
    )
    assert "entry 1 of feeds/rss_incomplete_cdata.xml: no link and no title" in err
    # The summary counts failures by reason.
    summary = err[err.index("ingest summary") :].splitlines()
    assert _row(summary, "no link and no title") == "2"
    assert _row(summary, "no date (neither the entry nor the feed has one)") == "1"
    assert "files with warnings" in err

    # Compressed inputs were read: .gz (aktuality), .bz2 (scriptingNews), .zip (livemint, manton).
    livemint = _all(client, source="livemint.com")
    assert len(livemint) == 25
    assert {a["source"] for a in _all(client, source="scripting.com")} == {"scripting.com"}
    assert _all(client, source="manton.org")
    # Entries with a date keep it; undated entries of a dated feed get the feed's date, marked as such.
    first = client.get(f"/v1/articles/{livemint[0]['id']}").json()
    assert first["date_source"] == "published" and first["feed_title"] == "Livemint - News"
    aktuality = _all(client, source="aktuality.sk")
    assert len(aktuality) == 30
    sources = _date_sources(client, aktuality)
    assert sources == {"published": 25, "feed_updated": 5}
    assert "ingested" not in sources
    # Untitled entries (most of Scripting News) are titled with the start of their text.
    titles = [a["title"] for a in _all(client, source="scripting.com")]
    assert titles and all(t and not t.startswith("http") for t in titles)

    # With --allow-empty the same warnings no longer fail the run; --undated-as-ingested keeps the undated
    # entry, marked as such, and its <code>&lt;br /></code> HTML is cleaned like any other markup.
    again = _run(["ingest", "feeds", "--allow-empty", "--undated-as-ingested"], _env(settings), tmp_path)
    assert again.returncode == 0, again.stderr
    kept = _all(client, source="example.com")
    assert len(kept) == 1
    detail = client.get(f"/v1/articles/{kept[0]['id']}").json()
    assert detail["date_source"] == "ingested"
    assert detail["body"] == "<br />" and "<code>" not in detail["body"]


def _row(table: list[str], label: str) -> str:
    """The number in the summary table's row for `label`."""
    row = next(line for line in table if line.strip("│ ").startswith(label + " "))
    return row.rstrip(" │").rsplit(" ", 1)[1]


def _date_sources(client: Any, items: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in items:
        source = client.get(f"/v1/articles/{a['id']}").json()["date_source"]
        out[source] = out.get(source, 0) + 1
    return out


def test_json_records_are_numbered_and_nothing_stored_fails_the_run(client, settings, tmp_path):
    path = tmp_path / "batch.json.gz"
    records = [
        {"url": "https://j.example.com/1", "title": "No date here"},
        "a string",
        {"url": "ftp://j.example.com/2", "title": "Bad URL", "published_at": "2024-01-01"},
    ]
    path.write_bytes(gzip.compress(orjson.dumps(records)))
    out = _run(["ingest", "batch.json.gz"], _env(settings), tmp_path)
    assert out.returncode == 1
    assert "created 0, updated 0, unchanged 0, failed 3" in out.stdout
    assert (
        "record 1 of " in out.stderr
        and "published_at: required unless the body is a whole HTML page" in out.stderr
    )
    assert "record 2 of " in out.stderr and "not a JSON object" in out.stderr
    assert "record 3 of " in out.stderr and "url: Value error" not in out.stderr and "url:" in out.stderr


def test_the_cli_starts_without_an_http_client():
    """`geonews ingest FILE` writes to the database: importing the CLI (every command's start) must not
    import httpx, which only `--server` and `changes follow` use (~0.12 s of each start)."""
    code = "import sys, app.cli, app.articles.cli; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_the_storing_process_collects_rarely_while_it_stores_and_is_put_back_after():
    """`geonews ingest` into the database freezes what it holds once set up and collects every GC_YOUNG
    new objects instead of 700 (app/articles/cli.py); both are undone at the end, even when the run stops
    on an error, and a heap frozen before it (a server's) stays frozen."""
    import gc

    from app.articles import cli

    before = gc.get_threshold()
    assert before[0] != cli.GC_YOUNG
    gc.unfreeze()  # a server started by an earlier test in this process froze its heap
    assert gc.get_freeze_count() == 0
    with cli._batch_garbage():
        assert gc.get_threshold() == (cli.GC_YOUNG, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0

    with pytest.raises(RuntimeError), cli._batch_garbage():
        raise RuntimeError("the database refused the batch")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with cli._batch_garbage():
            pass
        assert gc.get_threshold() == before
        # The caller's freeze is left as it was: an unfreeze would have emptied the permanent generation
        # (a frozen object freed by its count meanwhile leaves it, so the count may fall by a few).
        assert gc.get_freeze_count() > frozen // 2 > 0
    finally:
        gc.unfreeze()
