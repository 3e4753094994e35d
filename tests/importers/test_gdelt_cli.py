"""`geonews import gdelt` as a user runs it: files named on the command line, a summary on stdout."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import EXPORT, ID, MENTIONS


def _geonews(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEONEWS_DATABASE_URL": database_url, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_import_command_takes_export_and_mentions_files_and_is_idempotent(
    client, settings, export_rows, mention_rows
):
    events = len({r[ID] for r in export_rows})
    first = _geonews(settings.database_url, "import", "gdelt", str(EXPORT), str(MENTIONS))
    assert first.returncode == 0, first.stderr
    assert f"gdelt: {len(export_rows)} export rows" in first.stdout
    assert f"events: {events} created, 0 updated, 0 unchanged" in first.stdout
    assert f"mentions: {len(mention_rows)} read" in first.stdout  # the positional mentions file was seen
    listed = client.get("/v1/events", params={"source": "gdelt", "limit": 1}).json()["items"]
    assert listed and listed[0]["external_id"] in {r[ID] for r in export_rows}

    again = _geonews(settings.database_url, "import", "gdelt", str(EXPORT), "--batch-size", "500")
    assert again.returncode == 0, again.stderr
    assert f"events: 0 created, 0 updated, {events} unchanged" in again.stdout
    assert "0 stubs created, 0 new source links" in again.stdout


def test_import_command_needs_a_file(settings, tmp_path):
    out = _geonews(settings.database_url, "import", "gdelt")
    assert out.returncode == 2
    assert "give at least one GDELT export or mentions file" in out.stderr
    missing = _geonews(settings.database_url, "import", "gdelt", str(tmp_path / "nope.export.CSV"))
    assert missing.returncode == 2
    assert "Invalid value for 'FILE'" in missing.stderr
