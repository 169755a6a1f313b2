"""Requests-per-minute limits: a fixed one-minute window per account (or client IP).

Windows are aligned to the wall-clock minute, so ``X-RateLimit-Reset`` is the Unix
second the current minute ends. Counters live in the server process: a restart
starts every window afresh, which errs on the side of the client. The daily
execution quota is different: it is counted in the database with each acceptance.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

WINDOW_S = 60


@dataclass(frozen=True, slots=True)
class RateStatus:
    """The state of one caller's window after counting a request."""

    limit: int
    remaining: int
    reset: int  # Unix seconds when the window ends
    allowed: bool

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, math.ceil(self.reset - now))

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for this status."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Counts requests per caller in fixed one-minute windows."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}  # identity -> (window start, count)
        self._lock = threading.Lock()
        self._last_prune = 0

    def hit(self, identity: str, limit: int, now: float) -> RateStatus:
        """Count one request of ``identity``; ``allowed`` is false once over ``limit``."""
        start = int(now // WINDOW_S) * WINDOW_S
        with self._lock:
            if start != self._last_prune:
                self._prune(start)
            window_start, count = self._windows.get(identity, (start, 0))
            if window_start != start:
                count = 0
            count += 1
            self._windows[identity] = (start, count)
        allowed = count <= limit
        return RateStatus(limit, max(0, limit - count), start + WINDOW_S, allowed)

    def _prune(self, start: int) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[0] == start}
        self._last_prune = start
