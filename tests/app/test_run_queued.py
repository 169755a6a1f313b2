"""Starting a run shows QUEUED on every node it covers at once; the others keep their results."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.window import MainWindow
from engine.catalog import Catalog, Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.catalog.registry import default_catalog
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.nodes.base import NodeContext, Outputs
from engine.workflow import Edge, Node, Position, Workflow
from tests.app.conftest import ScriptedPrompts

pytestmark = pytest.mark.usefixtures("qasync_loop")


class Gate:
    """Nodes of type ``test.gate`` wait until the test opens the gate."""

    def __init__(self) -> None:
        self.event = asyncio.Event()  # bound to the loop that first waits on it

    def open(self) -> None:
        self.event.set()

    async def node(self, context: NodeContext, inputs: dict[str, Any]) -> Outputs:
        await self.event.wait()
        return {"text": f"{inputs.get('text', '')}>{context.params.get('name')}"}


GATE = NodeSpec(
    type="test.gate",
    category=Category.TEXT,
    display_name="Gate",
    inputs=(PortSpec(name="text", type=PortType.TEXT, required=False),),
    outputs=(PortSpec(name="text", type=PortType.TEXT),),
    params=(ParamSpec(name="name", kind=ParamKind.STRING, default=""),),  # a distinct cache key
)


def _window(qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts, gate: Gate) -> MainWindow:
    shipped = default_catalog()
    catalog = Catalog(shipped.entry(spec.type) for spec in shipped)
    catalog.register(GATE, gate.node)
    window = MainWindow(catalog, settings=settings, prompts=prompts)
    qtbot.addWidget(window)
    window.show()
    nodes = [
        Node(id=node_id, type="test.gate", position=Position(x=300 * index), data={"name": node_id})
        for index, node_id in enumerate(("a", "b", "c"))
    ]
    nodes.append(
        Node(id="apart", type="test.gate", position=Position(y=300), data={"name": "apart"})
    )
    edges = [
        Edge(id="e1", source="a", sourceHandle="text", target="b", targetHandle="text"),
        Edge(id="e2", source="b", sourceHandle="text", target="c", targetHandle="text"),
    ]
    window.controller.load(Workflow(name="gates", nodes=nodes, edges=edges), None)
    return window


def _states(window: MainWindow, *node_ids: str) -> list[NodeState | None]:
    views = [window.canvas.node_state(node_id) for node_id in node_ids]
    return [view.state if view is not None else None for view in views]


def test_every_node_of_the_run_shows_queued_as_soon_as_it_starts(
    qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts
) -> None:
    gate = Gate()
    window = _window(qtbot, settings, prompts, gate)
    assert window.runs.run() is not None
    # At once: no event loop turn in between.
    assert _states(window, "a", "b", "c", "apart") == [NodeState.QUEUED] * 4
    qtbot.waitUntil(lambda: _states(window, "a")[0] == NodeState.RUNNING)
    assert _states(window, "b", "c") == [NodeState.QUEUED] * 2  # waiting for "a"
    with qtbot.waitSignal(window.runs.finished, timeout=10_000) as blocker:
        gate.open()
    record = blocker.args[0]
    assert isinstance(record, ExecutionRecord) and record.status == ExecutionState.COMPLETED
    assert _states(window, "a", "b", "c", "apart") == [NodeState.COMPLETED] * 4
    log = window.run_docks.panel.log_lines()
    queued = [line.split()[1] for line in log if "QUEUED" in line]
    assert sorted(queued) == ["a", "apart", "b", "c", "run"]  # once each, from the engine


def test_a_partial_run_queues_its_scope_and_leaves_the_rest_as_it_was(
    qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts
) -> None:
    gate = Gate()
    window = _window(qtbot, settings, prompts, gate)
    window.runs.run()
    gate.open()
    qtbot.waitUntil(lambda: not window.runs.running, timeout=10_000)
    window.canvas.select_nodes(["b"])
    with qtbot.waitSignal(window.runs.finished, timeout=10_000) as blocker:
        assert window.runs.run_only_selected() is not None
        # "a" (needed, from the cache) and "b" are queued; "c" and "apart" keep their results.
        assert _states(window, "a", "b") == [NodeState.QUEUED] * 2
        assert _states(window, "c", "apart") == [NodeState.COMPLETED] * 2
    record = blocker.args[0]
    assert isinstance(record, ExecutionRecord)
    assert {n.node_id for n in record.nodes} == {"a", "b"}
    assert _states(window, "a", "b", "c", "apart") == [
        NodeState.CACHED,
        NodeState.COMPLETED,
        NodeState.COMPLETED,
        NodeState.COMPLETED,
    ]
