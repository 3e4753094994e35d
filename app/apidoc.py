"""The repository's API reference, docs/API.md, written from the app's own /openapi.json.

    python -m app.apidoc > docs/API.md

The document is built from default settings (reads open, no public URL), so it does not depend on the
environment it runs in; tests/openapi/test_apidoc.py regenerates it and fails when docs/API.md is stale.
"""

from __future__ import annotations

import json
import sys
from typing import Any

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/"


def _anchor(name: str) -> str:
    return "schema-" + "".join(c if c.isalnum() else "-" for c in name.lower())


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def type_of(schema: dict[str, Any]) -> str:
    """A schema in a few words: `string (date)`, `array of [ActorBrief](#…)`, `"a" \\| "b"`, …"""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF)
        return f"[{name}](#{_anchor(name)})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(type_of(s) for s in schema[key]))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " or ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" or (kind is None and "additionalProperties" in schema):
        extra = schema.get("additionalProperties")
        return f"object of {type_of(extra)}" if isinstance(extra, dict) and extra else "object"
    if kind is None:
        return "any"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def constraints(schema: dict[str, Any]) -> str:
    """Bounds, pattern and default of a schema (and of the non-null branch of an optional one)."""
    parts = []
    branches = [schema] + [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    for s in branches:
        for key, label in (
            ("minimum", "≥"),
            ("maximum", "≤"),
            ("minLength", "length ≥"),
            ("maxLength", "length ≤"),
            ("minItems", "items ≥"),
            ("maxItems", "items ≤"),
        ):
            if key in s:
                parts.append(f"{label} {s[key]}")
        if "pattern" in s:
            parts.append(f"pattern `{s['pattern']}`")
    if "default" in schema and schema["default"] is not None:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return ", ".join(dict.fromkeys(parts))


def _security(op: dict[str, Any]) -> str:
    security = op.get("security")
    if not security:
        return "none"
    schemes = " or ".join(name for req in security for name in req)
    return f"optional ({schemes})" if {} in security else schemes


def _operation(path: str, method: str, op: dict[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}`", ""]
    out.append(
        f"**{op.get('summary', '')}** — operation `{op.get('operationId', '')}`, key: {_security(op)}."
    )
    out.append("")
    if op.get("description"):
        out += [op["description"].strip(), ""]
    params = op.get("parameters", [])
    if params:
        out += [
            "| parameter | in | type | required | constraints | description |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for p in params:
            schema = p.get("schema", {})
            out.append(
                f"| `{p['name']}` | {p['in']} | {_cell(type_of(schema))} | {'yes' if p.get('required') else 'no'} "
                f"| {_cell(constraints(schema))} | {_cell(p.get('description') or schema.get('description', ''))} |"
            )
        out.append("")
    body = op.get("requestBody")
    if body:
        kinds = ", ".join(
            f"`{ctype}` {type_of(media.get('schema', {}))}" for ctype, media in body["content"].items()
        )
        out += [f"Body ({'required' if body.get('required') else 'optional'}): {kinds}.", ""]
    out += ["| status | meaning | body |", "| --- | --- | --- |"]
    for code, response in sorted(op.get("responses", {}).items()):
        content = response.get("content", {})
        bodies = "; ".join(
            f"`{ctype}` {type_of(media.get('schema', {}))}" for ctype, media in content.items()
        )
        headers = ", ".join(f"`{h}`" for h in response.get("headers", {}))
        meaning = _cell(response.get("description", "")) + (f" (headers: {headers})" if headers else "")
        out.append(f"| {code} | {meaning} | {_cell(bodies) or '—'} |")
    out.append("")
    return out


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f'<a id="{_anchor(name)}"></a>', f"### {name}", ""]
    if schema.get("description"):
        out += [_cell(schema["description"]), ""]
    props = schema.get("properties")
    if not props:
        out += [f"{_cell(type_of(schema))}.", ""]
        return out
    required = set(schema.get("required", []))
    out += ["| field | type | required | constraints | description |", "| --- | --- | --- | --- | --- |"]
    for field, sub in props.items():
        out.append(
            f"| `{field}` | {_cell(type_of(sub))} | {'yes' if field in required else 'no'} "
            f"| {_cell(constraints(sub))} | {_cell(sub.get('description', ''))} |"
        )
    if schema.get("additionalProperties") is True:
        out.append("| … | any | no | | more members may follow |")
    out.append("")
    return out


def render(spec: dict[str, Any]) -> str:
    info = spec["info"]
    out = [
        f"# {info['title']} API reference (version {info['version']})",
        "",
        "<!-- Generated from /openapi.json by `python -m app.apidoc > docs/API.md`; "
        "tests/openapi/test_apidoc.py keeps it in step. Do not edit by hand. -->",
        "",
        info.get("description", "").strip(),
        "",
        f"OpenAPI {spec['openapi']}; licence {info.get('license', {}).get('name', '—')}. A running server "
        "serves this document at `/openapi.json` and an explorer of it at `/docs`.",
        "",
        '**Keys.** Send `Authorization: Bearer <key>` or `X-API-Key: <key>`. "optional" below: reads '
        "answer without a key unless the server sets `GEONEWS_READ_API_KEY_REQUIRED=true`.",
        "",
        "**Errors** are RFC 9457 problem documents (`application/problem+json`, schema "
        f"[Problem](#{_anchor('Problem')})) with `type`, `title`, `status`, `detail` and, for invalid input, "
        "`errors` naming each parameter or field (`loc`) and what is wrong (`msg`).",
        "",
        "**Lists** page with `limit` and an opaque `cursor` (`next_cursor` of the previous page, also in the "
        '`Link: <…>; rel="next"` header).',
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((path, method, item[method]))
    for tag, ops in by_tag.items():
        out += [f"## {tag}", ""]
        for path, method, op in ops:
            out += _operation(path, method, op)
    out += ["## Schemas", ""]
    for name, schema in sorted(spec.get("components", {}).get("schemas", {}).items()):
        out += _schema(name, schema)
    return "\n".join(out).rstrip() + "\n"


def reference_spec() -> dict[str, Any]:
    """The document as a default server serves it, whatever the environment says."""
    from .config import Settings
    from .main import create_app

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        public_url=None,
        read_api_key_required=False,
        contact_url=Settings.model_fields["contact_url"].default,
        contact_email=None,
    )
    return create_app(settings).openapi()


def main() -> None:
    sys.stdout.write(render(reference_spec()))


if __name__ == "__main__":
    main()
