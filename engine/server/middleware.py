"""The gateway every HTTP request passes: request id, rate limit, body size, last resort.

A plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``) so it wraps
streamed responses (server-sent events) and costs little per request. It

- gives each request an ``X-Request-Id`` (a well-formed client-supplied one is kept);
- finds who the request counts against: the account of a valid Bearer key, the
  owner of the webhook a trigger names, else the client's IP; counts it in that
  caller's one-minute window and answers 429 with ``Retry-After`` when over it;
- refuses bodies over the configured size: at once from ``Content-Length``, and
  while streaming by counting bytes (for chunked uploads);
- adds ``X-Request-Id`` and ``X-RateLimit-*`` to every response, errors included;
- turns an unexpected exception into a 500 in the API's error format.

The principal and webhook it looked up are left in ``scope["state"]`` for the
routes, so a request costs one key lookup.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.server.auth import bearer_token, hash_key
from engine.server.errors import ApiError, PayloadTooLarge, RateLimited
from engine.server.ratelimit import RateLimiter
from engine.server.responses import error_response
from engine.server.settings import ServerConfig
from engine.server.storage import Storage

log = logging.getLogger("engine.server")

_TRIGGER_PATH = re.compile(r"^/workflow/([^/]+)/trigger/?$")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class GatewayMiddleware:
    """See the module docstring."""

    def __init__(
        self, app: ASGIApp, *, storage: Storage, config: ServerConfig, limiter: RateLimiter
    ) -> None:
        self.app = app
        self.storage = storage
        self.config = config
        self.limiter = limiter
        self._prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        supplied = headers.get("x-request-id", "")
        if _CLIENT_REQUEST_ID.match(supplied):
            request_id = supplied
        else:  # unique across processes (random prefix) and cheap (a counter)
            request_id = f"req_{self._prefix}{next(self._counter):08x}"
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id

        now = time.time()
        identity, limit = self._identify(scope, headers, state)
        rate = self.limiter.hit(identity, limit, now)
        state["rate"] = rate
        extra = [(b"x-request-id", request_id.encode())] + [
            (k.lower().encode(), v.encode()) for k, v in rate.headers().items()
        ]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                own = [(k, v) for k, v in message.get("headers", []) if k not in _OURS]
                message = {**message, "headers": own + extra}
            await send(message)

        if not rate.allowed:
            error: ApiError = RateLimited(
                f"rate limit of {limit} requests a minute exceeded",
                retry_after=rate.retry_after(now),
                limit=limit,
            )
            await error_response(error)(scope, receive, send_with_headers)
            return

        body_limit = self._body_limit(scope, headers)
        state["body_limit"] = body_limit
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > body_limit:
            error = PayloadTooLarge(
                f"the request body is {declared} bytes; at most {body_limit} are accepted",
                limit=body_limit,
            )
            await error_response(error)(scope, receive, send_with_headers)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > body_limit:
                    raise StarletteHTTPException(413)
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            if isinstance(exc, StarletteHTTPException) and exc.status_code == 413:
                error = PayloadTooLarge(
                    f"the request body exceeds {body_limit} bytes", limit=body_limit
                )
            else:
                log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
                error = ApiError(f"internal error; quote request id {request_id}")
            await error_response(error)(scope, receive, send_with_headers)

    def _identify(
        self, scope: Scope, headers: dict[str, str], state: dict[str, Any]
    ) -> tuple[str, int]:
        match = _TRIGGER_PATH.match(scope.get("path", ""))
        if match:
            found = self.storage.webhook_with_owner(match.group(1))
            state["webhook"] = found[0] if found else None
            if found is not None:
                account = found[1]
                state["webhook_account"] = account
                limits = self.config.tier(account.tier)
                return f"acct:{account.id}", limits.requests_per_minute
        else:
            token = bearer_token(headers.get("authorization"))
            if token is not None:
                principal = self.storage.authenticate(hash_key(token))
                state["principal"] = principal
                if principal is not None:
                    limits = self.config.tier(principal.account.tier)
                    return f"acct:{principal.account.id}", limits.requests_per_minute
        client = scope.get("client")
        host = client[0] if client else "unknown"
        return f"ip:{host}", self.config.anonymous.requests_per_minute

    def _body_limit(self, scope: Scope, headers: dict[str, str]) -> int:
        limits = self.config.limits
        if _TRIGGER_PATH.match(scope.get("path", "")):
            if headers.get("content-type", "").lower().startswith("multipart/"):
                return limits.max_webhook_multipart_bytes
            return limits.max_webhook_body_bytes
        return limits.max_body_bytes


_OURS = frozenset(
    {b"x-request-id", b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset"}
)


_WANTED = frozenset({b"authorization", b"content-length", b"content-type", b"x-request-id"})


def _headers(scope: Scope) -> dict[str, str]:
    """The few request headers the gateway reads (ASGI servers send names lowercase)."""
    found: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        if key in _WANTED:
            found[key.decode("latin-1")] = value.decode("latin-1")
    return found
