"""The graph routes are documented: response models, problem responses and every parameter."""

from __future__ import annotations

import pytest

ROUTES = {
    "/v1/actors/{actor}/network": (
        "Network",
        {"actor", "depth", "since", "until", "min_weight", "limit", "as_of", "types", "consistency"},
    ),
    "/v1/actors/{actor}/timeline": (
        "Timeline",
        {"actor", "interval", "from", "to", "with", "event_type", "consistency"},
    ),
    "/v1/graph/path": ("Path", {"from", "to", "types", "as_of", "max_depth"}),
}


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").json()


@pytest.mark.parametrize("path", ROUTES)
def test_route_is_documented(spec, path):
    model, params = ROUTES[path]
    op = spec["paths"][path]["get"]
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": f"#/components/schemas/{model}"}
    for status in ("400", "404", "503"):
        # Only the type the server sends: a generated client then parses errors as a typed Problem.
        content = op["responses"][status]["content"]
        assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert {} in op["security"]  # reads are open by default
    assert {p["name"] for p in op["parameters"]} == params
    assert all(p.get("description") for p in op["parameters"] if p["name"] != "actor")


def test_schemas_name_their_fields(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["Network"]["properties"]) == {"nodes", "edges", "truncated"}
    assert set(schemas["NetworkNode"]["properties"]) == {"id", "slug", "name", "kind", "depth"}
    assert set(schemas["NetworkEdge"]["properties"]) == {"source", "target", "weight", "kinds"}
    assert set(schemas["Path"]["properties"]) == {"nodes", "edges", "found", "reason"}
    assert set(schemas["PathEdge"]["properties"]) == {
        "relation_id",
        "source",
        "target",
        "type",
        "title",
        "valid_from",
        "valid_to",
        "evidence",
    }
    assert set(schemas["Timeline"]["properties"]) == {"items", "interval", "from", "to"}
    assert set(schemas["TimelineBucket"]["properties"]) == {"start", "count"}
