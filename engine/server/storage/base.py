"""The storage interface of the server, and the records it returns.

:class:`Storage` is a :class:`typing.Protocol`: the SQLite backend
(:mod:`engine.server.storage.sqlite`) is the default and a PostgreSQL backend can
implement the same methods. Every method is synchronous and short; a method that
changes several tables does so in one transaction, which is what keeps the ledger,
the idempotency records and the executions consistent across a crash.

Credits are stored as integer micro-credits (``MICRO`` per credit) so the ledger
sums exactly; the records expose them as floats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol

from engine.server.settings import Tier

#: Micro-credits per credit.
MICRO = 1_000_000


def to_micro(credits: float) -> int:
    """Credits as integer micro-credits (rounded to the nearest)."""
    return round(credits * MICRO)


def from_micro(micro: int) -> float:
    """Integer micro-credits as credits."""
    return round(micro / MICRO, 6)


@dataclass(frozen=True, slots=True)
class Account:
    """A customer: its tier and its posted credit balance."""

    id: str
    name: str
    tier: Tier
    balance_micro: int
    created_at: float
    callback_secret: str

    @property
    def balance(self) -> float:
        """Posted balance in credits (reservations of running executions not deducted)."""
        return from_micro(self.balance_micro)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key's stored description; the key itself is never stored."""

    id: str
    account_id: str
    name: str
    prefix: str
    created_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: the account and the key it presented."""

    account: Account
    key: ApiKey


@dataclass(frozen=True)
class StoredWorkflow:
    """A workflow document owned by one account.

    ``document_text`` is the JSON as stored; ``document`` parses it on first use
    (a run of an unchanged, already validated workflow never needs to).
    """

    id: str
    account_id: str
    name: str
    document_text: str
    version: int
    created_at: float
    updated_at: float
    webhook_id: str | None = None

    @cached_property
    def document(self) -> dict[str, Any]:
        """The workflow document."""
        document: dict[str, Any] = json.loads(self.document_text)
        return document


@dataclass(frozen=True, slots=True)
class Webhook:
    """A published workflow's trigger. Rotation deactivates the old id."""

    id: str
    workflow_id: str
    account_id: str
    secret: str | None
    active: bool
    created_at: float
    deactivated_at: float | None = None


class CallbackState(StrEnum):
    """Delivery state of an execution's ``callbackUrl``."""

    NONE = "none"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StoredExecution:
    """An execution as stored: its request, its latest record and its bookkeeping.

    ``record`` is the last snapshot of the engine's execution record (camelCase
    JSON); ``request`` holds what the run was started with (inputs, scope...).
    """

    id: str
    account_id: str
    workflow_id: str
    webhook_id: str | None
    status: str
    created_at: float
    finished_at: float | None
    document: dict[str, Any]
    request: dict[str, Any]
    record: dict[str, Any]
    estimate_micro: int
    reserved_micro: int
    charged_micro: int
    callback_url: str | None
    callback_state: CallbackState
    callback_attempts: int


@dataclass(frozen=True, slots=True)
class NewExecution:
    """What :meth:`Storage.accept_execution` inserts."""

    id: str
    account_id: str
    workflow_id: str
    webhook_id: str | None
    status: str
    created_at: float
    document: dict[str, Any] | str  # a dict, or its JSON text
    request: dict[str, Any]
    record: dict[str, Any]
    estimate_micro: int
    callback_url: str | None


@dataclass(frozen=True, slots=True)
class IdempotencyRef:
    """An idempotency record to complete in the same transaction as the acceptance."""

    scope: str
    key: str
    status_code: int
    response: dict[str, Any]


class AcceptResult(StrEnum):
    """Outcome of :meth:`Storage.accept_execution`."""

    ACCEPTED = "accepted"
    QUOTA_EXCEEDED = "quota_exceeded"
    INSUFFICIENT_CREDITS = "insufficient_credits"


@dataclass(frozen=True, slots=True)
class Acceptance:
    """The outcome, with the figures the error responses need."""

    result: AcceptResult
    available_micro: int
    executions_today: int


class IdempotencyState(StrEnum):
    """Outcome of :meth:`Storage.idempotency_begin`."""

    STARTED = "started"  # this request owns the key now
    REPLAY = "replay"  # same request already accepted: replay its response
    IN_FLIGHT = "in_flight"  # same key still being accepted
    MISMATCH = "mismatch"  # same key, another body


@dataclass(frozen=True, slots=True)
class IdempotencyOutcome:
    """What :meth:`Storage.idempotency_begin` found."""

    state: IdempotencyState
    status_code: int | None = None
    response: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line of an account's ledger (positive: credit added; negative: charge)."""

    id: int
    account_id: str
    amount_micro: int
    kind: str
    created_at: float
    execution_id: str | None = None
    node_id: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """An account's figures for one UTC day."""

    day: str
    executions: int
    charged_micro: int
    reserved_micro: int
    running: int


class Storage(Protocol):
    """Persistence of accounts, keys, workflows, webhooks, executions and the ledger."""

    # accounts and keys
    def create_account(self, name: str, tier: Tier, credits_micro: int, now: float) -> Account: ...
    def get_account(self, account_id: str) -> Account | None: ...
    def find_account(self, ref: str) -> Account | None: ...
    def list_accounts(self) -> list[Account]: ...
    def set_tier(self, account_id: str, tier: Tier) -> Account | None: ...
    def rotate_callback_secret(self, account_id: str) -> Account | None: ...
    def create_api_key(
        self, account_id: str, name: str, prefix: str, key_hash: str, now: float
    ) -> ApiKey: ...
    def list_api_keys(self) -> list[ApiKey]: ...
    def revoke_api_key(self, ref: str, now: float) -> ApiKey | None: ...
    def authenticate(self, key_hash: str) -> Principal | None: ...

    # workflows and webhooks
    def create_workflow(
        self, account_id: str, name: str, document: dict[str, Any], now: float
    ) -> StoredWorkflow: ...
    def list_workflows(
        self, account_id: str, limit: int, offset: int
    ) -> tuple[list[StoredWorkflow], int]: ...
    def get_workflow(self, account_id: str, workflow_id: str) -> StoredWorkflow | None: ...
    def replace_workflow(
        self, account_id: str, workflow_id: str, name: str, document: dict[str, Any], now: float
    ) -> StoredWorkflow | None: ...
    def delete_workflow(self, account_id: str, workflow_id: str, now: float) -> bool: ...
    def publish(
        self, account_id: str, workflow_id: str, webhook_id: str, secret: str | None, now: float
    ) -> Webhook | None: ...
    def unpublish(self, account_id: str, workflow_id: str, now: float) -> bool: ...
    def get_webhook(self, webhook_id: str) -> Webhook | None: ...
    def webhook_with_owner(self, webhook_id: str) -> tuple[Webhook, Account] | None: ...

    # idempotency
    def idempotency_begin(
        self, scope: str, key: str, fingerprint: str, now: float, ttl_s: float
    ) -> IdempotencyOutcome: ...
    def idempotency_abandon(self, scope: str, key: str) -> None: ...

    # executions and the ledger
    def accept_execution(
        self,
        execution: NewExecution,
        *,
        day: str,
        daily_limit: int | None,
        idempotency: IdempotencyRef | None,
    ) -> Acceptance: ...
    def available_micro(self, account_id: str) -> int: ...
    def get_execution(self, account_id: str, execution_id: str) -> StoredExecution | None: ...
    def load_execution(self, execution_id: str) -> StoredExecution | None: ...
    def save_record(self, execution_id: str, status: str, record: dict[str, Any]) -> None: ...
    def charge(
        self,
        account_id: str,
        execution_id: str,
        node_id: str | None,
        amount_micro: int,
        now: float,
        note: str | None = None,
    ) -> None: ...
    def finish_execution(
        self, execution_id: str, status: str, record: dict[str, Any], now: float
    ) -> None: ...
    def finish_executions(self, finished: list[tuple[str, str, dict[str, Any], float]]) -> None: ...
    def unfinished_executions(self) -> list[StoredExecution]: ...
    def set_callback_state(
        self, execution_id: str, state: CallbackState, attempts: int
    ) -> None: ...
    def pending_callbacks(self) -> list[StoredExecution]: ...
    def add_credits(
        self, account_id: str, amount_micro: int, now: float, note: str | None = None
    ) -> Account: ...
    def ledger(self, account_id: str, limit: int) -> list[LedgerEntry]: ...
    def usage(self, account_id: str, day: str) -> Usage: ...
    def add_artifact_owner(self, account_id: str, artifact_ids: list[str], now: float) -> None: ...
    def owns_artifact(self, account_id: str, artifact_id: str) -> bool: ...
    def recover(self, now: float) -> None: ...
    def start_checkpointer(self, interval_s: float = 1.0) -> None: ...
    def close(self) -> None: ...
