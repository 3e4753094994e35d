"""A Python client generated from the live app's /openapi.json with openapi-python-client works: lists
with filters, follows cursors, creates with a key, and parses every error into a typed Problem.

The generator runs offline (it needs only its own package and ruff, both in the dev extra). Skipped only
when openapi-python-client is not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import make_key, start_server, stop_server

pytest.importorskip("openapi_python_client")

BIN = Path(sys.executable).parent
# NDJSON is described in words on the bulk route; were it declared, this maps it to a byte body.
CONFIG = "content_type_overrides:\n  application/x-ndjson: application/octet-stream\n"

SCRIPT = r"""
import json, sys

from geonews_client import AuthenticatedClient, Client
from geonews_client.api.actors import create_actor, get_actor, list_actors
from geonews_client.models import (
    ActorCreate, ActorCreateKind, ActorRead, ListActorsKindType0Item, PageActorSummary, Problem,
)
from geonews_client.types import UNSET

base, key = sys.argv[1], sys.argv[2]
out = {}


def problem(p):
    assert isinstance(p, Problem), type(p)
    return {"status": p.status, "type": p.type_, "detail": p.detail,
            "locs": [e.loc for e in (p.errors or [])], "existing": p.existing}


with Client(base_url=base) as anon:
    # A filtered list, followed page by page through its cursors.
    slugs, pages, kinds, cursor = [], 0, set(), UNSET
    while True:
        page = list_actors.sync(client=anon, kind=[ListActorsKindType0Item.ALLIANCE], limit=3, cursor=cursor)
        assert isinstance(page, PageActorSummary), page
        slugs += [a.slug for a in page.items]
        kinds |= {a.kind for a in page.items}
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    out["alliances"], out["pages"], out["kinds"] = slugs, pages, sorted(kinds)
    # Errors come back typed.
    out["missing"] = problem(get_actor.sync(client=anon, actor="no-such-actor-anywhere"))
    out["bad_limit"] = problem(list_actors.sync(client=anon, limit=0))
    body = ActorCreate(kind=ActorCreateKind.ORGANIZATION, name="Generated Client Institute", country="NOR")
    refused = create_actor.sync_detailed(client=anon, body=body)
    out["no_key"] = {"code": int(refused.status_code), **problem(refused.parsed)}

with AuthenticatedClient(base_url=base, token=key) as authed:
    created = create_actor.sync_detailed(client=authed, body=body)
    assert isinstance(created.parsed, ActorRead), created.content
    out["created"] = {"code": int(created.status_code), "slug": created.parsed.slug,
                      "location": created.headers.get("location")}
    again = get_actor.sync(client=authed, actor=created.parsed.slug)
    out["read_back"] = {"name": again.name, "country": again.country}
    duplicate = create_actor.sync_detailed(client=authed, body=body)
    out["duplicate"] = {"code": int(duplicate.status_code), **problem(duplicate.parsed)}
    bad_body = create_actor.sync_detailed(client=authed, body=ActorCreate(kind=ActorCreateKind.ORGANIZATION, name=""))
    out["bad_body"] = {"code": int(bad_body.status_code), **problem(bad_body.parsed)}

print(json.dumps(out, default=lambda o: None))  # UNSET fields: null
"""


@pytest.fixture
def live(settings: Any) -> Iterator[tuple[str, str]]:
    key = make_key(settings, "write", "generated-client")
    proc, base = start_server(settings, workers=1)
    try:
        yield base, key
    finally:
        stop_server(proc)


def test_generated_client_round_trip(live: tuple[str, str], tmp_path: Path) -> None:
    base, key = live
    (tmp_path / "config.yaml").write_text(CONFIG)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # its ruff post-hooks
    gen = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--url",
            f"{base}/openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "geonews_client"),
            "--config",
            str(tmp_path / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    assert "Warning" not in gen.stdout + gen.stderr, gen.stdout + gen.stderr  # every operation generated
    (tmp_path / "script.py").write_text(SCRIPT)
    run = subprocess.run(
        [sys.executable, str(tmp_path / "script.py"), base, key],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)

    # The pages the client followed hold exactly the alliances the API lists in one page.
    raw = httpx.get(f"{base}/v1/actors", params={"kind": "alliance", "limit": 200}).json()["items"]
    assert out["alliances"] == [a["slug"] for a in raw] and len(raw) > 3
    assert out["pages"] == -(-len(raw) // 3) and out["kinds"] == ["alliance"]

    assert out["missing"]["status"] == 404 and out["missing"]["type"].endswith("/not-found")
    assert out["bad_limit"]["status"] == 400 and ["query", "limit"] in out["bad_limit"]["locs"]
    assert out["no_key"]["code"] == 401 and out["no_key"]["status"] == 401
    assert out["created"]["code"] == 201
    assert out["created"]["location"] == f"/v1/actors/{out['created']['slug']}"
    assert out["read_back"] == {"name": "Generated Client Institute", "country": "NOR"}
    assert out["duplicate"]["code"] == 409 and out["duplicate"]["existing"] == out["created"]["location"]
    assert out["bad_body"]["code"] == 422 and out["bad_body"]["status"] == 422
    assert any(loc[:2] == ["body", "name"] for loc in out["bad_body"]["locs"])
