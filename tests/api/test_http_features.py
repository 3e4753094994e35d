from __future__ import annotations


def test_etag_and_304(client, write_headers):
    client.post("/v1/actors", json={"kind": "person", "name": "Etag Person"}, headers=write_headers)
    r = client.get("/v1/actors/etag-person")
    tag = r.headers["etag"]
    assert tag.startswith('W/"')
    r2 = client.get("/v1/actors/etag-person", headers={"If-None-Match": tag})
    assert r2.status_code == 304 and r2.content == b""
    client.patch("/v1/actors/etag-person", json={"description": "changed"}, headers=write_headers)
    assert client.get("/v1/actors/etag-person", headers={"If-None-Match": tag}).status_code == 200


def test_cors_preflight_and_headers(client):
    r = client.options(
        "/v1/articles", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in ("*", "https://app.example")
    r = client.get("/v1/actors", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] in ("*", "https://app.example")


def test_health_ready_metrics_docs(client, admin_headers, read_headers):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/articles",
        "/v1/actors/{actor}/members",
        "/v1/relations",
        "/v1/events",
        "/v1/claims",
        "/v1/propositions/{proposition_id}",
        "/v1/event-types",
    ):
        assert path in spec["paths"]
    client.get("/v1/actors")
    assert client.get("/metrics").status_code == 401  # behind an admin key unless GEONEWS_METRICS_PUBLIC
    assert client.get("/metrics", headers=read_headers).status_code == 403
    m = client.get("/metrics", headers=admin_headers)
    assert m.status_code == 200 and "geonews_http_requests_total" in m.text
