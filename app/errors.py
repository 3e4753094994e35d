"""One error family, rendered as RFC 9457 problem+json by one set of handlers."""

from __future__ import annotations

import logging
import socket
import sqlite3
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from .responses import JSON
from .routes import allowed_methods, literal_methods

log = logging.getLogger("geonews.errors")

T = TypeVar("T")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://geonews.dev/problems/"


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """The RFC 9457 problem document every error response carries (more members may follow)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The HTTP status phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong, for a person.")
    errors: list[ProblemError] | None = Field(
        default=None, description="Each invalid parameter or field: where (`loc`) and why (`msg`)."
    )
    existing: str | None = Field(
        default=None, description="A 409 that a stored resource causes: that resource's URL."
    )


class AppError(Exception):
    status: int = 400
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extra = extra  # more members of the problem document (e.g. `existing`)


class BadRequest(AppError):
    status, slug = 400, "bad-request"


class Unauthorized(AppError):
    status, slug = 401, "unauthorized"


class Forbidden(AppError):
    status, slug = 403, "forbidden"


class NotFound(AppError):
    status, slug = 404, "not-found"


def still_there(value: T | None, what: str) -> T:
    """A resource that the path's dependency found, read again by the service: None when a concurrent
    request deleted it in between (each statement sees the latest commit), which is a 404, not a fault."""
    if value is None:
        raise NotFound(f"{what} was deleted while this request ran.")
    return value


class Conflict(AppError):
    status, slug = 409, "conflict"


class Gone(AppError):
    status, slug = 410, "gone"


class PayloadTooLarge(AppError):
    status, slug = 413, "payload-too-large"


class UnsupportedMediaType(AppError):
    status, slug = 415, "unsupported-media-type"


class Unprocessable(AppError):
    status, slug = 422, "validation-error"


class RequestTimeout(AppError):
    status, slug = 408, "request-timeout"


class TooManyRequests(AppError):
    status, slug = 429, "rate-limited"


class ServiceUnavailable(AppError):
    status, slug = 503, "service-unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **kw: Any) -> None:
        headers = {"Retry-After": str(retry_after), **(kw.pop("headers", None) or {})}
        super().__init__(detail, headers=headers, **kw)


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    503: "service-unavailable",
}


def problem_body(
    status: int,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + _SLUGS.get(status, "error"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSON:
    return JSON(
        problem_body(status, detail, errors, extra),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _clean_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": _clean_loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]


def app_error_response(exc: AppError) -> JSON:
    """The problem response of an AppError (the app's handler; app/articles/fastpath.py answers with it too)."""
    return problem_response(exc.status, exc.detail, exc.errors, exc.headers, exc.extra)


async def _app_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, AppError)
    return app_error_response(exc)


async def _validation_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    errors = _validation_errors(exc)
    places = {str(e.get("loc", ("",))[0]) for e in raw}
    if "path" in places:
        # A path parameter that does not parse: the path names no resource of this route, whatever the
        # body says. When a route without parameters has this very path (`/v1/articles/bulk` beside
        # `/v1/articles/{article_id}`), the path exists and does not answer this method.
        literal = literal_methods(request.app, request.scope.get("path", request.url.path))
        if literal and request.method not in literal:
            allow = ", ".join(literal)
            detail = f"This method is not allowed on this path; it answers {allow}."
            return problem_response(405, detail, headers={"Allow": allow})
        return problem_response(404, "No such resource.", errors)
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(400, "The request body is not valid JSON.", errors)
    if "body" in places:
        return problem_response(422, "The request body is invalid.", errors)
    return problem_response(400, "A request parameter is invalid.", errors)


async def _http_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No route matches this path."
    if exc.status_code == 405:
        # The router names only the methods of the first route that has the path; a client needs all. A
        # path that a route without parameters has is that route's (`/v1/articles/bulk`: POST), not its
        # parameterised neighbours' (`/v1/articles/{article_id}` cannot read `bulk` as an id).
        path = request.scope.get("path", request.url.path)
        static = ["GET", "HEAD"]  # no route: a static file's path
        methods = literal_methods(request.app, path) or allowed_methods(request.app, path) or static
        headers["Allow"] = ", ".join(methods)
        detail = f"This method is not allowed on this path; it answers {', '.join(methods)}."
    return problem_response(exc.status_code, detail, headers=headers or None)


# Database faults. One classifier decides, from the whole exception chain (SQLAlchemy wrapper, driver
# exception, the OS error underneath), what a client should see: the request's fault (409/422), or a
# database that is away, stuck or busy (503 with Retry-After). Anything else is a bug (500).

BUSY = "The database is busy; try again shortly."
UNAVAILABLE = "The database is unavailable; try again shortly."
TOO_SLOW = "The query took longer than the server allows; narrow it or try again later."
STALE = "Another request changed or deleted this resource while this one ran; read it again."

_CONNECTION_STATES = ("08", "53", "57P", "58")  # connection, resources, shutdown/starting, system errors
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_SQLITE_AWAY = ("disk i/o error", "unable to open", "readonly database", "database disk image is malformed")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


def _is_connection_os_error(e: BaseException) -> bool:
    if isinstance(e, ConnectionError | TimeoutError | socket.gaierror):
        return True
    return isinstance(e, OSError) and "connect" in str(e).lower()


def database_fault(exc: BaseException) -> AppError | None:
    """The problem a database-side exception stands for, or None when it is not a database fault."""
    for e in _chain(exc):
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and len(state) == 5:
            if state == "57014":  # query_canceled: statement_timeout
                return ServiceUnavailable(TOO_SLOW, retry_after=5)
            if state.startswith(_CONNECTION_STATES):
                return ServiceUnavailable(UNAVAILABLE)
            if state in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock not available
                return ServiceUnavailable(BUSY)
            if state.startswith("23"):
                return Conflict("The request conflicts with stored data (a unique value is already taken).")
            if state.startswith("22"):
                return Unprocessable("A value is out of range, too long or not storable for its field.")
        if isinstance(e, sqlite3.Error):
            msg = str(e).lower()
            if isinstance(e, sqlite3.IntegrityError):
                return Conflict("The request conflicts with stored data (a unique value is already taken).")
            if isinstance(e, sqlite3.DataError) or "too big" in msg:
                return Unprocessable("A value is out of range, too long or not storable for its field.")
            if "interrupted" in msg:
                return ServiceUnavailable(TOO_SLOW, retry_after=5)
            if any(m in msg for m in _SQLITE_BUSY):
                return ServiceUnavailable(BUSY)
            if any(m in msg for m in _SQLITE_AWAY):
                return ServiceUnavailable(UNAVAILABLE)
        if isinstance(e, sa_exc.TimeoutError):  # no pooled connection came free in time
            return ServiceUnavailable(BUSY)
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return ServiceUnavailable(UNAVAILABLE)
        if type(e).__name__ in ("ConnectionDoesNotExistError", "ConnectionFailureError"):
            return ServiceUnavailable(UNAVAILABLE)
        if isinstance(e, sa_exc.InterfaceError | sa_exc.DisconnectionError | sa_exc.ResourceClosedError):
            return ServiceUnavailable(UNAVAILABLE)
        if type(e).__name__ == "InterfaceError" and "closed" in str(e).lower():
            return ServiceUnavailable(UNAVAILABLE)
        if _is_connection_os_error(e):
            return ServiceUnavailable(UNAVAILABLE)
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict("The request conflicts with stored data (a unique value is already taken).")
    if isinstance(exc, orm_exc.StaleDataError):  # the row went away between this request's read and write
        return Conflict(STALE)
    if isinstance(exc, sa_exc.DataError | OverflowError):
        return Unprocessable("A value is out of range, too long or not storable for its field.")
    if isinstance(exc, sa_exc.OperationalError):
        return ServiceUnavailable(UNAVAILABLE)
    return None


def request_id_of(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


async def _database_error(request: Request, exc: Exception) -> JSON:
    problem = database_fault(exc)
    if problem is None:
        raise exc  # a bug: the outermost middleware logs it once, with the request id, and answers 500
    level = logging.WARNING if problem.status >= 500 else logging.INFO
    cause = str(exc).split("\n", 1)[0] or type(exc).__name__
    log.log(level, "%s [request %s]: %s", problem.detail, request_id_of(request), cause)
    db = getattr(request.app.state, "db", None)
    if problem.status == 503 and problem.detail == UNAVAILABLE and db is not None:
        db.health.suspect()
    return problem_response(problem.status, problem.detail, headers=problem.headers)


async def _unstorable_text(_: Request, exc: Exception) -> JSON:
    log.info("unstorable text: %s", exc)
    return problem_response(422, "A text value holds characters that cannot be stored.")


async def _unhandled(request: Request, exc: Exception) -> JSON:
    log.error("unhandled error [request %s]", request_id_of(request), exc_info=exc)
    return problem_response(500, "An internal error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for kind in (sa_exc.SQLAlchemyError, OSError, OverflowError):
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(UnicodeError, _unstorable_text)
    app.add_exception_handler(Exception, _unhandled)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "content": {PROBLEM_CONTENT_TYPE: {}},
        "description": HTTPStatus(status).phrase,
    }
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}
