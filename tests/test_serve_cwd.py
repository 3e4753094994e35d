"""`geonews serve` run from a directory of the user's own: its workers import geonews, not whatever that
directory holds under the same name. (Alembic's `prepend_sys_path = .` once put the working directory at
the front of the server's sys.path when it migrated, and the spawned workers inherited it: from a
directory with an `app` package of its own they imported that one.)"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import stop_server

GEONEWS = Path(sys.executable).with_name("geonews")

pytestmark = pytest.mark.skipif(
    not GEONEWS.exists(), reason="the geonews console script is not installed here"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_workers_import_geonews_whatever_the_working_directory_holds(tmp_path, templates):
    work = tmp_path / "project"
    (work / "app").mkdir(parents=True)
    (work / "app" / "__init__.py").write_text(
        "raise ImportError('the working directory\\'s own app package')\n"
    )
    (work / "migrations").mkdir()  # and a migrations directory of its own, empty
    db = tmp_path / "run.db"
    shutil.copyfile(Path(templates["sqlite"].split("///", 1)[1]), db)
    port = _port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "GEONEWS_DATABASE_URL": f"sqlite:///{db}",
        "GEONEWS_INDEX_DIR": str(tmp_path / "index"),
        "GEONEWS_LOG_LEVEL": "warning",
        "GEONEWS_DEV_MODE": "true",
    }
    proc = subprocess.Popen(
        [str(GEONEWS), "serve", "--no-seed", "--workers", "2", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        if ready is None or ready.status_code != 200:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"the server never became ready: {err.decode(errors='replace')[-3000:]}")
        # Both workers answer (connections are spread over them): every request is served.
        for _ in range(20):
            r = httpx.get(f"{base}/v1/actors/ukraine", timeout=10)
            assert r.status_code == 200, r.text
    finally:
        stop_server(proc)
