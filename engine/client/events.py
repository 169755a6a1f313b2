"""Server-sent events read back into the engine's :class:`ExecutionEvent`.

The server's ``/executions/{id}/events`` stream carries the engine's events as
JSON (``ExecutionEvent.to_json``); :func:`event_from_json` is its inverse, so a
remote run feeds the same consumers as a local one. :class:`SseParser` reads the
``text/event-stream`` format line by line (comments, multi-line data, ``id``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from engine.client.errors import ProtocolError
from engine.executor.events import (
    ErrorKind,
    ExecutionEvent,
    ExecutionState,
    NodeErrorInfo,
    NodeState,
)
from engine.executor.record import ExecutionRecord, NodeRecord


@dataclass(frozen=True, slots=True)
class SseMessage:
    """One dispatched server-sent event."""

    event: str
    data: str
    id: str | None = None


class SseParser:
    """Feeds lines of a ``text/event-stream``; returns a message at each blank line."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> SseMessage | None:
        """Take one line (without its end); a complete message, or ``None``."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> SseMessage | None:
        if not self._data:
            self._event = ""
            return None
        message = SseMessage(self._event or "message", "\n".join(self._data), self._id)
        self._event, self._data = "", []
        return message


def node_error_from_json(data: Any) -> NodeErrorInfo | None:
    """A node's error from its JSON (an unknown ``kind`` reads as permanent)."""
    if not isinstance(data, dict):
        return None
    try:
        kind = ErrorKind(str(data.get("kind")))
    except ValueError:
        kind = ErrorKind.PERMANENT
    details = data.get("details")
    return NodeErrorInfo(
        kind, str(data.get("message", "")), dict(details) if isinstance(details, dict) else {}
    )


def event_from_json(data: Any) -> ExecutionEvent:
    """The inverse of :meth:`ExecutionEvent.to_json` (``ProtocolError`` when malformed)."""
    if not isinstance(data, dict) or not isinstance(data.get("executionId"), str):
        raise ProtocolError(f"not an execution event: {str(data)[:200]}")
    node_id = data.get("nodeId")
    try:
        state: NodeState | ExecutionState = (
            NodeState(data["state"]) if node_id is not None else ExecutionState(data["state"])
        )
    except (KeyError, ValueError):
        raise ProtocolError(f"an event with an unknown state: {str(data)[:200]}") from None
    at = data.get("at")
    outputs = data.get("outputs")
    return ExecutionEvent(
        execution_id=data["executionId"],
        state=state,
        node_id=str(node_id) if node_id is not None else None,
        at=float(at) if isinstance(at, int | float) else time.time(),
        progress=_number(data.get("progress")),
        duration_ms=_number(data.get("durationMs")),
        credits=_number(data.get("credits")),
        outputs=outputs if isinstance(outputs, dict) else None,
        error=node_error_from_json(data.get("error")),
        item=data["item"] if isinstance(data.get("item"), int) else None,
        attempt=data["attempt"] if isinstance(data.get("attempt"), int) else None,
        message=data["message"] if isinstance(data.get("message"), str) else None,
        preview=data.get("preview") is True,
    )


def message_to_event(message: SseMessage) -> ExecutionEvent:
    """An SSE message's data as an event."""
    try:
        data = json.loads(message.data)
    except json.JSONDecodeError:
        raise ProtocolError(f"an event that is not JSON: {message.data[:200]}") from None
    return event_from_json(data)


def node_event(execution_id: str, node: NodeRecord) -> ExecutionEvent:
    """The event a node's record stands for (its latest state, with timing and outputs)."""
    return ExecutionEvent(
        execution_id=execution_id,
        state=node.status,
        node_id=node.node_id,
        at=node.finished_at or node.started_at or time.time(),
        progress=node.progress,
        duration_ms=node.duration_ms,
        credits=node.credits if node.status.is_final else None,
        outputs=node.outputs,
        error=node.error,
        attempt=node.attempts or None,
        message=node.message,
        preview=node.preview,
    )


def final_event(record: ExecutionRecord) -> ExecutionEvent:
    """The run's last event, rebuilt from its final record."""
    return ExecutionEvent(
        execution_id=record.execution_id,
        state=record.status,
        at=record.finished_at or time.time(),
        duration_ms=record.duration_ms,
        credits=record.credits,
        outputs=record.outputs or None,
        message=record.error,
        preview=record.preview,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
