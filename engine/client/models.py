"""What the API answers, as frozen models (camelCase on the wire), and the retry policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from engine.executor.events import ExecutionState, NodeErrorInfo, NodeState
from engine.validation import Violation
from engine.workflow import Workflow

log = logging.getLogger(__name__)


def parse_violations(raw: Any) -> list[Violation]:
    """Violations from JSON; entries this engine cannot read (unknown codes) are left out."""
    found: list[Violation] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            found.append(Violation.model_validate(item))
        except ValidationError:
            log.debug("ignoring a violation this client cannot read: %r", item)
    return found


def parse_credit_lines(raw: Any) -> list[CreditLine]:
    """Credit lines from JSON; unreadable entries are left out."""
    found: list[CreditLine] = []
    for item in raw if isinstance(raw, list) else []:
        try:
            found.append(CreditLine.model_validate(item))
        except ValidationError:
            log.debug("ignoring a credit line this client cannot read: %r", item)
    return found


class _Answer(BaseModel):
    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, populate_by_name=True, extra="ignore"
    )


class CreditLine(_Answer):
    """One node's line of a credit estimate (or of a 402's breakdown)."""

    node_id: str
    node_label: str
    type: str
    credits: float
    preview: bool = False


class AccountCredits(_Answer):
    """Credits: ``balance`` posted, ``reserved`` by running executions, ``available``."""

    balance: float
    reserved: float
    available: float


class AccountUsage(_Answer):
    """Today's usage (UTC day); ``executions_remaining`` is ``None`` when unlimited."""

    day: str
    executions: int
    executions_remaining: int | None = None
    credits_charged: float = 0.0
    running: int = 0


class Account(_Answer):
    """The key's account: tier, limits (``None``: unlimited), credits and usage.

    ``callback_signing_secret`` verifies the server's callbacks; it is left out of
    the model's ``repr``.
    """

    id: str
    name: str
    tier: str
    credits: AccountCredits
    usage: AccountUsage
    executions_per_day: int | None = None
    requests_per_minute: int
    key_prefix: str
    callback_signing_secret: str | None = Field(default=None, repr=False)

    @model_validator(mode="before")
    @classmethod
    def _flatten_limits(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("limits"), dict):
            data = {**data, **data["limits"]}
        return data


class WorkflowSummary(_Answer):
    """A stored workflow without its document."""

    id: str
    name: str
    version: int
    created_at: float
    updated_at: float
    node_count: int
    edge_count: int
    published: bool
    webhook_id: str | None = None
    webhook_url: str | None = None


class StoredWorkflow(WorkflowSummary):
    """A stored workflow with its document and the server validator's warnings."""

    workflow: Workflow
    warnings: list[Violation] = Field(default_factory=list)

    @field_validator("warnings", mode="before")
    @classmethod
    def _known_violations(cls, value: Any) -> Any:
        return parse_violations(value)


class WorkflowPage(_Answer):
    """One page of the account's workflows; ``next_offset`` is ``None`` on the last."""

    items: list[WorkflowSummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None


class Estimate(_Answer):
    """A run's per-node credit estimate and whether the available credits cover it."""

    required_credits: float
    available_credits: float
    sufficient: bool
    preview: bool = False
    breakdown: list[CreditLine] = Field(default_factory=list)


class Accepted(_Answer):
    """An accepted run (execute or webhook trigger).

    ``replayed`` is true when the server answered an ``Idempotency-Key`` it had
    already accepted: the run is the original one, not a new one.
    """

    execution_id: str
    status: ExecutionState
    poll_url: str
    events_url: str
    record_url: str
    estimated_credits: float = 0.0
    replayed: bool = False


class PollNode(_Answer):
    """One node in a poll answer."""

    node_id: str
    status: NodeState
    progress: float | None = None
    error: NodeErrorInfo | None = None


class PollStatus(_Answer):
    """The cheap status of a run: RUNNING until COMPLETED, FAILED or CANCELLED."""

    execution_id: str
    status: ExecutionState
    progress: float = 0.0
    nodes: list[PollNode] = Field(default_factory=list)
    outputs: dict[str, Any] | None = None
    error: str | None = None


class Publication(_Answer):
    """A published workflow's webhook. ``signing_secret`` is given once (signed hooks)."""

    workflow_id: str
    webhook_id: str
    webhook_url: str
    signed: bool = False
    signing_secret: str | None = Field(default=None, repr=False)


class WebhookState(_Answer):
    """Whether a webhook URL triggers runs (``active`` is false once unpublished or rotated)."""

    webhook_id: str
    active: bool
    signed: bool = False


class WaitReason(StrEnum):
    """Why the client is waiting before trying again."""

    RATE_LIMITED = "rate_limited"  # 429: the server's Retry-After
    SERVER_BUSY = "server_busy"  # 503 server_busy, or 409 while the same request is accepted
    RECONNECTING = "reconnecting"  # connection lost, 502/504, or a dropped event stream


@dataclass(frozen=True, slots=True)
class WaitNotice:
    """Told to ``on_wait`` before each wait: what, how long, and which attempt comes next.

    ``message`` is a sentence for a status bar, e.g. "Rate limited by the server:
    waiting 12 s (attempt 2 of 5)".
    """

    reason: WaitReason
    seconds: float
    attempt: int
    message: str
    attempts: int = 0


class ClientRetry(BaseModel):
    """How the client retries and polls.

    ``attempts`` bounds the tries of one request (the first included).
    Connection failures wait ``initial_backoff_s`` doubling up to ``max_backoff_s``,
    spread by ``±jitter``. A 429 or 503 is waited out for its ``Retry-After`` when
    that is at most ``max_wait_s``. Polling waits ``poll_initial_s`` doubling up to
    ``poll_max_s``, back to ``poll_initial_s`` whenever something changed.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=5, ge=1, le=100)
    initial_backoff_s: float = Field(default=1.0, ge=0)
    max_backoff_s: float = Field(default=30.0, ge=0)
    max_wait_s: float = Field(default=120.0, ge=0)
    poll_initial_s: float = Field(default=1.0, gt=0)
    poll_max_s: float = Field(default=10.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1)

    def backoff(self, failures: int, rand: float = 0.5) -> float:
        """Seconds to wait after ``failures`` consecutive failures (``rand`` in [0, 1))."""
        base = min(self.initial_backoff_s * 2.0 ** max(failures - 1, 0), self.max_backoff_s)
        spread = 1.0 + self.jitter * (2.0 * rand - 1.0)
        return max(0.0, min(base * spread, self.max_backoff_s))

    def next_poll(self, previous: float | None, changed: bool) -> float:
        """The next poll delay: the first one (or after a change) then doubling, capped."""
        if previous is None or changed:
            return min(self.poll_initial_s, self.poll_max_s)
        return min(previous * 2.0, self.poll_max_s)
