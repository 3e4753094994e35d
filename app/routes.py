"""The application's routes as one flat list, whatever the FastAPI version nests them in, and the methods
each path answers (the `Allow` header of a 405)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.routing import compile_path

try:  # Newer FastAPI (0.16x here) keeps included routers nested; RouteContext exposes the effective route.
    from fastapi.routing import iter_route_contexts as _iter_contexts
except ImportError:  # pragma: no cover - older FastAPI flattens included routers into app.routes
    _iter_contexts = None  # type: ignore[assignment]


def iter_routes(app: Any) -> Iterator[Any]:
    """Every route (an object with path, path_format, methods and, for API routes, dependant)."""
    if _iter_contexts is not None:
        yield from _iter_contexts(app.routes)
    else:  # pragma: no cover
        yield from app.routes


def _table(app: Any) -> list[tuple[re.Pattern[str], frozenset[str], str | None]]:
    """(path regex, methods, the path itself when it has no parameters) of every route, built once."""
    table = getattr(app.state, "_allow_table", None)
    if table is None:
        table = []
        for route in iter_routes(app):
            path, methods = getattr(route, "path", None), getattr(route, "methods", None)
            if path and methods:
                table.append((compile_path(path)[0], frozenset(methods), None if "{" in path else path))
        app.state._allow_table = table
    return table


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route of `path` answers, HEAD wherever GET is (app/middleware.py's HeadAsGet),
    in a stable order; empty when no route has the path."""
    found: set[str] = set()
    for regex, methods, _ in _table(app):
        if regex.match(path):
            found |= methods
    return _ordered(found)


def literal_methods(app: Any, path: str) -> list[str]:
    """The methods of the routes whose path is exactly `path`, without parameters (`/v1/articles/bulk`
    beside `/v1/articles/{article_id}`), HEAD wherever GET is, in allowed_methods' order; empty when none."""
    found: set[str] = set()
    for _, methods, literal in _table(app):
        if literal == path:
            found |= methods
    return _ordered(found)


_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _ordered(methods: set[str]) -> list[str]:
    """HEAD wherever GET is (app/middleware.py's HeadAsGet), in a stable order."""
    if "GET" in methods:
        methods = methods | {"HEAD"}
    return sorted(methods, key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))
