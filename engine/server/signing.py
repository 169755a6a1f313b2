"""HMAC-SHA256 signatures of callback deliveries and signed webhook triggers.

The header is ``Patchbay-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
``HMAC-SHA256(secret, f"{t}." + body)``, the scheme Stripe made familiar: the
timestamp is signed with the body so a captured request cannot be replayed later
than ``tolerance_s``. To verify, recompute the HMAC over the exact bytes received
and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Patchbay-Signature"
DEFAULT_TOLERANCE_S = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC of ``body`` at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of a ``Patchbay-Signature`` header for ``body``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """Whether ``header`` is a valid, fresh signature of ``body``."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))
