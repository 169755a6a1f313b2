"""Sample documents and small helpers shared by the app tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.window import MainWindow
from engine.workflow import Edge, Node, Position, Workflow


def edge(edge_id: str, source: str, source_port: str, target: str, target_port: str) -> Edge:
    return Edge(
        id=edge_id,
        source=source,
        sourceHandle=source_port,
        target=target,
        targetHandle=target_port,
    )


def sample_workflow() -> Workflow:
    """files → split → load → caption → output, with a title text input left unwired."""
    return Workflow(
        name="Sample",
        nodes=[
            Node(
                id="files",
                type="input.text",
                label="Files",
                data={"name": "files", "default": "a.png\nb.png"},
            ),
            Node(id="split", type="text.split_lines", position=Position(x=300)),
            Node(id="load", type="image.load", position=Position(x=600)),
            Node(id="caption", type="image.caption", position=Position(x=900)),
            Node(id="out", type="output.image", position=Position(x=1200)),
            Node(
                id="title",
                type="input.text",
                position=Position(x=600, y=240),
                data={"name": "title"},
            ),
        ],
        edges=[
            edge("e1", "files", "text", "split", "text"),
            edge("e2", "split", "lines", "load", "path"),
            edge("e3", "load", "image", "caption", "image"),
            edge("e4", "caption", "image", "out", "image"),
        ],
    )


def write_sample(path: Path, workflow: Workflow | None = None) -> Path:
    path.write_text((workflow or sample_workflow()).to_json(), encoding="utf-8")
    return path


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def document_json(window: MainWindow) -> str:
    return window.document.workflow().to_json()


def canvas_matches_model(window: MainWindow) -> bool:
    """The canvas shows exactly the document's nodes and wires."""
    canvas = window.canvas
    wires = sorted(
        (
            str(p.output_port.node.id),
            str(p.output_port.name),
            str(p.input_port.node.id),
            str(p.input_port.name),
        )
        for p in canvas.viewer.all_pipes()
    )
    model = sorted(
        (e.source, e.source_handle, e.target, e.target_handle) for e in window.document.edges()
    )
    cards = canvas.mapper.cards()
    positions = {node_id: tuple(card.xy_pos) for node_id, card in cards.items()} == {
        n.id: (n.position.x, n.position.y) for n in window.document.nodes()
    }
    return wires == model and positions


def port_point(window: MainWindow, node_id: str, port: str, is_output: bool) -> QPoint:
    """Where a port is on the canvas viewport."""
    node = window.canvas.graph.get_node_by_id(node_id)
    found = node.get_output(port) if is_output else node.get_input(port)
    assert found is not None, (node_id, port)
    viewer = window.canvas.viewer
    return viewer.mapFromScene(found.view.sceneBoundingRect().center())


def drag(viewport: QWidget, start: QPoint, end: QPoint, steps: int = 8) -> None:
    """Press at ``start``, move in steps, release at ``end`` (left button)."""
    no = Qt.KeyboardModifier.NoModifier
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, no, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * (i / steps))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, no, end)
