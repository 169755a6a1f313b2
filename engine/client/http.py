"""One place where requests are sent, retried and turned into answers or errors.

Retries, for every request of :class:`~engine.client.PatchbayClient`:

- a connection that could not be made (refused, DNS, connect or pool timeout) is
  retried for every request, with backoff (``initial_backoff_s`` doubling, jitter,
  capped), then :class:`ServerUnreachable`;
- a connection lost after the request was sent (read or write error or timeout)
  is retried only for a *repeatable* request (reads, and POSTs that carry an
  ``Idempotency-Key`` or are idempotent on the server); otherwise
  ``ServerUnreachable`` says the request may or may not have been carried out;
- 429 waits ``Retry-After`` when it is at most ``max_wait_s`` (else
  :class:`RateLimited` at once); 503 ``server_busy`` and 409
  ``idempotency_request_in_flight`` wait ``Retry-After`` too;
- 502 and 504 are retried with backoff for repeatable requests;
- everything else is raised at once as the matching :class:`ApiError`.

``on_wait`` hears of each wait before it starts. The API key only ever goes into
the ``Authorization`` header of requests to the server's own API.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

import engine
from engine.client.errors import (
    ApiError,
    AuthenticationFailed,
    ClientError,
    ConflictError,
    InsufficientCredits,
    InvalidRequest,
    NotFoundError,
    ProtocolError,
    RateLimited,
    ServerError,
    ServerUnreachable,
)
from engine.client.models import ClientRetry, WaitNotice, WaitReason

log = logging.getLogger("engine.client")

#: Failures that happen before a request leaves this machine: always safe to retry.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationFailed,
    402: InsufficientCredits,
    404: NotFoundError,
    405: InvalidRequest,
    409: ConflictError,
    410: NotFoundError,
    413: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}

#: A webhook id is a capability (whoever knows it can trigger runs): kept out of logs.
_WEBHOOK_ID = re.compile(r"(/workflow/)[^/]+/")

_WAIT_TEXT = {
    WaitReason.RATE_LIMITED: "Rate limited by the server",
    WaitReason.SERVER_BUSY: "The server is busy",
    WaitReason.RECONNECTING: "Connection to the server lost, reconnecting",
}


@dataclass(frozen=True, slots=True)
class Call:
    """One API request. ``url`` is a path under the base URL, or an absolute URL.

    ``repeatable``: sending it twice does no harm (it may be retried after the
    connection was lost once it had been sent). ``authenticated``: send the key.
    """

    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    authenticated: bool = True
    repeatable: bool = False
    timeout: httpx.Timeout | None = None


class Http:
    """Sends :class:`Call` s with the retry policy; owns the ``httpx.AsyncClient``."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float,
        retry: ClientRetry,
        on_wait: Callable[[WaitNotice], None] | None,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.base_url = base_url
        self.display_url = str(httpx.URL(base_url).copy_with(username=None, password=None))
        self.retry = retry
        self.on_wait = on_wait
        self.sleep = sleep
        self._key = api_key
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"patchbay-client/{engine.__version__}"},
        )

    @property
    def has_key(self) -> bool:
        """Whether requests to the API are authenticated."""
        return bool(self._key)

    async def aclose(self) -> None:
        """Close the connections (and the transport)."""
        await self._client.aclose()

    async def json(self, call: Call) -> tuple[Any, httpx.Response]:
        """Send ``call`` and parse its JSON answer (``ProtocolError`` when it is not JSON)."""
        response = await self.send(call)
        try:
            return response.json(), response
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProtocolError(
                f"{self.display_url} answered {call.method} {safe_path(call.url)} with something "
                "that is not JSON: is this a Patchbay server?",
                status=response.status_code,
            ) from None

    async def send(self, call: Call, *, stream: bool = False) -> httpx.Response:
        """A successful response (opened for streaming when ``stream``), after retries."""
        attempts = self.retry.attempts
        failures = 0
        attempt = 0
        while True:
            attempt += 1
            request = self._build(call)
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.TransportError as exc:
                sent = not isinstance(exc, _NOT_SENT)
                if (
                    isinstance(exc, httpx.UnsupportedProtocol)
                    or attempt >= attempts
                    or (sent and not call.repeatable)
                ):
                    raise self._unreachable(exc, attempt, sent and not call.repeatable) from None
                failures += 1
                log.info("%s %s: %s", call.method, safe_path(call.url), _reason(exc))
                await self.wait(
                    WaitReason.RECONNECTING, self.retry.backoff(failures, random.random()), attempt
                )
                continue
            log.debug("%s %s -> %d", call.method, safe_path(call.url), response.status_code)
            if response.is_success:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            error = self.error_of(response)
            reason, delay = self._retry_delay(call, response, error, failures + 1)
            if reason is None or attempt >= attempts:
                raise error
            if reason is WaitReason.RECONNECTING:
                failures += 1
            await self.wait(reason, delay, attempt)

    async def wait(self, reason: WaitReason, seconds: float, attempt: int) -> None:
        """Tell ``on_wait`` (``attempt`` is the one that failed), then sleep."""
        following = attempt + 1
        total = self.retry.attempts
        notice = WaitNotice(
            reason=reason,
            seconds=seconds,
            attempt=following,
            message=f"{_WAIT_TEXT[reason]}: waiting {_seconds(seconds)} "
            f"(attempt {following} of {total})",
            attempts=total,
        )
        if self.on_wait is not None:
            try:
                self.on_wait(notice)
            except Exception:
                log.exception("on_wait raised; ignored")
        await self.sleep(seconds)

    def error_of(self, response: httpx.Response) -> ClientError:
        """The error an unsuccessful response stands for."""
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(error, dict):
            if status >= 500:
                return ServerError(
                    status=status,
                    type="api_error",
                    code=f"http_{status}",
                    message=f"the server answered HTTP {status} {response.reason_phrase}",
                    request_id=request_id,
                )
            return ProtocolError(
                f"{self.display_url} answered HTTP {status} without a Patchbay error body: "
                "is this a Patchbay server?",
                status=status,
            )
        kwargs: dict[str, Any] = {
            "status": status,
            "type": str(error.get("type", "")),
            "code": str(error.get("code", "")),
            "message": self._scrub(str(error.get("message", ""))),
            "request_id": request_id,
            "body": body,
        }
        cls = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
        if cls is RateLimited:
            return RateLimited(retry_after=_retry_after(response, error) or 1.0, **kwargs)
        return cls(**kwargs)

    def _retry_delay(
        self, call: Call, response: httpx.Response, error: ClientError, failures: int
    ) -> tuple[WaitReason | None, float]:
        status = response.status_code
        code = error.code if isinstance(error, ApiError) else ""
        detail = error.detail if isinstance(error, ApiError) else {}
        after = _retry_after(response, detail)
        if status == 429:
            seconds = after if after is not None else 1.0
            fits = seconds <= self.retry.max_wait_s
            return (WaitReason.RATE_LIMITED if fits else None), seconds
        if (status == 503 and (code == "server_busy" or after is not None)) or (
            status == 409 and code == "idempotency_request_in_flight"
        ):
            seconds = after if after is not None else (5.0 if status == 503 else 1.0)
            fits = seconds <= self.retry.max_wait_s
            return (WaitReason.SERVER_BUSY if fits else None), seconds
        if status in (502, 503, 504) and call.repeatable:
            return WaitReason.RECONNECTING, self.retry.backoff(failures, random.random())
        return None, 0.0

    def _build(self, call: Call) -> httpx.Request:
        headers = dict(call.headers)
        if call.authenticated and self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        extra: dict[str, Any] = {}
        if call.json is not None:
            extra["json"] = call.json
        if call.content is not None:
            extra["content"] = call.content
        if call.timeout is not None:
            extra["timeout"] = call.timeout
        return self._client.build_request(
            call.method, call.url, params=call.params, headers=headers, **extra
        )

    def _unreachable(self, exc: Exception, attempts: int, maybe_done: bool) -> ServerUnreachable:
        reason = self._scrub(_reason(exc))
        if maybe_done:
            message = (
                f"the connection to {self.display_url} was lost after the request was sent "
                f"({reason}); it may or may not have been carried out"
            )
        else:
            tries = f" (after {attempts} attempts)" if attempts > 1 else ""
            message = f"cannot reach the Patchbay server at {self.display_url}: {reason}{tries}"
        return ServerUnreachable(message, url=self.display_url, reason=reason)

    def _scrub(self, text: str) -> str:
        return text.replace(self._key, "[redacted]") if self._key else text


def _retry_after(response: httpx.Response, detail: Mapping[str, Any]) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), else the body's ``retryAfter``."""
    header = response.headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    value = detail.get("retryAfter")
    return float(value) if isinstance(value, int | float) else None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def safe_path(url: str) -> str:
    """A URL for logs and messages: the path only, without a query or webhook id."""
    return _WEBHOOK_ID.sub(r"\1…/", httpx.URL(url).path)


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 or value == int(value) else f"{value:.1f} s"
