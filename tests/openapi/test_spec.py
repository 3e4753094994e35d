"""/openapi.json as client generators need it: errors on problem+json, optional security on open reads,
servers/license/contact, enumerations as enums, and a 405 that names every method of its path."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from app.main import create_app
from app.schemas import WEB_URL_PATTERN, _check_web_url

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_every_error_is_a_problem_document(spec):
    seen = 0
    for path, method, op in operations(spec):
        errors = {code: r for code, r in op["responses"].items() if int(code) >= 400}
        assert {"400", "429", "503"} <= set(errors), (method, path)
        for code, response in errors.items():
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (
                method,
                path,
                code,
            )
            seen += 1
    assert seen > 300
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors", "existing"} <= set(problem["properties"])
    assert problem["additionalProperties"] is True


def test_every_reference_resolves(spec):
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(spec["components"]["schemas"])


def test_reads_declare_optional_security_writes_do_not(spec):
    keys = [{"HTTPBearer": []}, {"APIKeyHeader": []}]
    reads = writes = 0
    for path, method, op in operations(spec):
        if "security" not in op:
            continue
        admin = path.startswith(("/v1/keys", "/v1/webhooks"))
        if method == "get" and not admin or path == "/v1/resolve":
            assert op["security"] == [*keys, {}], (method, path)
            reads += 1
        else:
            assert op["security"] == keys, (method, path)
            writes += 1
    assert reads >= 20 and writes >= 20


def test_optional_security_follows_the_setting(settings):
    closed = create_app(settings.model_copy(update={"read_api_key_required": True})).openapi()
    for path, method, op in operations(closed):
        assert {} not in op.get("security", []), (method, path)


def test_servers_license_and_contact(spec):
    assert spec["servers"] == [{"url": "/", "description": "This server"}]
    assert spec["info"]["license"] == {"name": "Apache-2.0", "identifier": "Apache-2.0"}
    assert spec["info"]["contact"]["url"]


def test_public_url_names_the_server(settings):
    doc = create_app(settings.model_copy(update={"public_url": "https://news.example/api"})).openapi()
    assert doc["servers"][0]["url"] == "https://news.example/api"


def test_operation_ids_are_the_handler_names(spec):
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids))
    assert {"list_actors", "create_article", "get_actor", "graph_path"} <= set(ids)


def _param(spec, path, name):
    return next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name)


@pytest.mark.parametrize(
    "path, formats",
    [
        ("/v1/articles", ["json", "ndjson", "csv", "geojson"]),
        ("/v1/actors", ["json", "ndjson", "csv"]),
        ("/v1/events", ["json", "ndjson", "csv", "geojson"]),
    ],
)
def test_format_is_an_enum(spec, client, path, formats):
    schema = _param(spec, path, "format")["schema"]
    assert {"enum": formats, "type": "string"} in schema["anyOf"]
    r = client.get(path, params={"format": "xml"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")


def test_facets_pattern_admits_exactly_what_the_server_accepts(spec, client):
    pattern = re.compile(_param(spec, "/v1/articles", "facets")["schema"]["anyOf"][0]["pattern"])
    for good in ("source", "source,actor", "actor_kind , language", "source,,actor", ""):
        assert pattern.search(good), good
        assert client.get("/v1/articles", params={"facets": good}).status_code == 200, good
    for bad in ("colour", "source,colour", "source actor"):
        assert not pattern.search(bad), bad
        assert client.get("/v1/articles", params={"facets": bad}).status_code == 400, bad


def test_streamed_alternatives_are_text(spec):
    content = spec["paths"]["/v1/articles"]["get"]["responses"]["200"]["content"]
    assert content["text/csv"] == {"schema": {"type": "string"}}
    assert content["application/x-ndjson"] == {"schema": {"type": "string"}}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/actors", "GET, HEAD, POST"),
        ("PUT", "/v1/actors/nato", "GET, HEAD, PATCH, DELETE"),
        ("POST", "/v1/articles/1", "GET, HEAD, PATCH, DELETE"),
        ("DELETE", "/v1/graph/path", "GET, HEAD"),
        ("OPTIONS", "/v1/keys/3", "DELETE"),
        ("PUT", "/v1/keys", "GET, HEAD, POST"),
    ],
)
def test_405_lists_every_method_of_the_path(client, method, path, allow):
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["allow"] == allow
    assert r.json()["status"] == 405 and allow in r.json()["detail"]
    for listed in allow.split(", "):  # every method named is one the path answers (not 405)
        if listed not in ("HEAD", "DELETE", "PATCH", "POST"):
            assert client.request(listed, path).status_code != 405


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(WEB_URL_PATTERN, fullmatch=True))
def test_every_url_the_schema_admits_is_accepted(url):
    """The URL pattern in the schema is a subset of what the server's validator accepts."""
    assert _check_web_url(url) == url


def test_list_routes_declare_their_streamed_formats(spec):
    for path, _method, op in operations(spec):
        if any(p["name"] == "format" for p in op.get("parameters", [])):
            assert {"application/x-ndjson", "text/csv"} <= set(op["responses"]["200"]["content"]), path
