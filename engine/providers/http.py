"""HTTP plumbing shared by every provider adapter.

- :class:`Redactor` scrubs API keys out of any text before it can reach an
  exception message, an error's details or a log record.
- :func:`error_for_status` maps an HTTP error response to the engine's error
  classes: 401/403 (bad key), 402 (billing) and other 4xx (validation, bad request)
  are :class:`PermanentNodeError`; 408/425/429 and 5xx are
  :class:`TransientNodeError` (429 carries ``retry_after`` from ``Retry-After``).
- :func:`error_for_transport` maps timeouts and connection failures to
  :class:`TransientNodeError`.
- :func:`describe_body` pulls the provider's own message out of the error body
  shapes providers use (FastAPI ``detail``, RFC 7807 problem details, OpenAI
  ``error.message`` …).
- :class:`PollPolicy`: exponential backoff between status polls.

Every message built here is redacted and cut to :data:`MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from engine.errors import NodeError, PermanentNodeError, TransientNodeError

__all__ = [
    "FAST_POLL",
    "MESSAGE_LIMIT",
    "PollPolicy",
    "Redactor",
    "describe_body",
    "error_for_status",
    "error_for_transport",
    "excerpt",
    "looks_like_moderation",
    "parse_retry_after",
    "read_json",
]

#: Provider messages are cut to this many characters.
MESSAGE_LIMIT = 500
#: A ``Retry-After`` longer than this (seconds) is capped: waiting longer inside a
#: node run helps nobody; the executor's retry gives up and the user sees the 429.
MAX_RETRY_AFTER_S = 300.0
_REDACTED = "[redacted]"
_MODERATION_WORDS = (
    "nsfw",
    "content policy",
    "content_policy",
    "flagged",
    "moderation",
    "safety system",
    "sensitive",
    "unsafe content",
)


class Redactor:
    """Replaces every secret (and each long ``:``-separated part of one) with ``[redacted]``.

    fal keys are ``key_id:key_secret``; either half alone is still a secret, so
    the parts are scrubbed too (parts shorter than 8 characters are not, to keep
    ordinary words intact).
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        needles: set[str] = set()
        for secret in secrets:
            if not secret:
                continue
            if len(secret) >= 4:
                needles.add(secret)
            needles.update(part for part in secret.split(":") if len(part) >= 8)
        # Longest first, so a whole key is replaced before its parts.
        self._needles = sorted(needles, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, _REDACTED)
        return text

    def value(self, data: Any) -> Any:
        """``data`` (JSON-like) with every string redacted."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, Mapping):
            return {str(k): self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data


def excerpt(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_body(body: Any, fallback: str = "") -> str:
    """The provider's human-readable message in an error body (unredacted, uncut)."""
    if isinstance(body, str):
        return body.strip() or fallback
    if isinstance(body, list):  # fal model errors may come as a bare list
        parts = [describe_body(item) for item in body[:5]]
        return "; ".join(p for p in parts if p) or fallback
    if not isinstance(body, Mapping):
        return fallback
    if "msg" in body and isinstance(body["msg"], str):  # one FastAPI/fal error object
        loc = body.get("loc")
        field = str(loc[-1]) if isinstance(loc, list) and loc else ""
        return f"{field}: {body['msg']}" if field and field != "body" else body["msg"]
    detail = body.get("detail")
    title = body.get("title")
    if isinstance(detail, str) and detail.strip():
        if isinstance(title, str) and title.strip() and title.strip() not in detail:
            return f"{title.strip()}: {detail.strip()}"
        return detail.strip()
    if isinstance(detail, list | Mapping):
        described = describe_body(detail)
        if described:
            return described
    error = body.get("error")
    if isinstance(error, str) and error.strip():
        return error.strip()
    if isinstance(error, Mapping):
        described = describe_body(error)
        if described:
            return described
    for key in ("message", "title", "error_message", "reason"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return fallback


def looks_like_moderation(text: str) -> bool:
    """Whether a provider message reads like a content-moderation refusal."""
    lowered = text.lower()
    return any(word in lowered for word in _MODERATION_WORDS)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def read_json(response: httpx.Response) -> Any:
    """The response body as JSON, or its text when it is not JSON (``None`` if empty)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def error_for_status(
    response: httpx.Response,
    *,
    provider: str,
    redact: Redactor,
    credential: str | None = None,
    details: Mapping[str, object] | None = None,
    prefix: str = "",
) -> NodeError:
    """The engine error for an HTTP error ``response`` from ``provider``.

    ``prefix`` starts the message (e.g. ``"downloading the output: "``).
    """
    status = response.status_code
    body = read_json(response)
    said = excerpt(redact(describe_body(body, response.reason_phrase or f"HTTP {status}")))
    provider_label = provider
    provider = f"{prefix}{provider}"
    extra: dict[str, object] = {"provider": provider_label, "status": status, **(details or {})}
    if status in (401, 403):
        key = f" ({credential})" if credential else ""
        return PermanentNodeError(
            f"{provider} rejected the API key{key} (HTTP {status}): {said}",
            details={**extra, "code": "auth"},
        )
    if status == 402:
        return PermanentNodeError(
            f"{provider} refused the request for billing reasons (HTTP 402): {said}",
            details={**extra, "code": "billing"},
        )
    if status in (408, 425, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        label = "rate limited" if status == 429 else "temporarily unavailable"
        return TransientNodeError(
            f"{provider} is {label} (HTTP {status}): {said}",
            retry_after=retry_after,
            details={**extra, "code": "rate_limited" if status == 429 else "unavailable"},
        )
    code = "moderation" if looks_like_moderation(said) else "invalid_request"
    verb = "refused the request" if code == "moderation" else "rejected the request"
    return PermanentNodeError(
        f"{provider} {verb} (HTTP {status}): {said}", details={**extra, "code": code}
    )


def error_for_transport(exc: httpx.TransportError, *, provider: str, redact: Redactor) -> NodeError:
    """A timeout or connection failure talking to ``provider``: always transient."""
    if isinstance(exc, httpx.TimeoutException):
        what = "timed out"
        code = "timeout"
    else:
        what = "could not be reached"
        code = "connection"
    reason = redact(str(exc)) or type(exc).__name__
    return TransientNodeError(
        f"{provider} {what}: {excerpt(reason, 200)}",
        details={"provider": provider, "code": code, "error": type(exc).__name__},
    )


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Backoff between status polls of an asynchronous job.

    Waits ``initial_s``, then multiplies by ``multiplier`` up to ``max_s``.
    ``max_poll_errors`` transient failures of a status poll in a row are tolerated
    (the job is still running on the provider's side; resubmitting would pay twice).
    """

    initial_s: float = 0.5
    max_s: float = 5.0
    multiplier: float = 1.6
    max_poll_errors: int = 3

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.max_s < 0 or self.multiplier < 1:
            raise ValueError("poll delays must be >= 0 and the multiplier >= 1")

    def delays(self) -> Iterator[float]:
        """The successive waits between polls (endless)."""
        delay = self.initial_s
        while True:
            yield min(delay, self.max_s)
            delay = min(delay * self.multiplier, self.max_s)


#: Fast polling for tests against local protocol doubles.
FAST_POLL = PollPolicy(initial_s=0.005, max_s=0.02, multiplier=2.0)
