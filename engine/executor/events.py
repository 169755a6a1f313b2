"""States and events of a run: the one stream the app, the CLI and the server consume."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
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


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    """One state transition.

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

    # Written out rather than generated: a frozen dataclass's __init__ sets each field
    # through object.__setattr__, and events are built on the executor's hot path
    # (three per node). Same signature and behaviour; ``at`` defaults to now.
    def __init__(
        self,
        execution_id: str,
        state: NodeState | ExecutionState,
        node_id: str | None = None,
        at: float | None = None,
        progress: float | None = None,
        duration_ms: float | None = None,
        credits: float | None = None,
        outputs: dict[str, Any] | None = None,
        error: NodeErrorInfo | None = None,
        item: int | None = None,
        attempt: int | None = None,
        message: str | None = None,
        preview: bool = False,
    ) -> None:
        _set_execution_id(self, execution_id)
        _set_state(self, state)
        _set_node_id(self, node_id)
        _set_at(self, _now() if at is None else at)
        _set_progress(self, progress)
        _set_duration_ms(self, duration_ms)
        _set_credits(self, credits)
        _set_outputs(self, outputs)
        _set_error(self, error)
        _set_item(self, item)
        _set_attempt(self, attempt)
        _set_message(self, message)
        _set_preview(self, preview)

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


_now = time.time
_Setter = Callable[[ExecutionEvent, Any], None]


def _setter(name: str) -> _Setter:
    setter: _Setter = vars(ExecutionEvent)[name].__set__  # the slot's member descriptor
    return setter


_set_execution_id = _setter("execution_id")
_set_state = _setter("state")
_set_node_id = _setter("node_id")
_set_at = _setter("at")
_set_progress = _setter("progress")
_set_duration_ms = _setter("duration_ms")
_set_credits = _setter("credits")
_set_outputs = _setter("outputs")
_set_error = _setter("error")
_set_item = _setter("item")
_set_attempt = _setter("attempt")
_set_message = _setter("message")
_set_preview = _setter("preview")
# The hand-written __init__ must set every field, and only fields.
assert [f.name for f in fields(ExecutionEvent)] == [
    "execution_id", "state", "node_id", "at", "progress", "duration_ms", "credits",
    "outputs", "error", "item", "attempt", "message", "preview",
]  # fmt: skip
