"""Server persistence: the :class:`Storage` interface and its SQLite backend."""

from __future__ import annotations

from engine.server.storage.base import (
    MICRO,
    Acceptance,
    AcceptResult,
    Account,
    ApiKey,
    CallbackState,
    IdempotencyOutcome,
    IdempotencyRef,
    IdempotencyState,
    LedgerEntry,
    NewExecution,
    Principal,
    Storage,
    StoredExecution,
    StoredWorkflow,
    Usage,
    Webhook,
    from_micro,
    to_micro,
)
from engine.server.storage.sqlite import SqliteStorage, utc_day

__all__ = [
    "MICRO",
    "AcceptResult",
    "Acceptance",
    "Account",
    "ApiKey",
    "CallbackState",
    "IdempotencyOutcome",
    "IdempotencyRef",
    "IdempotencyState",
    "LedgerEntry",
    "NewExecution",
    "Principal",
    "SqliteStorage",
    "Storage",
    "StoredExecution",
    "StoredWorkflow",
    "Usage",
    "Webhook",
    "from_micro",
    "to_micro",
    "utc_day",
]
