"""Turning errors into responses: the one place the error JSON is written."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.server.errors import (
    ApiError,
    InvalidRequestError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnprocessableError,
)

log = logging.getLogger("engine.server")


def error_response(error: ApiError, status: int | None = None) -> JSONResponse:
    """The JSON response of an API error (its headers included)."""
    return JSONResponse(
        error.body(), status_code=status or error.status, headers=error.headers or None
    )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Handler for :class:`ApiError`."""
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """FastAPI's request validation errors, in the API's error format."""
    assert isinstance(exc, RequestValidationError)
    details = [
        {
            "field": ".".join(str(p) for p in error.get("loc", ())),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors()[:20]
    ]
    where = details[0]["field"] if details else "request"
    message = f"invalid request: {where}: {details[0]['message']}" if details else "invalid request"
    return error_response(UnprocessableError(message, code="invalid_body", details=details))


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors (unknown route, wrong method, body too large...)."""
    assert isinstance(exc, StarletteHTTPException)
    error: ApiError
    status: int | None = None
    if exc.status_code == 404:
        error = NotFound(f"no route {request.url.path}", code="route_not_found")
    elif exc.status_code == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif exc.status_code == 413:
        limit: Any = request.scope.get("state", {}).get("body_limit")
        error = PayloadTooLarge(f"the request body exceeds {limit} bytes", limit=limit)
    elif exc.status_code == 400:
        error = InvalidRequestError(str(exc.detail or "malformed request"))
    else:
        error = ApiError(str(exc.detail or "error"), code=f"http_{exc.status_code}")
        status = exc.status_code
    headers = dict(exc.headers or {})
    headers.update(error.headers)
    error.headers = headers
    return error_response(error, status)
