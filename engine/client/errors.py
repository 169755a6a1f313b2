"""Errors of the API client: every failure talking to a Patchbay server.

::

    ClientError(PatchbayError)        any failure talking to a Patchbay server
    ├── ServerUnreachable             connection refused / DNS / timeout, after retries
    │   └── StreamInterrupted         an event stream broke mid-way
    ├── ProtocolError                 an answer that is not the API's (not JSON, wrong shape)
    └── ApiError                      the server answered with an error body
        ├── AuthenticationFailed      401 (missing or invalid key, bad webhook signature)
        ├── InsufficientCredits       402 (required, available, per-node breakdown)
        ├── NotFoundError             404 and 410 (an unpublished or rotated webhook)
        ├── ConflictError             409
        ├── InvalidRequest            400/405/413/415/422 (violations, problems)
        ├── RateLimited               429 (retry_after, limit)
        └── ServerError               5xx

Messages never contain the API key: the client does not put it anywhere but the
``Authorization`` header, and scrubs it from whatever the server says.
"""

from __future__ import annotations

from typing import Any

from engine.client.models import parse_credit_lines, parse_violations
from engine.errors import PatchbayError


class ClientError(PatchbayError):
    """Any failure talking to a Patchbay server."""


class ServerUnreachable(ClientError):
    """The server could not be reached (or stopped answering), after the retries.

    ``url`` is the server's base URL; ``reason`` what went wrong the last time.
    """

    def __init__(self, message: str, *, url: str, reason: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason


class StreamInterrupted(ServerUnreachable):
    """An event stream broke before the server ended it (``follow`` reconnects)."""


class ProtocolError(ClientError):
    """The answer is not one the Patchbay API gives (not JSON, or the wrong shape)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ApiError(ClientError):
    """The server answered with an error body (``{"error": {type, code, message, ...}}``).

    ``body`` is the whole JSON answer; ``request_id`` the ``X-Request-Id`` to quote
    when reporting a problem.
    """

    def __init__(
        self,
        *,
        status: int,
        type: str,
        code: str,
        message: str,
        request_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.request_id = request_id
        self.body: dict[str, Any] = dict(body or {})
        super().__init__(self._describe())

    @property
    def detail(self) -> dict[str, Any]:
        """The ``error`` object of the body (context keys included)."""
        error = self.body.get("error")
        return error if isinstance(error, dict) else {}

    def _describe(self) -> str:
        where = f", request {self.request_id}" if self.request_id else ""
        return f"{self.message} (HTTP {self.status} {self.code}{where})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r})"


class AuthenticationFailed(ApiError):
    """401: the key is missing, unknown or revoked (or a webhook signature is bad)."""


class InsufficientCredits(ApiError):
    """402: the credits do not cover the run's estimate; nothing was charged or run."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        found = {**self.body, **self.detail}
        self.required = _float(found.get("requiredCredits"))
        self.available = _float(found.get("availableCredits"))
        self.breakdown = parse_credit_lines(found.get("breakdown"))


class NotFoundError(ApiError):
    """404, or 410 for a webhook that was unpublished or rotated (``code`` says which)."""


class ConflictError(ApiError):
    """409: the same idempotent request is still being accepted."""


class InvalidRequest(ApiError):
    """400/405/413/415/422: the request (workflow, inputs, body) was refused.

    ``violations`` are the workflow's problems (``invalid_workflow``), the same
    records the local validator returns; ``problems`` the input problems
    (``invalid_inputs``) as the server sent them.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.violations = parse_violations(self.detail.get("violations"))
        problems = self.detail.get("problems")
        self.problems: list[dict[str, Any]] = (
            [p for p in problems if isinstance(p, dict)] if isinstance(problems, list) else []
        )


class RateLimited(ApiError):
    """429: too many requests a minute, or the daily executions are used up.

    ``retry_after`` is how many seconds the server asked to wait; ``limit`` the
    limit that was hit, when the server said.
    """

    def __init__(self, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after
        limit = self.detail.get("limit")
        self.limit = limit if isinstance(limit, int) else None


class ServerError(ApiError):
    """5xx: the server (or a proxy in front of it) failed."""


def _float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
