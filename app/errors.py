"""One error family, rendered as RFC 9457 problem+json by one set of handlers."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .responses import JSON

log = logging.getLogger("geonews.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://geonews.dev/problems/"


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """The RFC 9457 problem document every error response carries."""

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemError] | None = None


class AppError(Exception):
    status: int = 400
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class BadRequest(AppError):
    status, slug = 400, "bad-request"


class Unauthorized(AppError):
    status, slug = 401, "unauthorized"


class Forbidden(AppError):
    status, slug = 403, "forbidden"


class NotFound(AppError):
    status, slug = 404, "not-found"


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


class ServiceUnavailable(AppError):
    status, slug = 503, "service-unavailable"


_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    503: "service-unavailable",
}


def problem_body(
    status: int, detail: str | None = None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + _SLUGS.get(status, "error"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSON:
    return JSON(
        problem_body(status, detail, errors),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _clean_loc(loc: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"loc": _clean_loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors()]


async def _app_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, AppError)
    return problem_response(exc.status, exc.detail, exc.errors, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    errors = _validation_errors(exc)
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(400, "The request body is not valid JSON.", errors)
    places = {str(e.get("loc", ("",))[0]) for e in raw}
    if places and places <= {"path"}:
        return problem_response(404, "No such resource.", errors)
    if "body" in places:
        return problem_response(422, "The request body is invalid.", errors)
    return problem_response(400, "A request parameter is invalid.", errors)


async def _http_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No route matches this path."
    if exc.status_code == 405:
        detail = "This method is not allowed on this path."
    return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))


async def _integrity_error(_: Request, exc: Exception) -> JSON:
    log.info("integrity conflict: %s", exc)
    return problem_response(409, "The request conflicts with stored data (a unique value is already taken).")


async def _data_error(_: Request, exc: Exception) -> JSON:
    log.info("data error: %s", exc)
    return problem_response(422, "A value is out of range or too long for its field.")


async def _db_error(_: Request, exc: Exception) -> JSON:
    log.warning("database unavailable: %s", exc)
    return problem_response(
        503, "The database is unavailable; try again shortly.", headers={"Retry-After": "1"}
    )


async def _unhandled(_: Request, exc: Exception) -> JSON:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, "An internal error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(OverflowError, _data_error)
    app.add_exception_handler(OperationalError, _db_error)
    app.add_exception_handler(InterfaceError, _db_error)
    app.add_exception_handler(ConnectionRefusedError, _db_error)
    app.add_exception_handler(Exception, _unhandled)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "content": {PROBLEM_CONTENT_TYPE: {}},
        "description": HTTPStatus(status).phrase,
    }
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 503)
}
