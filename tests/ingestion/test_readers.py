"""app/ingestion/readers.py: `count_records` (the progress bar's total, the summary's "not confirmed
stored") agrees with what `read_input` gives, for every kind of file `geonews ingest` reads."""

from __future__ import annotations

import bz2
import gzip
import shutil
import zipfile
from pathlib import Path

import orjson

from app.ingestion.readers import count_records, expand, read_input

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"


def _records(path: Path) -> list[tuple[str, int]]:
    """(input name, records read_input gives) for each input of `path`, and what count_records says."""
    out = []
    for item in expand([path], []):
        read = sum(1 for _ in read_input(item, []))
        assert count_records(item) == read, item.name
        out.append((item.name, read))
    return out


def test_counted_as_read_for_every_kind_of_file(tmp_path):
    lines = [orjson.dumps({"url": f"https://x.example/{k}", "title": "t", "body": "b"}) for k in range(5)]
    ndjson = b"\n".join([lines[0], b"", b"  \t", lines[1], b"{not json", lines[2], b"[1, 2]", lines[3]])
    ndjson += b"\r\n" + lines[4] + b"\n\n"  # a CRLF, and blank lines at the end
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.ndjson").write_bytes(ndjson)
    (d / "b.jsonl.bz2").write_bytes(bz2.compress(ndjson))
    whole = gzip.compress(ndjson * 200)
    (d / "c.ndjson.gz").write_bytes(whole[: len(whole) // 2])  # a download cut short
    (d / "d.json").write_bytes(b"[" + b",".join(lines) + b"]")
    (d / "e.json").write_bytes(b'{"url": "https://x.example/e"}')  # one object
    (d / "f.json").write_bytes(b"[{")  # not JSON: a warning, no records
    (d / "g.ndjson").write_bytes(b"")
    (d / "h").write_bytes(b"\n" + lines[0] + b"\n")  # no suffix: sniffed
    with zipfile.ZipFile(d / "i.zip", "w") as z:
        z.writestr("inside.ndjson", ndjson)
        z.writestr("feed.xml", (FEEDS / "manton.rss").read_bytes())
    for feed in ("kc0011.rss", "aktuality.rss.gz", "aaa_illformed.xml", "rss_empty_document.xml"):
        shutil.copy(FEEDS / feed, d / feed)

    counts = dict(_records(d))
    name = str(d / "a.ndjson")
    assert counts[name] == 7  # every non-blank line, the two that are no article included
    assert counts[str(d / "b.jsonl.bz2")] == 7
    assert 7 < counts[str(d / "c.ndjson.gz")] < 7 * 200  # what was there before the cut
    assert counts[str(d / "d.json")] == 5 and counts[str(d / "e.json")] == 1
    assert counts[str(d / "f.json")] == 0 and counts[str(d / "g.ndjson")] == 0
    assert counts[str(d / "kc0011.rss")] > 0 and counts[f"{d / 'i.zip'}:feed.xml"] > 0


def test_a_file_that_cannot_be_opened_counts_nothing(tmp_path):
    (tmp_path / "broken.ndjson.gz").write_bytes(b"not gzip at all")
    (tmp_path / "gone.ndjson").write_bytes(b"{}\n")
    items = expand([tmp_path / "broken.ndjson.gz", tmp_path / "gone.ndjson"], [])
    (tmp_path / "gone.ndjson").unlink()
    assert [count_records(i) for i in items] == [sum(1 for _ in read_input(i, [])) for i in items] == [0, 0]
