"""Bytes no database can store, JSON nested beyond reason, and loose types: a 4xx problem document on both
engines, wherever a client can put them — and, in a bulk request, only for the lines that carry them."""

from __future__ import annotations

import json

import pytest

from tests import factories

NUL = "nato\x00"
SURROGATE = "nato\ud800"


def _problem(r, status: int) -> dict:
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def _raw_json(body: dict) -> bytes:
    # json.dumps keeps a lone surrogate as the escape \ud800, as a hostile client would send it.
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "path",
    [
        "/v1/actors/%00",
        "/v1/actors/nato%00",
        "/v1/articles?q=nato%00",
        "/v1/articles?source=%00",
        "/v1/events?q=x%00y",
        "/v1/actors?q=%00&limit=5",
        "/v1/graph/path?from=nato&to=%00",
    ],
)
def test_nul_in_path_or_query_is_400(client, path):
    body = _problem(client.get(path), 400)
    assert "NUL" in body["detail"]


def test_nul_in_a_header_is_400(client):
    # httpx refuses to send NUL in a header, so the ASGI request is built by hand.
    from starlette.testclient import TestClient

    assert isinstance(client, TestClient)
    r = client.get("/v1/actors", headers={"Idempotency-Key": "a"})
    assert r.status_code == 200
    import asyncio

    from app.middleware import RequestGuard

    sent: list[dict] = []

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("reached the app")

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/actors",
        "query_string": b"",
        "headers": [(b"x-api-key", b"k\x00")],
    }
    asyncio.run(RequestGuard(app, 1000)(scope, None, send))
    assert sent[0]["status"] == 400


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
def test_bad_text_in_any_body_is_422(client, write_headers, admin_headers, bad):
    article = factories.article(client, write_headers)
    nato = "nato"
    cases = [
        (
            "POST",
            "/v1/articles",
            {"url": "https://x.example.com/a", "title": bad, "published_at": "2024-01-01"},
        ),
        (
            "POST",
            "/v1/articles",
            {"url": "https://x.example.com/a", "title": "t", "published_at": "2024-01-01", "tags": [bad]},
        ),
        ("POST", "/v1/actors", {"kind": "person", "name": bad}),
        ("POST", "/v1/actors", {"kind": "person", "name": "Ok Name", "aliases": [bad]}),
        ("POST", "/v1/actors", {"kind": "person", "name": "Ok Name", "external_ids": {"wikidata": bad}}),
        ("PATCH", f"/v1/articles/{article['id']}", {"title": bad}),
        ("POST", "/v1/events", {"type": "040", "title": bad, "start_date": "2024-01-01"}),
        (
            "POST",
            "/v1/events",
            {"type": "040", "title": "t", "start_date": "2024-01-01", "attributes": {"k": [bad]}},
        ),
        (
            "POST",
            "/v1/events",
            {"type": "040", "title": "t", "start_date": "2024-01-01", "attributes": {bad: 1}},
        ),
        ("POST", "/v1/relations", {"subject": nato, "type": "allied_with", "object": "usa", "title": bad}),
        (
            "POST",
            "/v1/claims",
            {"speaker": nato, "text": bad, "stance": "asserts", "article_id": article["id"]},
        ),
        ("POST", "/v1/resolve", {"text": bad}),
        ("POST", "/v1/keys", {"name": bad}),
    ]
    for method, path, body in cases:
        r = client.request(
            method,
            path,
            content=_raw_json(body),
            headers={**admin_headers, "Content-Type": "application/json"},
        )
        _problem(r, 422)


def test_raw_surrogate_bytes_in_a_body_are_rejected(client, write_headers):
    body = b'{"kind": "person", "name": "x\xed\xa0\x80y"}'
    r = client.post("/v1/actors", content=body, headers={**write_headers, "Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bulk_rejects_bad_lines_and_keeps_good_ones(client, write_headers):
    lines = []
    for i in range(6):
        title = {2: f"nul {NUL}", 4: f"surrogate {SURROGATE}"}.get(i, f"Bulk edge story {i}")
        lines.append(
            json.dumps(
                {"url": f"https://edge.example.com/story-{i}", "title": title, "published_at": "2024-05-01"}
            )
        )
    lines.insert(
        5,
        '{"url": "https://edge.example.com/deep", "title": "t", "published_at": "2024-05-01", "tags": '
        + "[" * 80
        + "]" * 80
        + "}",
    )
    r = client.post(
        "/v1/articles/bulk",
        content="\n".join(lines).encode(),
        headers={**write_headers, "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == 4
    assert sorted(f["index"] for f in report["failed"]) == [2, 4, 5]
    # A lone surrogate escape is not valid JSON to the line parser (400); the others fail validation.
    assert {f["status"] for f in report["failed"]} <= {400, 422}
    got = client.get("/v1/articles", params={"source": "edge.example.com", "limit": 50}).json()["items"]
    assert len(got) == 4


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


@pytest.mark.parametrize("depth", [33, 300, 600])
def test_deep_free_form_json_is_422(client, write_headers, depth):
    body = {"type": "040", "title": "Deep", "start_date": "2024-01-01", "attributes": _nested(depth)}
    r = client.post(
        "/v1/events", content=json.dumps(body), headers={**write_headers, "Content-Type": "application/json"}
    )
    _problem(r, 422)
    rel = {"subject": "nato", "type": "allied_with", "object": "usa", "attributes": _nested(depth)}
    r = client.post(
        "/v1/relations",
        content=json.dumps(rel),
        headers={**write_headers, "Content-Type": "application/json"},
    )
    _problem(r, 422)


def test_free_form_json_within_limits_is_stored(client, write_headers):
    body = {"type": "040", "title": "Nested ok", "start_date": "2024-01-01", "attributes": _nested(32)}
    r = client.post("/v1/events", json=body, headers=write_headers)
    assert r.status_code == 201, r.text
    assert client.get(f"/v1/events/{r.json()['id']}").json()["attributes"] == _nested(32)


def test_large_numbers_in_free_form_json_come_back(client, write_headers):
    """PostgreSQL's jsonb writes 1e20 back as 100000000000000000000: read as an int beyond 64 bits, no
    response could encode it (the fuzz job's 500 on PATCH /v1/relations). Every such number answers."""
    attrs = {"big": 1e20, "huge": -1.5e300, "int64": 2**63 - 1, "small": 1e-7}
    rel = {"subject": "nato", "type": "allied_with", "object": "japan", "attributes": {"k": 1}}
    r = client.post("/v1/relations", json=rel, headers=write_headers)
    assert r.status_code == 201, r.text
    r = client.patch(f"/v1/relations/{r.json()['id']}", json={"attributes": attrs}, headers=write_headers)
    assert r.status_code == 200, r.text
    assert r.json()["attributes"] == attrs
    body = {"type": "040", "title": "Numbers", "start_date": "2024-01-01", "attributes": attrs}
    r = client.post("/v1/events", json=body, headers=write_headers)
    assert r.status_code == 201, r.text
    assert client.get(f"/v1/events/{r.json()['id']}").json()["attributes"] == attrs


def test_oversized_free_form_json_is_422(client, write_headers):
    body = {
        "type": "040",
        "title": "Big",
        "start_date": "2024-01-01",
        "attributes": {"v": list(range(20_000))},
    }
    _problem(client.post("/v1/events", json=body, headers=write_headers), 422)


def test_a_boolean_is_not_an_id_and_a_number_is_not_a_date(client, write_headers):
    article = factories.article(client, write_headers)
    claim = {"speaker": "nato", "text": "Said", "stance": "asserts", "article_id": True}
    _problem(client.post("/v1/claims", json=claim, headers=write_headers), 422)
    event = {"type": "040", "title": "E", "start_date": "2024-01-01", "articles": [article["id"], True]}
    _problem(client.post("/v1/events", json=event, headers=write_headers), 422)
    for start in (0, "0", 1700000000, 0.5):
        _problem(
            client.post(
                "/v1/events", json={"type": "040", "title": "E", "start_date": start}, headers=write_headers
            ),
            422,
        )
    bad_article = {"url": "https://d.example.com/x", "title": "t", "published_at": 0}
    _problem(client.post("/v1/articles", json=bad_article, headers=write_headers), 422)
    rel = {"subject": "nato", "type": "allied_with", "object": "usa", "confidence": True}
    _problem(client.post("/v1/relations", json=rel, headers=write_headers), 422)
    # Nor is a number or a string a boolean (`keep_raw: 0` is not false).
    for flag in ({"keep_raw": 0}, {"keep_raw": "false"}, {"extract": 1}):
        body = {"url": "https://d.example.com/y", "title": "t", "published_at": "2024-01-01", **flag}
        _problem(client.post("/v1/articles", json=body, headers=write_headers), 422)
    alias = {"kind": "organization", "name": "Flag Test", "aliases": [{"alias": "FT", "ambiguous": 1}]}
    _problem(client.post("/v1/actors", json=alias, headers=write_headers), 422)
    # Query parameters: 400.
    for query in ("published_after=0", "published_before=1700000000", "start_after=0"):
        path = "/v1/events" if query.startswith("start") else "/v1/articles"
        _problem(client.get(f"{path}?{query}"), 400)
    assert client.get("/v1/articles?published_after=2024-01-01").status_code == 200
    # And the real thing still works.
    ok = {"speaker": "nato", "text": "Said", "stance": "asserts", "article_id": article["id"]}
    assert client.post("/v1/claims", json=ok, headers=write_headers).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@news.example.com/a",
        "https://user@news.example.com/a",
        "https://-bad-.example.com/a",
        "https://exa mple.com/a",
        "https://news.example.com/a\tb",  # any space str.isspace() knows, in the path too
        "https://news.example.com/a\u00a0b",
        "https://news.example.com/a\u2028b",
        "https://news.example.com/a\x01b",  # control characters and DEL
        "https://news.example.com/a\x7fb",
        "https://localhost/a",
        "https://news..example.com/a",
        "https://news.example.com:99999/a",
        "https://" + "a" * 64 + ".example.com/a",
        "http://[not-an-ip]/a",
    ],
)
def test_urls_with_credentials_or_invalid_hosts_are_422(client, write_headers, url):
    body = {"url": url, "title": "t", "published_at": "2024-01-01"}
    _problem(client.post("/v1/articles", json=body, headers=write_headers), 422)


def test_head_works_wherever_get_does(client, write_headers):
    article = factories.article(client, write_headers)
    for path in (
        "/v1/actors",
        "/v1/actors/nato",
        f"/v1/articles/{article['id']}",
        "/v1/articles?format=ndjson",
        "/v1/events?format=csv",
        "/healthz",
        "/readyz",
    ):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200, (path, head.status_code)
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
    assert client.head("/v1/actors/no-such-actor").status_code == 404
