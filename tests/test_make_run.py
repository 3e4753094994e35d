"""`make run` honours PORT= and HOST=, given to make or set in the environment."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dry_run(*args: str, env: dict[str, str] | None = None) -> str:
    # -o: never rebuild the virtualenv stamp from here.
    cmd = ["make", "-s", "-n", "-o", ".venv/.installed", "run", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, env=env).stdout


def test_port_and_host_reach_the_serve_command():
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
    assert "serve --host '127.0.0.1' --port '8000'" in _dry_run(env=env)
    assert "serve --host '0.0.0.0' --port '9123'" in _dry_run("PORT=9123", "HOST=0.0.0.0", env=env)
    assert "serve --host '127.0.0.2' --port '9124'" in _dry_run(
        env={**env, "PORT": "9124", "HOST": "127.0.0.2"}
    )


def test_make_run_serves_on_the_port_given(tmp_path):
    port = _port()
    env = {
        **os.environ,
        "GEONEWS_DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "GEONEWS_INDEX_DIR": str(tmp_path / "index"),
        "GEONEWS_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        ["make", "-s", "-o", ".venv/.installed", "run", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.3)
        else:
            raise AssertionError("make run did not answer on the port given")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
