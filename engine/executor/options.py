"""What a caller can ask of one run: scope, caching, budget, concurrency, timeouts, retries."""

from __future__ import annotations

import random
import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RetryPolicy(BaseModel):
    """Exponential backoff with jitter for transient node errors.

    Attempt ``n`` (1-based) that fails transiently is followed by a wait of
    ``initial_delay_s * multiplier ** (n - 1)``, capped at ``max_delay_s`` and spread
    by ``±jitter`` (a fraction), unless the error carries ``retry_after`` (a
    provider's ``Retry-After``), which is honoured as given. Only
    :class:`engine.errors.TransientNodeError` is retried; a node that exceeds the
    per-node timeout is retried only when ``retry_timeouts`` is set, because a node
    that hung once usually hangs again and each retry costs the whole timeout.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=3, ge=1, le=20)
    initial_delay_s: float = Field(default=1.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_delay_s: float = Field(default=30.0, ge=0)
    jitter: float = Field(default=0.2, ge=0, le=1)
    retry_timeouts: bool = False

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        base = min(self.initial_delay_s * self.multiplier ** max(attempt - 1, 0), self.max_delay_s)
        if self.jitter:
            base *= random.uniform(1.0 - self.jitter, 1.0 + self.jitter)
        return max(0.0, min(base, self.max_delay_s))


class RunScope(StrEnum):
    """Which nodes a run covers.

    ``ALL``: every node. ``FROM_NODE`` ("run from here"): the target and its
    descendants are re-run, and whatever they need upstream is taken from the cache
    (or run when not cached); branches unrelated to the target are left out.
    ``ONLY_NODE`` ("run only this node"): the target is re-run and only its
    ancestors are included, from the cache when possible.
    """

    ALL = "all"
    FROM_NODE = "from_node"
    ONLY_NODE = "only_node"


def new_execution_id() -> str:
    """A fresh, unguessable execution id (128 random bits, hex)."""
    return uuid.uuid4().hex


class RunOptions(BaseModel):
    """Options of one run.

    ``inputs`` map workflow input names (``input.*`` nodes) to values.
    ``use_cache=False`` forces every node to re-run (its results still refresh the
    cache). ``preview`` runs hosted nodes offline and charges them nothing.
    ``budget`` is the credits available: a run whose estimate exceeds it is refused
    before anything runs, and no unit of work starts once it would overspend.
    ``node_timeout_s`` bounds each attempt of each node (or batch item); ``None``
    disables it. ``max_concurrency`` bounds node runs (batch items included) in flight.
    ``execution_id`` names the run (the server passes its own); a fresh one is made
    for each run when it is ``None``, so one options object can start many runs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    inputs: dict[str, Any] = Field(default_factory=dict)
    scope: RunScope = RunScope.ALL
    target_node_id: str | None = None
    use_cache: bool = True
    preview: bool = False
    budget: float | None = Field(default=None, ge=0)
    max_concurrency: int = Field(default=8, ge=1, le=1024)
    node_timeout_s: float | None = Field(default=900.0, gt=0)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    execution_id: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _target_matches_scope(self) -> RunOptions:
        if self.scope != RunScope.ALL and not self.target_node_id:
            raise ValueError(f"scope {self.scope.value!r} needs a target_node_id")
        return self
