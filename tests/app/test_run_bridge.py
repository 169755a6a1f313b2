"""The event bridge: engine events reach the GUI in batches, progress coalesced per node."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.event_bridge import EventBridge
from engine.executor import ExecutionEvent, ExecutionState, NodeState


def _progress(node_id: str, fraction: float, item: int | None = None) -> ExecutionEvent:
    return ExecutionEvent("x", NodeState.RUNNING, node_id=node_id, progress=fraction, item=item)


def test_a_burst_of_progress_reaches_the_gui_as_one_batch_with_the_latest_value_per_node(
    qtbot: QtBot,
) -> None:
    bridge = EventBridge(interval_ms=20)
    batches: list[list[ExecutionEvent]] = []
    bridge.batch.connect(batches.append)
    bridge.push(ExecutionEvent("x", ExecutionState.RUNNING))
    for step in range(1000):
        bridge.push(_progress("a", step / 1000))
        bridge.push(_progress("b", step / 2000))
    assert batches == []  # nothing is delivered from inside the engine's callback
    qtbot.waitUntil(lambda: len(batches) == 1, timeout=2000)
    (batch,) = batches
    assert [(e.node_id, e.progress) for e in batch] == [(None, None), ("a", 0.999), ("b", 0.4995)]
    assert (bridge.received, bridge.delivered) == (2001, 3)


def test_a_state_change_is_never_overtaken_by_an_older_progress_event(qtbot: QtBot) -> None:
    bridge = EventBridge(interval_ms=20)
    batches: list[list[ExecutionEvent]] = []
    bridge.batch.connect(batches.append)
    bridge.push(_progress("a", 0.5))
    bridge.push(ExecutionEvent("x", NodeState.COMPLETED, node_id="a", duration_ms=5.0))
    bridge.push(_progress("a", 0.9))  # late progress after the state: kept after it
    bridge.push(_progress("a", 0.2, item=3))  # a batch item is a slot of its own
    bridge.flush()
    states = [(e.state, e.progress, e.item) for e in batches[0]]
    assert states == [
        (NodeState.RUNNING, 0.5, None),
        (NodeState.COMPLETED, None, None),
        (NodeState.RUNNING, 0.9, None),
        (NodeState.RUNNING, 0.2, 3),
    ]
    bridge.flush()
    assert len(batches) == 1  # nothing waiting: no empty batch
