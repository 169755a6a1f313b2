"""Server-sent events of an execution: the engine's event stream, pushed.

Each event is ``id: <seq>``, ``event: execution`` (the whole run) or ``event: node``,
and ``data:`` the event's JSON (the same objects as the engine's ``on_event``
callback, see :class:`engine.executor.ExecutionEvent`). A subscriber first gets
every event so far (after ``Last-Event-ID`` when it reconnects), then the new ones;
the stream ends after the run's final event. A comment line every
``KEEPALIVE_S`` keeps proxies from closing an idle stream. For a run that ended
before the subscription (or in an earlier server process), the stream is a
summary rebuilt from the record: one event per node, then the final one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from engine.server.runs import RunManager

KEEPALIVE_S = 15.0


def format_event(data: dict[str, Any], seq: int | None = None) -> str:
    """One event in the ``text/event-stream`` format (``seq`` becomes its ``id``)."""
    kind = "node" if "nodeId" in data else "execution"
    lines = []
    if seq is not None:
        lines.append(f"id: {seq}")
    lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


def summary_events(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Events rebuilt from a stored record: each node's last state, then the run's."""
    execution_id = record["executionId"]
    events: list[dict[str, Any]] = []
    for node in record.get("nodes", []):
        event: dict[str, Any] = {
            "executionId": execution_id,
            "nodeId": node["nodeId"],
            "state": node["status"],
            "at": node.get("finishedAt") or node.get("startedAt") or record.get("finishedAt"),
        }
        for key in ("durationMs", "credits", "outputs", "error", "progress", "message"):
            if node.get(key) is not None:
                event[key] = node[key]
        events.append(event)
    final: dict[str, Any] = {
        "executionId": execution_id,
        "state": record["status"],
        "at": record.get("finishedAt") or record.get("startedAt"),
        "credits": record.get("credits", 0.0),
    }
    for key in ("durationMs", "outputs"):
        if record.get(key) is not None:
            final[key] = record[key]
    if record.get("error"):
        final["message"] = record["error"]
    events.append(final)
    return events


async def event_stream(
    runs: RunManager,
    execution_id: str,
    load_record: Callable[[], dict[str, Any]],
    after: int | None,
) -> AsyncIterator[str]:
    """The SSE body for one execution; ``load_record`` reads the stored record."""
    live = runs.live.get(execution_id)
    if live is None:
        for data in summary_events(load_record()):
            yield format_event(data)
        return
    history, queue = live.subscribe()
    try:
        for seq, event in enumerate(history):
            if after is None or seq > after:
                yield format_event(event.to_json(), seq)
        if live.done.is_set():
            return
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            if item is None:
                return
            seq, event = item
            yield format_event(event.to_json(), seq)
    finally:
        live.unsubscribe(queue)
