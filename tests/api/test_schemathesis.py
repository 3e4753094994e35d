"""A bounded property-based run of every operation in /openapi.json against a real server: no 5xx, ever."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings

from app.config import Settings
from app.main import create_app
from tests.conftest import make_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(templates, tmp_path_factory) -> Iterator[tuple[str, str]]:
    src = Path(templates["sqlite"].split("///", 1)[1])
    dst = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copyfile(src, dst)
    cfg = Settings(
        database_url=f"sqlite:///{dst}", max_body_bytes=200_000, rate_limit_enabled=False, _env_file=None
    )
    key = make_key(cfg, "admin")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", key
    server.should_exit = True
    thread.join(timeout=10)


def test_no_server_errors(live_server):
    base, key = live_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[tuple] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/v1/changes/stream":
            continue  # never ends by design; its bad parameters are tested in tests/changes
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            if case.path == "/v1/changes" and case.query and "wait" in case.query:
                case.query["wait"] = 0  # a long-poll is meant to take its time
            response = case.call()
            if response.status_code >= 500:
                failures.append(
                    (case.method, case.formatted_path, case.query, response.status_code, response.text[:300])
                )
            elif response.status_code >= 400:
                ctype = response.headers.get("content-type", [""])[0]
                assert ctype.startswith("application/problem+json"), (case.method, case.formatted_path, ctype)

        run()
    assert operations >= 25
    assert failures == []
