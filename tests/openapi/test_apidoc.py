"""docs/API.md is the reference the repository carries: generated from /openapi.json and kept in step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.apidoc import reference_spec, render, type_of

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "API.md"


def test_docs_api_md_is_in_step_with_openapi():
    fresh = render(reference_spec())
    assert DOC.read_text() == fresh, "docs/API.md is stale: run `python -m app.apidoc > docs/API.md`"


def test_the_command_writes_the_same_whatever_the_environment():
    env = {
        **os.environ,
        "GEONEWS_PUBLIC_URL": "https://elsewhere.example",
        "GEONEWS_READ_API_KEY_REQUIRED": "true",
    }
    out = subprocess.run(
        [sys.executable, "-m", "app.apidoc"], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    ).stdout
    assert out == DOC.read_text()


def test_every_operation_and_schema_is_documented():
    spec = reference_spec()
    text = DOC.read_text()
    for path, item in spec["paths"].items():
        for method in item:
            assert f"### `{method.upper()} {path}`" in text, (method, path)
    for name in spec["components"]["schemas"]:
        assert f"### {name}\n" in text, name
    assert "key: optional (HTTPBearer or APIKeyHeader)" in text  # open reads are marked
    assert '"json" or "ndjson" or "csv"' in text


def test_type_of_names_schemas_in_words():
    assert (
        type_of({"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]})
        == "string (date) or null"
    )
    assert type_of({"type": "array", "items": {"$ref": "#/components/schemas/ActorBrief"}}) == (
        "array of [ActorBrief](#schema-actorbrief)"
    )
    assert type_of({"enum": ["a", "b"]}) == '"a" or "b"'
    assert type_of({"type": "object", "additionalProperties": {"type": "integer"}}) == "object of integer"
