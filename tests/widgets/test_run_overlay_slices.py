"""Run results on many nodes at once reach the cards a slice per event-loop iteration."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from engine.executor import NodeState
from engine.workflow import Node, Position, Workflow
from tests.widgets.canvas_support import make_canvas
from widgets.canvas.run_overlay import SLICE, NodeRunView, overlay_of


def _many(count: int) -> Workflow:
    nodes = [
        Node(id=f"n{i}", type="input.text", position=Position(x=(i % 10) * 260, y=(i // 10) * 160))
        for i in range(count)
    ]
    return Workflow(name="many", nodes=nodes)


def _shown(view: object, node_id: str) -> NodeState | None:
    card = view.mapper.card(node_id)  # type: ignore[attr-defined]
    overlay = overlay_of(card) if card is not None else None
    return overlay.view.state if overlay is not None and overlay.view is not None else None


def test_a_few_nodes_change_at_once(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)
    view.set_node_states({"brief": NodeRunView(NodeState.QUEUED)})
    assert _shown(view, "brief") == NodeState.QUEUED  # no event-loop turn needed


def test_a_hundred_nodes_are_queued_over_a_few_iterations(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot, _many(100))
    ids = [f"n{i}" for i in range(100)]
    view.set_node_states({i: NodeRunView(NodeState.QUEUED) for i in ids})
    # The canvas knows at once; the cards follow without holding the GUI thread in one go.
    assert all(view.node_state(i) == NodeRunView(NodeState.QUEUED) for i in ids)
    assert sum(_shown(view, i) == NodeState.QUEUED for i in ids) <= SLICE
    qtbot.waitUntil(lambda: all(_shown(view, i) == NodeState.QUEUED for i in ids))

    # Replacing: the nodes left out lose their results too, in slices.
    view.set_node_states({"n0": NodeRunView(NodeState.COMPLETED)}, replace=True)
    assert view.node_state("n99") is None
    qtbot.waitUntil(lambda: _shown(view, "n99") is None)
    assert _shown(view, "n0") == NodeState.COMPLETED
