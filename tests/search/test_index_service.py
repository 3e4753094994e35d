"""The search index inside the service: which path answers (X-Answered-By), reads that see the caller's
own writes, the same answers as SQL, /readyz and /metrics, the CLI, several instances converging on
one PostgreSQL database, and a crashed server catching up from the change log."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import index_ready, make_key, start_server, stop_server


def write_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(settings, 'write')}"}


def _ready(client: Any, base: str = "", timeout: float = 60) -> dict[str, Any]:
    """Wait until the index is built and ready; return /readyz."""
    deadline = time.time() + timeout
    while True:
        body = client.get(f"{base}/readyz").json()
        if body.get("index", {}).get("state") == "ready" or time.time() > deadline:
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)


def _post(client: Any, headers: dict[str, str], base: str = "", **fields: Any) -> dict[str, Any]:
    word = uuid.uuid4().hex[:10]
    body = {
        "url": f"https://index.example.org/{word}",
        "title": f"Zanzibarite talks {word}",
        "body": f"Delegates of Ukraine and Poland held zanzibarite talks about grain {word}.",
        "source": "index.example.org",
        "published_at": "2024-05-06T07:08:09Z",
        **fields,
    }
    r = client.post(f"{base}/v1/articles", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return {**r.json(), "word": word}


def all_ids(client, params, engine="index"):
    """Every page of a list, following its cursors; each page answered by `engine`."""
    ids, cursor = [], None
    while True:
        r = client.get("/v1/articles", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200 and r.headers["x-answered-by"] == engine, r.text
        ids += [a["id"] for a in r.json()["items"]]
        cursor = r.json().get("next_cursor")
        if not cursor:
            return ids


def test_index_answers_and_agrees_with_sql(client, settings):
    body = client.get("/readyz").json()  # the `client` fixture waited for the index (tests/conftest.py)
    assert body["index"]["state"] == "ready" and body["index"]["lag"] >= 0
    made = [_post(client, write_headers(settings)) for _ in range(3)]
    r = client.get("/v1/articles", params={"q": "zanzibarite", "sort": "-published_at"})
    assert r.status_code == 200, r.text
    assert r.headers["x-answered-by"] == "index"
    ids = [a["id"] for a in r.json()["items"]]
    assert sorted(ids) == sorted(a["id"] for a in made)
    # A simple page with no full text, facets, member_of or actor filter stays on SQL.
    plain = client.get("/v1/articles", params={"source": "index.example.org"})
    assert plain.headers["x-answered-by"] == "sql"
    assert sorted(a["id"] for a in plain.json()["items"]) == sorted(ids)
    # Filters on who is mentioned go to the index.
    by_actor = {"actor": "ukraine", "limit": 2}
    mentioned = client.get("/v1/articles", params=by_actor)
    assert mentioned.headers["x-answered-by"] == "index"
    # The same request with the engine off: the same answer from SQL.
    off = Settings(**{**settings.model_dump(), "search_engine": False})
    with TestClient(create_app(off)) as sql_client:
        for params in (by_actor, {"country": "UKR", "limit": 3}, {"actor_kind": "country", "limit": 3}):
            assert all_ids(client, params) == all_ids(sql_client, params, engine="sql")
        s = sql_client.get("/v1/articles", params={"q": "zanzibarite", "sort": "-published_at"})
        assert s.headers["x-answered-by"] == "sql"
        assert [a["id"] for a in s.json()["items"]] == ids
        facets = {"q": "zanzibarite", "facets": "source,language"}
        assert (
            sql_client.get("/v1/articles", params=facets).json()["facets"]
            == (client.get("/v1/articles", params=facets).json()["facets"])
        )


def test_an_actors_new_kind_and_country_reach_its_articles_documents(client, settings):
    """The documents carry the kinds and countries of the actors an article mentions: changing an actor's
    re-indexes its articles (the indexer reads the actor's data off the change log)."""
    h = write_headers(settings)
    made = _post(client, h)  # mentions Ukraine and Poland

    def found(**params: str) -> list[int]:
        r = client.get("/v1/articles", params={"q": made["word"], "consistency": "strong", **params})
        assert r.status_code == 200 and r.headers["x-answered-by"] == "index", r.text
        return [a["id"] for a in r.json()["items"]]

    assert found(country="POL") == [made["id"]] and found(actor_kind="organization") == []
    r = client.patch("/v1/actors/poland", json={"kind": "organization", "country": "LTU"}, headers=h)
    assert r.status_code == 200, r.text
    assert found(actor_kind="organization") == [made["id"]] and found(country="LTU") == [made["id"]]
    assert found(country="POL") == [] and found(country="UKR") == [made["id"]]


def test_strong_reads_see_the_callers_write_at_once(client, settings):
    for _ in range(5):
        made = _post(client, write_headers(settings))
        r = client.get("/v1/articles", params={"q": made["word"], "consistency": "strong"})
        assert r.headers["x-answered-by"] == "index"
        assert [a["id"] for a in r.json()["items"]] == [made["id"]]
        timeline = client.get(
            "/v1/actors/ukraine/timeline",
            params={"interval": "day", "from": "2024-05-06", "to": "2024-05-06", "consistency": "strong"},
        ).json()
        assert timeline["items"][0]["count"] >= 1


def test_a_strong_read_the_index_cannot_catch_up_with_is_answered_by_sql(settings, monkeypatch, caplog):
    """An indexer that stalls (here: it stops following the log) costs a strong read its bounded wait,
    then SQL answers it — with the caller's write — and the log says why."""
    from app.search.index import SearchIndex

    app = create_app(settings.model_copy(update={"search_strong_wait_s": 0.3}))
    with TestClient(app) as c:
        index_ready(app)
        assert c.get("/readyz").json()["index"]["state"] == "ready"
        made = _post(c, write_headers(settings))
        r = c.get("/v1/articles", params={"q": made["word"], "consistency": "strong"})
        assert r.headers["x-answered-by"] == "index"  # the indexer follows

        async def stalled(self):  # type: ignore[no-untyped-def]
            await asyncio.sleep(3600)  # until the app stops

        monkeypatch.setattr(SearchIndex, "_follow", stalled)
        made = _post(c, write_headers(settings))
        with caplog.at_level("WARNING", logger="geonews.search"):
            r = c.get("/v1/articles", params={"q": made["word"], "consistency": "strong"})
        assert r.status_code == 200 and r.headers["x-answered-by"] == "sql", r.text
        assert [a["id"] for a in r.json()["items"]] == [made["id"]]
        assert any("SQL answers it" in m for m in caplog.messages), caplog.messages
        eventual = c.get("/v1/articles", params={"q": made["word"], "consistency": "eventual"})
        assert eventual.headers["x-answered-by"] == "index" and eventual.json()["items"] == []


def test_consistency_is_validated(client):
    r = client.get("/v1/articles", params={"q": "talks", "consistency": "sometimes"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


def test_metrics_report_the_index(client, settings):
    _post(client, write_headers(settings))
    admin = {"Authorization": f"Bearer {make_key(settings, 'admin')}"}
    deadline = time.time() + 20
    while True:  # the head is what this worker's change hub has seen (it polls the log on SQLite)
        r = client.get("/metrics", headers=admin)
        assert r.status_code == 200, r.text
        values = {
            line.split()[0]: float(line.split()[1])
            for line in r.text.splitlines()
            if line.startswith(("geonews_index_", "geonews_changes_head"))
        }
        if values["geonews_changes_head"] >= 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert values["geonews_changes_head"] >= 1
    assert 0 <= values["geonews_index_lag_changes"] <= values["geonews_changes_head"]
    assert values["geonews_index_seq"] <= values["geonews_changes_head"]


def _cli(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GEONEWS_DATABASE_URL": settings.database_url,
        "GEONEWS_INDEX_DIR": settings.index_dir or "",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_large_rebuild_runs_in_a_process_of_its_own(settings, monkeypatch):
    """From REBUILD_APART_MIN articles (here: any) a server builds its missing index in a spawned process,
    whose memory goes with it: this process's rebuild is never called, and the index the other one built
    answers, then follows the log."""
    from app.search import index as index_module

    def not_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the index was rebuilt in the server's own process")

    monkeypatch.setattr(index_module, "REBUILD_APART_MIN", 0)
    monkeypatch.setattr(index_module, "rebuild", not_here)
    with TestClient(create_app(settings)) as client:
        body = _ready(client)
        assert body["index"]["state"] == "ready", body
        made = _post(client, write_headers(settings))
        r = client.get("/v1/articles", params={"q": made["word"]})
        assert r.status_code == 200 and r.headers["x-answered-by"] == "index", r.text
        assert [a["id"] for a in r.json()["items"]] == [made["id"]]


def test_a_rebuild_process_stopped_by_a_signal_is_resumed(settings, monkeypatch, caplog):
    """A rebuild process killed by a signal (the OOM killer, a stop sent to the server's process group)
    is reported in a line, not a traceback, and the next attempt builds the index."""
    from app.search import index as index_module

    monkeypatch.setattr(index_module, "REBUILD_APART_MIN", 0)
    with caplog.at_level("WARNING", logger="geonews.search"), TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while not (
            rebuilders := [p for p in multiprocessing.active_children() if p.name == "geonews-index-rebuild"]
        ):
            assert time.monotonic() < deadline, "no rebuild process started"
            time.sleep(0.005)
        os.kill(rebuilders[0].pid, signal.SIGTERM)  # while it is still importing: long before it is done
        body = _ready(client)
        assert body["index"]["state"] == "ready", body
        made = _post(client, write_headers(settings))
        r = client.get("/v1/articles", params={"q": made["word"]})
        assert r.headers["x-answered-by"] == "index" and [a["id"] for a in r.json()["items"]] == [made["id"]]
    stopped = [r for r in caplog.records if "stopped by signal 15" in r.getMessage()]
    assert stopped and not any(r.exc_info for r in stopped), [r.getMessage() for r in caplog.records]


def test_a_rebuild_process_runs_at_the_configured_niceness_and_so_do_its_threads(
    settings, monkeypatch, tmp_path
):
    """A server's rebuild process lowers its priority before it starts any thread (Linux keeps a niceness
    per thread; new threads take their creator's), so the searches the previous index keeps answering
    get the CPU first. Run here in a forked child, the rebuild replaced by a probe."""
    from app.search import index as index_module

    out = tmp_path / "nice.txt"

    def probe(*args: Any, **kwargs: Any) -> None:
        seen: list[int] = []
        worker = threading.Thread(
            target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        worker.start()
        worker.join()
        out.write_text(f"{os.getpriority(os.PRIO_PROCESS, 0)} {seen[0]}")

    monkeypatch.setattr(index_module, "rebuild", probe)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    for nice, expected in ((7, min(19, base + 7)), (0, base)):
        child = multiprocessing.get_context("fork").Process(
            target=index_module._rebuild_apart,
            args=(settings.model_copy(update={"index_rebuild_nice": nice}), str(tmp_path / "index"), 0),
        )
        child.start()
        child.join(60)
        assert child.exitcode == 0
        assert out.read_text() == f"{expected} {expected}", nice


def _built_as(settings: Settings, version: int) -> dict[str, Any]:
    """A server builds the index and stores an article; its current generation is then marked as built by
    schema `version`. Returns the article."""
    from app.search.engine import layout

    with TestClient(create_app(settings)) as client:
        index_ready(client.app)
        made = _post(client, write_headers(settings))
        assert client.get("/v1/articles", params={"q": made["word"]}).headers["x-answered-by"] == "index"
    gen = layout.current(Path(settings.index_dir or ""))
    assert gen is not None
    meta = layout.read_meta(gen)
    assert meta is not None and meta.docs > 0
    layout.write_meta(gen, dataclasses.replace(meta, schema_version=version))
    return made


@pytest.mark.parametrize("readable", [True, False], ids=["readable", "unreadable"])
def test_an_index_of_an_earlier_schema_answers_while_the_current_one_is_built(
    settings, monkeypatch, readable
):
    """On start a server rebuilds an index of an earlier schema version beside it. Until the new one is
    switched in, an index of a version this version's searches can read (READABLE_VERSIONS) answers (and
    shows what it showed: a new article waits for the switch); any other version leaves SQL answering."""
    from app.search import index as index_module
    from app.search.engine import READABLE_VERSIONS, SCHEMA_VERSION, layout

    earlier = max(READABLE_VERSIONS - {SCHEMA_VERSION}) if readable else min(READABLE_VERSIONS) - 1
    made = _built_as(settings, earlier)
    release = threading.Event()
    real = index_module.rebuild

    def held(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(60), "the test never released the rebuild"
        return real(*args, **kwargs)

    monkeypatch.setattr(index_module, "rebuild", held)
    app = create_app(settings.model_copy(update={"search_strong_wait_s": 0.2}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 20
        while app.state.search.state != "building":
            assert time.monotonic() < deadline, app.state.search.state
            time.sleep(0.02)
        status = client.get("/readyz").json()["index"]
        assert status["state"] == "building"
        r = client.get("/v1/articles", params={"q": made["word"], "consistency": "eventual"})
        assert r.status_code == 200, r.text
        assert r.headers["x-answered-by"] == ("index" if readable else "sql")
        assert [a["id"] for a in r.json()["items"]] == [made["id"]]
        later = _post(client, write_headers(settings))
        eventual = client.get("/v1/articles", params={"q": later["word"], "consistency": "eventual"})
        assert eventual.headers["x-answered-by"] == ("index" if readable else "sql")
        assert [a["id"] for a in eventual.json()["items"]] == ([] if readable else [later["id"]])
        # A strong read cannot be answered by the index that stopped at the rebuild: SQL answers it.
        strong = client.get("/v1/articles", params={"q": later["word"], "consistency": "strong"})
        assert strong.headers["x-answered-by"] == "sql"
        assert [a["id"] for a in strong.json()["items"]] == [later["id"]]
        release.set()
        index_ready(app)
        assert app.state.search.state == "ready"
        meta = layout.read_meta(layout.current(Path(settings.index_dir or "")))  # type: ignore[arg-type]
        assert meta is not None and meta.schema_version == SCHEMA_VERSION
        r = client.get("/v1/articles", params={"q": later["word"], "consistency": "strong"})
        assert r.headers["x-answered-by"] == "index"
        assert [a["id"] for a in r.json()["items"]] == [later["id"]]


def test_cli_rebuild_and_status(settings):
    out = _cli(["index", "rebuild"], settings)
    assert out.returncode == 0, out.stderr
    st = _cli(["index", "status"], settings)
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["exists"] and status["schema_ok"] and status["readable"] and not status["building"]
    assert status["meta"]["docs"] > 0 and status["bytes"] > 0


def _wait_for(base: str, word: str, timeout: float = 20) -> list[int]:
    deadline = time.time() + timeout
    while True:
        r = httpx.get(f"{base}/v1/articles", params={"q": word, "consistency": "eventual"}, timeout=10)
        ids = [a["id"] for a in r.json()["items"]] if r.status_code == 200 else []
        if ids and r.headers.get("x-answered-by") == "index" or time.time() > deadline:
            return ids
        time.sleep(0.2)


def test_two_instances_keep_their_own_replicas_and_converge(settings, db_url, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("several instances share a PostgreSQL database")
    a_settings = Settings(**{**settings.model_dump(), "index_dir": str(tmp_path / "a")})
    b_settings = Settings(**{**settings.model_dump(), "index_dir": str(tmp_path / "b")})
    a, a_base = start_server(a_settings, workers=1)
    b, b_base = start_server(b_settings, workers=1)
    try:
        with httpx.Client(timeout=30) as http:
            _ready(http, a_base)
            _ready(http, b_base)
            headers = write_headers(settings)
            posted_a = [_post(http, headers, a_base) for _ in range(3)]
            posted_b = [_post(http, headers, b_base) for _ in range(3)]
            for made in posted_a + posted_b:
                assert _wait_for(a_base, made["word"]) == [made["id"]]
                assert _wait_for(b_base, made["word"]) == [made["id"]]
            # Each instance indexed into its own directory.
            assert (tmp_path / "a").is_dir() and (tmp_path / "b").is_dir()
            ra, rb = (http.get(f"{base}/readyz").json()["index"] for base in (a_base, b_base))
            assert ra["dir"] != rb["dir"]
    finally:
        stop_server(a)
        stop_server(b)


def test_a_killed_server_catches_up_from_the_change_log(settings):
    proc, base = start_server(settings, workers=1)
    try:
        with httpx.Client(timeout=30) as http:
            _ready(http, base)
            posted = [_post(http, write_headers(settings), base) for _ in range(20)]
        # Crash at once: whatever the indexer had not committed is lost from the index, not from SQL.
        stop_server(proc, kill=True)
        proc, base = start_server(settings, workers=1)
        with httpx.Client(timeout=30) as http:
            _ready(http, base)
            for made in posted:
                assert _wait_for(base, made["word"]) == [made["id"]]
            r = http.get(f"{base}/readyz").json()["index"]
            deadline = time.time() + 20
            while r["lag"] != 0 and time.time() < deadline:
                time.sleep(0.2)
                r = http.get(f"{base}/readyz").json()["index"]
            assert r["lag"] == 0, r
    finally:
        stop_server(proc)
