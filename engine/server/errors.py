"""The server's error hierarchy: every non-2xx answer is one of these.

Each error renders as ``{"error": {"type", "code", "message", ...context}}``
(DESIGN §5). ``type`` groups errors a client handles alike; ``code`` is stable and
specific; ``context`` carries machine-readable details (``violations``,
``retryAfter``, ``requiredCredits``...)::

    ApiError                         500 api_error            internal_error
    ├── InvalidRequestError          400 invalid_request_error invalid_request
    │   ├── UnprocessableError       422 invalid_request_error (invalid_body, invalid_inputs,
    │   │   │                                                   invalid_callback_url, ...)
    │   │   ├── InvalidWorkflow      422                       invalid_workflow + violations
    │   │   └── IdempotencyKeyReused 422                       idempotency_key_reused
    │   ├── PayloadTooLarge          413                       payload_too_large + limit
    │   └── UnsupportedMediaType     415                       unsupported_media_type
    ├── AuthenticationError          401 authentication_error  missing_api_key, invalid_api_key,
    │                                                          invalid_signature
    ├── InsufficientCredits          402 insufficient_credits  insufficient_credits + breakdown
    ├── NotFound                     404 not_found_error       <resource>_not_found
    ├── MethodNotAllowed             405 invalid_request_error method_not_allowed
    ├── Conflict                     409 conflict_error        idempotency_request_in_flight
    ├── Gone                         410 not_found_error       webhook_inactive
    ├── RateLimited                  429 rate_limit_error      rate_limited, daily_quota_exceeded
    └── ServiceUnavailable           503 api_error             server_busy
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class ApiError(Exception):
    """Base of every error the API answers with."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "api_error"
    default_code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.headers = dict(headers or {})
        self.context = context

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        error: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        error.update(self.context)
        return {"error": error}


class InvalidRequestError(ApiError):
    """The request is malformed."""

    status = 400
    type = "invalid_request_error"
    default_code = "invalid_request"


class UnprocessableError(InvalidRequestError):
    """The request is well-formed but its content is refused."""

    status = 422
    default_code = "invalid_body"


class InvalidWorkflow(UnprocessableError):
    """The workflow has violations (``context["violations"]`` lists every one)."""

    default_code = "invalid_workflow"


class IdempotencyKeyReused(UnprocessableError):
    """An ``Idempotency-Key`` was sent again with a different request body."""

    default_code = "idempotency_key_reused"


class PayloadTooLarge(InvalidRequestError):
    """The request body exceeds the configured limit (``context["limit"]`` bytes)."""

    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(InvalidRequestError):
    """The body's content type is not one this endpoint reads."""

    status = 415
    default_code = "unsupported_media_type"


class AuthenticationError(ApiError):
    """No key, an unknown or revoked key, or a bad webhook signature."""

    status = 401
    type = "authentication_error"
    default_code = "invalid_api_key"


class InsufficientCredits(ApiError):
    """The balance does not cover the run's estimate; nothing was charged or run."""

    status = 402
    type = "insufficient_credits"
    default_code = "insufficient_credits"

    def body(self) -> dict[str, Any]:
        """DESIGN §5 shows the figures beside ``error``; they are in both places."""
        body = super().body()
        for key in ("requiredCredits", "availableCredits", "breakdown"):
            if key in self.context:
                body[key] = self.context[key]
        return body


class NotFound(ApiError):
    """No such resource for this caller (another account's resources included)."""

    status = 404
    type = "not_found_error"
    default_code = "not_found"


class MethodNotAllowed(ApiError):
    """The path exists but not with this method."""

    status = 405
    type = "invalid_request_error"
    default_code = "method_not_allowed"


class Conflict(ApiError):
    """The same idempotent request is still being accepted."""

    status = 409
    type = "conflict_error"
    default_code = "idempotency_request_in_flight"


class Gone(ApiError):
    """A webhook that was unpublished or rotated."""

    status = 410
    type = "not_found_error"
    default_code = "webhook_inactive"


class RateLimited(ApiError):
    """Too many requests a minute, or the tier's daily executions are used up."""

    status = 429
    type = "rate_limit_error"
    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **context: Any) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(
            message,
            headers={"Retry-After": str(retry_after)},
            retryAfter=retry_after,
            **context,
        )


class ServiceUnavailable(ApiError):
    """Too many runs are waiting for a slot."""

    status = 503
    default_code = "server_busy"


# --- response models, for the OpenAPI document -------------------------------------


class ErrorDetail(BaseModel):
    """The ``error`` object; context fields vary by code and are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every non-2xx response body."""

    error: ErrorDetail


class CreditLine(BaseModel):
    """One node's line of a credit estimate."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    node_id: str = Field(alias="nodeId")
    node_label: str = Field(alias="nodeLabel")
    type: str
    credits: float


class InsufficientCreditsResponse(BaseModel):
    """The 402 body."""

    model_config = ConfigDict(populate_by_name=True)

    error: ErrorDetail
    required_credits: float = Field(alias="requiredCredits")
    available_credits: float = Field(alias="availableCredits")
    breakdown: list[CreditLine]


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or invalid API key",
    402: "Credits do not cover the estimate; nothing was charged or run",
    404: "Not found (or owned by another account)",
    409: "The same idempotent request is still being accepted",
    410: "The webhook was unpublished or rotated",
    413: "Request body too large",
    415: "Unsupported content type",
    422: "Invalid body, workflow (with violations) or inputs",
    429: "Rate limit or daily execution quota exceeded (see Retry-After)",
    503: "Too many runs waiting (see Retry-After)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses."""
    found: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model: type[BaseModel] = InsufficientCreditsResponse if status == 402 else ErrorResponse
        found[status] = {"model": model, "description": _DESCRIPTIONS[status]}
    return found


#: Statuses every API route can answer with (auth, limits, body size).
COMMON_ERRORS = (400, 401, 413, 422, 429)
