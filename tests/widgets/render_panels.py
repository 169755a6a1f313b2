"""Render the palette, properties and problems panels side by side to a PNG.

    QT_QPA_PLATFORM=offscreen python -m tests.widgets.render_panels [OUT.png] [--dark]

Used for docs/images/panels-draft.png; the app's stylesheet is not applied.
``--dark`` applies a plain dark palette, to check the widgets follow the theme.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QPalette, QUndoStack
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from engine.validation import Severity, Violation, ViolationCode
from engine.workflow import Edge, Node, Position, Workflow
from tests.widgets.sample_catalog import sample_catalog
from widgets.document import WorkflowDocument
from widgets.palette import NodePalette
from widgets.problems import ProblemsPanel
from widgets.properties import PropertiesPanel

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "images" / "panels-draft.png"


def example_workflow() -> Workflow:
    """Brief -> Flux 2 Pro -> Kling -> video output, with a couple of mistakes."""
    prompt = (
        "Studio product shot of a red canvas sneaker on a pale concrete plinth, "
        "soft window light from the left, shallow depth of field, 85 mm"
    )
    return Workflow(
        name="Product shot to video",
        nodes=[
            Node(id="brief", type="input.text", label="Brief", data={"name": "brief"}),
            Node(
                id="shot",
                type="image.flux-2-pro",
                label="Hero shot",
                position=Position(x=320),
                data={"prompt": prompt, "aspect_ratio": "16:9", "guidance": 12.0, "seed": 7},
            ),
            Node(id="clip", type="video.kling-2-1-image-to-video", position=Position(x=640)),
            Node(id="out", type="output.video", position=Position(x=960)),
        ],
        edges=[
            Edge(id="e1", source="shot", sourceHandle="image", target="clip", targetHandle="image"),
        ],
    )


def example_violations() -> list[Violation]:
    return [
        Violation(
            code=ViolationCode.UNKNOWN_PARAM,
            message="parameter `style` is not a parameter of Flux 2 Pro",
            severity=Severity.WARNING,
            node_id="shot",
            field="style",
            hint="remove it, or did you mean `steps`?",
        ),
        Violation(
            code=ViolationCode.PARAM_OUT_OF_RANGE,
            message="guidance: 12.0 is above the maximum 10",
            node_id="shot",
            field="guidance",
            hint="use a value from 1.5 to 10",
        ),
        Violation(
            code=ViolationCode.REQUIRED_INPUT_MISSING,
            message="required input `video` of Video output is not connected",
            node_id="out",
            field="video",
            hint="connect Kling 2.1 image to video (video) to it",
        ),
    ]


def _dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1e2126",
        QPalette.ColorRole.WindowText: "#d7dae0",
        QPalette.ColorRole.Base: "#16181c",
        QPalette.ColorRole.AlternateBase: "#1b1e22",
        QPalette.ColorRole.Text: "#d7dae0",
        QPalette.ColorRole.Button: "#2a2e35",
        QPalette.ColorRole.ButtonText: "#d7dae0",
        QPalette.ColorRole.Highlight: "#3d6fd9",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: "#8a919c",
        QPalette.ColorRole.ToolTipBase: "#2a2e35",
        QPalette.ColorRole.ToolTipText: "#d7dae0",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def render(out: Path, dark: bool = False) -> Path:
    """Build the three panels around :func:`example_workflow` and save a grab."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    if dark:
        app.setPalette(_dark_palette())
    catalog = sample_catalog()
    document = WorkflowDocument(example_workflow())
    stack = QUndoStack()
    violations = example_violations()

    window = QWidget()
    window.setObjectName("panelsPreview")
    layout = QHBoxLayout(window)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(1)
    palette = NodePalette(catalog)
    palette.set_filter_text("")
    properties = PropertiesPanel(document, stack, catalog)
    properties.set_node("shot")
    properties.set_violations(violations)
    problems = ProblemsPanel(document, catalog)
    problems.set_violations(violations)
    palette.setFixedWidth(270)
    properties.setFixedWidth(370)
    problems.setFixedWidth(640)
    for panel in (palette, properties, problems):
        layout.addWidget(panel)
    window.resize(270 + 370 + 640 + 2, 720)
    window.show()
    for _ in range(5):  # let the auto-height editors and scroll areas settle
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    return out


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args = [a for a in sys.argv[1:] if a != "--dark"]
    print(render(Path(args[0]) if args else DEFAULT_OUT, dark="--dark" in sys.argv))
