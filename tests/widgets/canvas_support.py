"""A small catalog, a sample workflow and a canvas ⇄ model comparison for the canvas tests."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category, NodeSpec, PortSpec, PortType
from engine.nodes.base import NodeContext
from engine.workflow import Edge, Node, Position, Workflow
from widgets.canvas import CanvasView


def _noop(context: NodeContext, inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


def _port(name: str, kind: PortType, **extra: Any) -> PortSpec:
    return PortSpec(name=name, type=kind, **extra)


SPECS = (
    NodeSpec(
        type="input.text",
        category=Category.INPUT,
        display_name="Text Input",
        outputs=(_port("text", PortType.TEXT),),
    ),
    NodeSpec(
        type="image.generate",
        category=Category.IMAGE,
        display_name="Generate Image",
        inputs=(_port("prompt", PortType.TEXT),),
        outputs=(_port("image", PortType.IMAGE),),
    ),
    NodeSpec(
        type="image.resize",
        category=Category.EDITING,
        display_name="Resize Image",
        inputs=(_port("image", PortType.IMAGE), _port("width", PortType.NUMBER, required=False)),
        outputs=(_port("image", PortType.IMAGE),),
    ),
    NodeSpec(
        type="image.grid",
        category=Category.EDITING,
        display_name="Image Grid",
        inputs=(_port("images", PortType.IMAGE, is_list=True),),
        outputs=(_port("image", PortType.IMAGE),),
    ),
    NodeSpec(
        type="video.animate",
        category=Category.VIDEO,
        display_name="Animate Image",
        inputs=(_port("image", PortType.IMAGE), _port("prompt", PortType.TEXT, required=False)),
        outputs=(_port("video", PortType.VIDEO),),
    ),
    NodeSpec(
        type="output.video",
        category=Category.OUTPUT,
        display_name="Video Output",
        inputs=(_port("video", PortType.VIDEO),),
    ),
)


def canvas_catalog() -> Catalog:
    catalog = Catalog()
    for spec in SPECS:
        catalog.register(spec, _noop)
    return catalog


def edge(edge_id: str, source: str, source_handle: str, target: str, target_handle: str) -> Edge:
    return Edge(
        id=edge_id,
        source=source,
        sourceHandle=source_handle,
        target=target,
        targetHandle=target_handle,
    )


def sample_workflow() -> Workflow:
    """brief → shot → small → clip → out, plus a second prompt and a grid."""
    return Workflow(
        name="Sample",
        nodes=[
            Node(id="brief", type="input.text", label="Brief", position=Position(x=0, y=0)),
            Node(id="shot", type="image.generate", position=Position(x=260, y=0)),
            Node(id="small", type="image.resize", position=Position(x=520, y=0)),
            Node(id="clip", type="video.animate", position=Position(x=780, y=0)),
            Node(id="out", type="output.video", position=Position(x=1040, y=0)),
            Node(id="motion", type="input.text", position=Position(x=520, y=200)),
            Node(id="grid", type="image.grid", position=Position(x=780, y=240)),
        ],
        edges=[
            edge("e1", "brief", "text", "shot", "prompt"),
            edge("e2", "shot", "image", "small", "image"),
            edge("e3", "small", "image", "clip", "image"),
            edge("e4", "clip", "video", "out", "video"),
            edge("e5", "shot", "image", "grid", "images"),
            edge("e6", "small", "image", "grid", "images"),
        ],
    )


def canvas_state(view: CanvasView) -> dict[str, Any]:
    """What the canvas shows: node positions and titles, and every wire's two ports."""
    cards = view.mapper.cards()
    wires = sorted(
        (
            str(p.output_port.node.id),
            str(p.output_port.name),
            str(p.input_port.node.id),
            str(p.input_port.name),
        )
        for p in view.viewer.all_pipes()
    )
    return {
        "nodes": {i: (tuple(c.xy_pos), c.title) for i, c in cards.items()},
        "wires": wires,
    }


def model_state(view: CanvasView) -> dict[str, Any]:
    """The same picture computed from the document alone."""
    catalog_titles = {s.type: s.display_name for s in SPECS}
    document = view.document
    return {
        "nodes": {
            n.id: ((n.position.x, n.position.y), n.label or catalog_titles.get(n.type, n.type))
            for n in document.nodes()
        },
        "wires": sorted(
            (e.source, e.source_handle, e.target, e.target_handle) for e in document.edges()
        ),
    }


def assert_canvas_matches_model(view: CanvasView) -> None:
    assert canvas_state(view) == model_state(view)
    assert view.graph.undo_stack().count() == 0  # NodeGraphQt keeps no history of its own


def port_item(view: CanvasView, node_id: str, port: str, is_output: bool) -> Any:
    node = view.graph.get_node_by_id(node_id)
    found = node.get_output(port) if is_output else node.get_input(port)
    assert found is not None, (node_id, port)
    return found.view


def port_point(view: CanvasView, node_id: str, port: str, is_output: bool) -> QPoint:
    """Where a port is on the viewport (for mouse gestures)."""
    item = port_item(view, node_id, port, is_output)
    return view.viewer.mapFromScene(item.sceneBoundingRect().center())


def header_point(view: CanvasView, node_id: str) -> QPoint:
    card = view.mapper.card(node_id)
    assert card is not None
    return view.viewer.mapFromScene(card.card_rect().topLeft() + QPointF(70, 12))


def make_canvas(qtbot: Any, workflow: Workflow | None = None) -> tuple[CanvasView, Any]:
    """A shown 1200x700 canvas on ``workflow`` (default: the sample) and its undo stack."""
    from PySide6.QtGui import QUndoStack

    from widgets.document import WorkflowDocument

    document = WorkflowDocument(workflow if workflow is not None else sample_workflow())
    stack = QUndoStack()
    view = CanvasView(document, stack, canvas_catalog())
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    view.zoom_to_fit()
    return view, stack


def drag(viewport: Any, start: QPoint, end: QPoint, steps: int = 8) -> None:
    """Press at ``start``, move in steps, release at ``end`` (left button)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * (i / steps))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
