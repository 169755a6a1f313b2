"""States and events of a run: the one stream the app, the CLI and the server consume."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NodeState(StrEnum):
    """Lifecycle of one node in one execution."""

    PENDING = "PENDING"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CACHED = "CACHED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        """Whether the node will not change state again in this execution."""
        return self in _FINAL_NODE


_FINAL_NODE = frozenset(
    {
        NodeState.COMPLETED,
        NodeState.CACHED,
        NodeState.FAILED,
        NodeState.SKIPPED,
        NodeState.CANCELLED,
    }
)


class ExecutionState(StrEnum):
    """Lifecycle of a whole execution."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        """Whether the execution has ended."""
        return self in (ExecutionState.COMPLETED, ExecutionState.FAILED, ExecutionState.CANCELLED)


class ErrorKind(StrEnum):
    """Why a node failed: a user-fixable problem, a provider hiccup, or a crash."""

    PERMANENT = "permanent"  # bad parameters, refusal, missing file: fix and re-run
    TRANSIENT = "transient"  # retried; still failing after the last attempt
    TIMEOUT = "timeout"
    CRASH = "crash"  # an unexpected exception inside the node (a bug)
    INTERRUPTED = "interrupted"  # the process running it stopped


@dataclass(frozen=True, slots=True)
class NodeErrorInfo:
    """A node's failure as data."""

    kind: ErrorKind
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "message": self.message, "details": self.details}


@dataclass(slots=True)
class ExecutionEvent:
    """One state transition.

    Events are read-only by contract: one instance is handed to every consumer.
    (Not ``frozen``: the executor builds three per node on its hot path, and a
    frozen dataclass sets each field through ``object.__setattr__``, which more
    than doubles the cost; see docs/performance.md.)

    ``node_id`` is ``None`` for events about the whole execution, in which case
    ``state`` is an :class:`ExecutionState`. ``item`` is the batch item index when a
    fanned-out node reports one item. ``progress`` is 0..1. ``outputs`` are
    encoded values (see :func:`engine.values.encode_value`).
    """

    execution_id: str
    state: NodeState | ExecutionState
    node_id: str | None = None
    at: float = field(default_factory=time.time)
    progress: float | None = None
    duration_ms: float | None = None
    credits: float | None = None
    outputs: dict[str, Any] | None = None
    error: NodeErrorInfo | None = None
    item: int | None = None
    attempt: int | None = None
    message: str | None = None
    preview: bool = False

    def to_json(self) -> dict[str, Any]:
        """The event as the JSON object the API and ``--json`` emit (camelCase, no nulls)."""
        data: dict[str, Any] = {
            "executionId": self.execution_id,
            "state": self.state.value,
            "at": self.at,
        }
        optional = {
            "nodeId": self.node_id,
            "progress": self.progress,
            "durationMs": self.duration_ms,
            "credits": self.credits,
            "outputs": self.outputs,
            "error": self.error.to_json() if self.error else None,
            "item": self.item,
            "attempt": self.attempt,
            "message": self.message,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        if self.preview:
            data["preview"] = True
        return data
