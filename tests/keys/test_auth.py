from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import make_key


def test_scopes(client, settings):
    read = make_key(settings, "read")
    write = make_key(settings, "write")
    body = {"kind": "person", "name": "Scoped"}
    assert client.post("/v1/actors", json=body).status_code == 401
    assert (
        client.post("/v1/actors", json=body, headers={"Authorization": "Bearer gn_wrong"}).status_code == 401
    )
    assert client.post("/v1/actors", json=body, headers={"X-API-Key": read}).status_code == 403
    assert client.post("/v1/actors", json=body, headers={"X-API-Key": write}).status_code == 201
    assert client.get("/v1/keys", headers={"X-API-Key": write}).status_code == 403


def test_key_management_needs_admin_and_revocation_works(client, admin_headers):
    r = client.post("/v1/keys", json={"name": "robot", "scope": "write"}, headers=admin_headers)
    assert r.status_code == 201
    new = r.json()
    assert new["key"].startswith("gn_") and new["prefix"] == new["key"][:10]
    h = {"Authorization": f"Bearer {new['key']}"}
    assert client.post("/v1/actors", json={"kind": "person", "name": "K"}, headers=h).status_code == 201
    listed = client.get("/v1/keys", headers=admin_headers).json()["items"]
    assert any(k["id"] == new["id"] and k["last_used_at"] for k in listed)
    assert all("key" not in k and "key_hash" not in k for k in listed)
    assert client.delete(f"/v1/keys/{new['id']}", headers=admin_headers).status_code == 204
    assert client.post("/v1/actors", json={"kind": "person", "name": "K2"}, headers=h).status_code == 401


def test_only_hash_is_stored(settings):
    key = make_key(settings, "write")
    from sqlalchemy import select

    from app.db import make_sync_engine
    from app.models import ApiKey

    engine = make_sync_engine(settings)
    with engine.connect() as c:
        rows = c.execute(select(ApiKey.key_hash, ApiKey.prefix)).all()
    engine.dispose()
    assert all(key not in (h, p) for h, p in rows)


def test_reads_can_require_a_key(settings):
    strict = settings.model_copy(update={"read_api_key_required": True})
    key = make_key(settings, "read")
    with TestClient(create_app(strict)) as c:
        assert c.get("/v1/actors").status_code == 401
        assert c.get("/v1/actors", headers={"X-API-Key": key}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_cli_prints_key_as_last_line(settings):
    env = {"GEONEWS_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "create", "--scope", "write", "--name", "ci"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    key = out.stdout.strip().splitlines()[-1]
    with TestClient(create_app(settings)) as c:
        r = c.post(
            "/v1/actors",
            json={"kind": "person", "name": "Via CLI"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 201


def test_keys_are_stored_as_keyed_hashes_and_legacy_hashes_are_upgraded(settings):
    import hashlib

    from sqlalchemy import select, update

    from app.db import make_sync_engine
    from app.keys.service import hash_key
    from app.models import ApiKey

    key = make_key(settings, "write", "legacy")
    engine = make_sync_engine(settings)
    with engine.begin() as c:
        stored = c.execute(select(ApiKey.key_hash).where(ApiKey.name == "legacy")).scalar_one()
        assert stored == hash_key(key, settings.key_secret) != hashlib.sha256(key.encode()).hexdigest()
        # As an earlier version stored it: a bare SHA-256.
        c.execute(
            update(ApiKey)
            .where(ApiKey.name == "legacy")
            .values(key_hash=hashlib.sha256(key.encode()).hexdigest())
        )
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/actors", json={"kind": "person", "name": "Legacy"}, headers={"X-API-Key": key})
        assert r.status_code == 201
    with engine.connect() as c:
        assert c.execute(select(ApiKey.key_hash).where(ApiKey.name == "legacy")).scalar_one() == hash_key(
            key, settings.key_secret
        )
    # Under another server secret the stored hash no longer matches.
    other = settings.model_copy(update={"api_key_secret": "another-secret"})
    with TestClient(create_app(other)) as c:
        assert (
            c.post("/v1/actors", json={"kind": "person", "name": "X"}, headers={"X-API-Key": key}).status_code
            == 401
        )
    engine.dispose()
