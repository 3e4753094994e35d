from __future__ import annotations

import os
import subprocess
import sys

import orjson

from tests.conftest import make_key

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


def _run(args, env):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_ingest_rss_straight_into_the_database(client, settings, tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS)
    env = {**os.environ, "GEONEWS_DATABASE_URL": settings.database_url, "COLUMNS": "100"}
    out = _run(["ingest", str(feed)], env)
    assert out.returncode == 0, out.stderr
    assert "created 2, updated 0, unchanged 1, failed 0" in out.stdout
    assert "ingest" in out.stderr  # the progress bar
    items = client.get("/v1/articles", params={"source": "Test Wire", "sort": "published_at"}).json()["items"]
    assert [a["url"] for a in items] == [
        "https://wire.example.com/1?utm_source=rss",
        "https://wire.example.com/2",
    ]
    assert items[1]["published_at"] == "2024-10-19T08:30:00Z"
    detail = client.get(f"/v1/articles/{items[1]['id']}").json()
    assert {m["actor"]["slug"] for m in detail["mentions"]} == {"ukraine", "north-korea", "russia"}
    again = _run(["ingest", str(feed)], env)
    assert "created 0, updated 0, unchanged 3" in again.stdout


def test_ingest_ndjson_to_a_server_counts_bad_lines(server, settings, tmp_path):
    path = tmp_path / "articles.ndjson"
    lines = [
        orjson.dumps(
            {
                "url": f"https://nd.example.com/{i}",
                "title": f"T{i}",
                "body": "Moscow.",
                "published_at": "2024-10-18",
            }
        )
        for i in range(5)
    ]
    lines.insert(2, b'{"url": broken')
    lines.append(
        orjson.dumps({"url": "https://nd.example.com/x", "title": "bad date", "published_at": "2024-13-01"})
    )
    path.write_bytes(b"\n".join(lines))
    key = make_key(settings, "write")
    env = {**os.environ, "GEONEWS_DATABASE_URL": "sqlite:////nonexistent/unused.db"}
    out = _run(["ingest", str(path), "--server", server, "--key", key, "--batch", "3"], env)
    assert out.returncode == 0, out.stderr
    assert "created 5, updated 0, unchanged 0, failed 2" in out.stdout
