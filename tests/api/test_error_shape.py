"""Every route answers bad input with an RFC 9457 problem document (after Datasette's test_error_shape)."""

from __future__ import annotations

import re

import pytest

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(r, status):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = r.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("https://")
    for e in body.get("errors") or []:
        assert set(e) == {"loc", "msg"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


def test_every_route_unknown_id_is_404_problem(client, write_headers, admin_headers):
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        if "{" not in path:
            continue
        for method in ops:
            headers = admin_headers if path.startswith(("/v1/keys", "/v1/webhooks")) else write_headers
            kwargs = {"json": {}} if method in ("post", "patch", "put") else {}
            r = client.request(method.upper(), _concrete(path), headers=headers, **kwargs)
            assert_problem(r, 404)
            checked += 1
    assert checked >= 10


def _stored_webhook(settings) -> int:
    """A subscription stored directly (creating one over HTTP needs a public URL, and there is no DNS here)."""
    from sqlalchemy.orm import Session

    from app.db import make_sync_engine
    from app.models import Webhook, utcnow

    engine = make_sync_engine(settings)
    with Session(engine) as s, s.begin():
        hook = Webhook(url="https://example.org/hook", secret="whsec_" + "A" * 32, filters={}, status="paused",
                       position=0, failures=0, next_attempt_at=utcnow(), delivered=0)  # fmt: skip
        s.add(hook)
        s.flush()
        webhook_id = hook.id
    engine.dispose()
    return webhook_id


def test_every_write_route_without_key_is_401_problem(client):
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method in ops:
            if method == "get" or path == "/v1/resolve":  # resolve stores nothing: a read
                continue
            r = client.request(method.upper(), _concrete(path), json={})
            assert_problem(r, 401)
            assert "bearer" in r.headers["www-authenticate"].lower()


def test_every_list_route_rejects_bad_limit_and_forged_cursor(client, admin_headers, settings):
    slug = client.post(
        "/v1/actors", json={"kind": "alliance", "name": "Errortest Pact"}, headers=admin_headers
    ).json()["slug"]
    webhook_id = _stored_webhook(settings)
    story_id = client.post(
        "/v1/articles",
        json={
            "url": "https://errors.example.com/1",
            "title": "Errortest",
            "body": "Japan spoke.",
            "published_at": "2025-01-01",
        },
        headers=admin_headers,
    ).json()["story_id"]
    spec = client.get("/openapi.json").json()
    lists = [
        p
        for p, ops in spec["paths"].items()
        if "get" in ops and any(x.get("name") == "cursor" for x in ops["get"].get("parameters", []))
    ]
    assert "/v1/articles" in lists and "/v1/actors" in lists and "/v1/events" in lists
    for path in lists:
        url = path.replace("{actor}", slug).replace("{webhook_id}", str(webhook_id))
        url = url.replace("{story_id}", str(story_id))
        assert "{" not in url, url
        assert_problem(client.get(url, params={"limit": 0}, headers=admin_headers), 400)
        assert_problem(client.get(url, params={"limit": 201}, headers=admin_headers), 400)
        assert_problem(client.get(url, params={"cursor": "not-a-cursor"}, headers=admin_headers), 400)
        assert_problem(
            client.get(url, params={"cursor": "eyJzIjoiaWQifQ.AAAAAAAAAAAAAAAA"}, headers=admin_headers), 400
        )


def test_cursor_from_another_query_is_400(client, write_headers):
    for i in range(3):
        client.post("/v1/actors", json={"kind": "media", "name": f"Cursor Media {i}"}, headers=write_headers)
    page = client.get("/v1/actors", params={"kind": "media", "limit": 1}).json()
    assert page["next_cursor"]
    r = client.get("/v1/actors", params={"kind": "person", "limit": 1, "cursor": page["next_cursor"]})
    assert_problem(r, 400)


def test_unknown_route_and_wrong_method(client):
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.put("/v1/articles"), 405)


def test_a_method_a_fixed_path_does_not_answer_is_405_not_its_neighbours_validation(client, write_headers):
    """`/v1/articles/bulk` answers POST; `/v1/articles/{article_id}` answers GET, PATCH and DELETE and would
    read `bulk` as an id that does not parse: the path exists, so any other method is a 405 naming POST
    (schemathesis's ST204 saw a 422 from the article route's body validation)."""
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        r = client.request(method, "/v1/articles/bulk", json={"title": 5}, headers=write_headers)
        assert_problem(r, 405)
        assert r.headers["allow"] == "POST"
        assert (
            client.request(r.headers["allow"], "/v1/articles/bulk", headers=write_headers).status_code != 405
        )
    # A path that only a parameterised route has: an id that does not parse names no article, body or not.
    assert_problem(client.get("/v1/articles/not-a-number"), 404)
    assert_problem(client.patch("/v1/articles/not-a-number", json={"title": 5}, headers=write_headers), 404)


def test_malformed_json_is_400_and_invalid_body_422(client, write_headers):
    h = {**write_headers, "content-type": "application/json"}
    assert_problem(client.post("/v1/actors", content=b'{"kind": ', headers=h), 400)
    assert_problem(
        client.post("/v1/actors", json={"kind": "planet", "name": "X"}, headers=write_headers), 422
    )
    r = client.post("/v1/actors", json={"kind": "person"}, headers=write_headers)
    assert_problem(r, 422)
    assert any(e["loc"][-1] == "name" for e in r.json()["errors"])


def test_wrong_content_type_is_415(client, write_headers):
    r = client.post(
        "/v1/actors", content=b"kind=person", headers={**write_headers, "content-type": "text/plain"}
    )
    assert_problem(r, 415)
    r = client.post(
        "/v1/actors",
        content=b"kind=person",
        headers={**write_headers, "content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(r, 415)


def test_oversized_body_is_413_before_reading(client, write_headers, settings):
    big = b'{"kind": "person", "name": "' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    r = client.post("/v1/actors", content=big, headers={**write_headers, "content-type": "application/json"})
    assert_problem(r, 413)


def test_oversized_chunked_body_is_413(client, write_headers, settings):
    def chunks():
        yield b'{"kind": "person", "name": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    r = client.post(
        "/v1/actors", content=chunks(), headers={**write_headers, "content-type": "application/json"}
    )
    assert_problem(r, 413)


def test_bad_query_parameter_is_400(client):
    assert_problem(client.get("/v1/articles", params={"published_after": "2024-02-30"}), 400)
    assert_problem(client.get("/v1/actors", params={"kind": "planet"}), 400)
    assert_problem(client.get("/v1/articles", params={"actor": "no-such-actor-slug"}), 400)
    assert_problem(client.get("/v1/relations", params={"as_of": "yesterday"}), 400)


def test_integrity_conflict_is_409(client, write_headers):
    client.post(
        "/v1/actors",
        json={"kind": "person", "name": "Conflicted", "slug": "conflicted"},
        headers=write_headers,
    )
    r = client.post(
        "/v1/actors",
        json={"kind": "person", "name": "Conflicted", "slug": "conflicted"},
        headers=write_headers,
    )
    assert_problem(r, 409)


@pytest.mark.parametrize("path", ["/v1/articles/abc", "/v1/events/-1", "/v1/relations/0"])
def test_bad_path_id_is_404(client, path):
    assert_problem(client.get(path), 404)


def test_database_unavailable_is_503(tmp_path):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    missing_dir = tmp_path / "no" / "such" / "dir" / "x.db"
    app = create_app(Settings(database_url=f"sqlite:///{missing_dir}", _env_file=None))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert_problem(c.get("/v1/actors"), 503)
        assert_problem(c.get("/readyz"), 503)
        assert c.get("/healthz").status_code == 200
