"""Render the canvas with an example workflow to a PNG (for docs/images/canvas-draft.png).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/widgets/render_canvas.py [OUT.png]

Uses the shipped catalog, one node of an unknown type (shown as a placeholder and
reported by the validator), two backdrops, the port legend and the minimap.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication

from engine.catalog.registry import default_catalog
from engine.validation import validate
from engine.workflow import Edge, Node, Position, Workflow
from widgets.canvas import CanvasView
from widgets.document import WorkflowDocument


def _node(node_id: str, type_id: str, x: float, y: float, label: str | None = None) -> Node:
    return Node(id=node_id, type=type_id, label=label, position=Position(x=x, y=y))


def _edge(n: int, source: str, sh: str, target: str, th: str) -> Edge:
    return Edge(id=f"e{n}", source=source, sourceHandle=sh, target=target, targetHandle=th)


def example() -> Workflow:
    """A captioned product shot with a logo, plus an animation step of an unknown type."""
    return Workflow(
        name="Product shot, captioned",
        nodes=[
            _node("brief", "input.text", 0, 0, "Brief"),
            _node("product", "input.image", 0, 190, "Product photo"),
            _node("headline", "text.template", 290, -30, "Headline"),
            _node("resize", "image.resize", 290, 190),
            _node("grade", "image.adjust", 560, 190, "Warm grade"),
            _node("caption", "image.caption", 830, 60),
            _node("logo", "image.load", 560, 350, "Logo"),
            _node("comp", "image.composite", 1110, 150),
            _node("hero", "output.image", 1390, 100, "Hero image"),
            _node("clip", "video.kling-2-1-image-to-video", 1390, 270, "Animate (Kling 2.1)"),
        ],
        edges=[
            _edge(1, "brief", "text", "headline", "a"),
            _edge(2, "product", "image", "resize", "image"),
            _edge(3, "resize", "image", "grade", "image"),
            _edge(4, "grade", "image", "caption", "image"),
            _edge(5, "headline", "text", "caption", "text"),
            _edge(6, "caption", "image", "comp", "base"),
            _edge(7, "logo", "image", "comp", "overlay"),
            _edge(8, "comp", "image", "hero", "image"),
            _edge(9, "comp", "image", "clip", "image"),
        ],
        metadata={
            "backdrops": [
                {"id": "bd1", "title": "Inputs", "nodes": ["brief", "product"]},
                {"id": "bd2", "title": "Deliverables", "nodes": ["hero", "clip"]},
            ]
        },
    )


def render(out: Path, width: int = 1600, height: int = 900) -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    catalog = default_catalog()
    document = WorkflowDocument(example())
    view = CanvasView(document, QUndoStack(), catalog)
    view.resize(width, height)
    view.set_legend_visible(True)
    view.show()
    app.processEvents()
    view.set_violations(validate(document.workflow(), catalog))
    view.select_nodes(["caption"])
    view.zoom_to_fit()
    app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/canvas-draft.png"))
