"""/openapi.json as client generators need it.

FastAPI's document is finished here, once per process:

- every error response (4xx/5xx) is declared on `application/problem+json` with the `Problem` schema —
  the only error shape the server sends — so a generated client parses errors into a typed Problem;
  each operation declares the errors any request may meet (400 and 404 at the edge, 429 from the rate
  limiter, 503 from the database; 401/403 where a key can be checked; 413/415/422 where there is a body);
- read operations declare their security as optional (an empty requirement `{}` beside the key schemes)
  while GEONEWS_READ_API_KEY_REQUIRED is off, since they then answer without a key;
- 429 and 503 declare `Retry-After`, 401 `WWW-Authenticate`;
- FastAPI's own validation-error schemas, which this server never sends, are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .errors import PROBLEM_CONTENT_TYPE, Problem
from .routes import iter_routes

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PHRASES = {
    400: "Bad Request: a parameter or the request is invalid.",
    401: "Unauthorized: no key, or a key that is not valid.",
    403: "Forbidden: the key's scope does not allow this call.",
    404: "Not Found: no such resource.",
    409: "Conflict: the request conflicts with stored data.",
    413: "Content Too Large: the body is over the limit.",
    415: "Unsupported Media Type: send JSON.",
    422: "Unprocessable Content: the body is invalid.",
    429: "Too Many Requests: the rate limit is spent; retry after `Retry-After` seconds.",
    503: "Service Unavailable: the database is away or busy; retry after `Retry-After` seconds.",
}
_HEADERS = {
    401: {
        "WWW-Authenticate": {"description": "The scheme to authenticate with.", "schema": {"type": "string"}}
    },
    429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def _scopes(dependant: Any) -> set[str]:
    """The key scopes (app/auth.py require_scope) that an operation's dependencies ask for."""
    found: set[str] = set()
    todo = [dependant]
    while todo:
        d = todo.pop()
        if d is None:
            continue
        scope = getattr(d.call, "scope", None)
        if isinstance(scope, str):
            found.add(scope)
        todo.extend(d.dependencies)
    return found


def _read_operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every documented operation that needs at most the `read` scope."""
    out: set[tuple[str, str]] = set()
    for route in iter_routes(app):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        if _scopes(dependant) == {"read"}:
            out |= {(route.path_format, m.lower()) for m in route.methods}
    return out


def _problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": (existing or {}).get("description") or _PHRASES.get(status, "Error"),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
    }
    headers = {**_HEADERS.get(status, {}), **(existing or {}).get("headers", {})}
    if headers:
        response["headers"] = headers
    return response


def _is_error(code: str) -> bool:
    return code.isdigit() and int(code) >= 400


def finish(spec: dict[str, Any], read_operations: set[tuple[str, str]], reads_open: bool) -> dict[str, Any]:
    """Rewrite FastAPI's document in place (idempotent) and return it."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            responses = op.setdefault("responses", {})
            statuses = {400, 429, 503}
            if "{" in path:
                statuses.add(404)
            if op.get("security"):
                statuses |= {401, 403}
            if "requestBody" in op:
                statuses |= {413, 415, 422}
            for status in statuses:
                responses.setdefault(str(status), {})
            if any(p.get("name") == "format" and p.get("in") == "query" for p in op.get("parameters", [])):
                # format=ndjson|csv (or the Accept header) streams every match instead of the JSON page.
                content = responses.get("200", {}).setdefault("content", {})
                for ctype in ("application/x-ndjson", "text/csv"):
                    content.setdefault(ctype, {})
            for code in list(responses):
                if _is_error(code):
                    responses[code] = _problem_response(int(code), responses[code])
                else:  # streamed alternatives (NDJSON, CSV, event streams) are text
                    for ctype, media in responses[code].get("content", {}).items():
                        if not media and ctype != "application/json" and not ctype.endswith("+json"):
                            media["schema"] = {"type": "string"}
            security = op.get("security")
            if reads_open and security and (path, method) in read_operations and {} not in security:
                security.append({})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def install_openapi(app: FastAPI, reads_open: Callable[[], bool]) -> None:
    """Replace app.openapi with one that returns the finished document (built once per route set)."""
    generate = app.openapi
    finished: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        spec = generate()
        if finished.get("id") != id(spec):
            finish(spec, _read_operations(app), reads_open())
            finished["id"] = id(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
