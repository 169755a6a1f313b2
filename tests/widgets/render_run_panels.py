"""Render the run panel, run history and node inspector in the dark theme to a PNG.

    QT_QPA_PLATFORM=offscreen python -m tests.widgets.render_run_panels [OUT.png] [NODE_ID]

Used for docs/images/run-panels-draft.png. ``NODE_ID`` picks the inspected node
(default ``shot``; ``failed`` shows a failed node).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSplitter, QWidget

from app.theme import ThemeName, apply_theme
from engine.executor.events import ExecutionEvent, ExecutionState, NodeState
from engine.executor.record import ExecutionRecord
from tests.widgets.run_samples import T0, failed_node, images, sample_dependencies, sample_record
from widgets.run import NodeInspector, RunHistoryList, RunPanel, RunSummary

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "images" / "run-panels-draft.png"


def record_events(record: ExecutionRecord) -> list[ExecutionEvent]:
    """The state transitions a run like ``record`` would have emitted, in time order."""
    events = [
        ExecutionEvent(record.execution_id, ExecutionState.RUNNING, at=record.started_at or 0)
    ]
    for node in record.nodes:
        if node.started_at is None:
            continue
        events.append(
            ExecutionEvent(record.execution_id, NodeState.RUNNING, node.node_id, node.started_at)
        )
        events.append(
            ExecutionEvent(
                record.execution_id,
                node.status,
                node.node_id,
                node.finished_at or node.started_at,
                duration_ms=node.duration_ms,
                credits=node.credits,
                preview=node.preview,
                error=node.error,
            )
        )
    end = ExecutionEvent(record.execution_id, record.status, at=record.finished_at or 0)
    return [*sorted(events, key=lambda e: e.at), end]


def build(node_id: str = "shot") -> QWidget:
    record = sample_record()
    pictures = images()
    panel = RunPanel()
    panel.set_record(record, sample_dependencies())
    panel.append_events(record_events(record))
    panel.timeline.set_selected(node_id)
    history = RunHistoryList()
    history.set_runs(
        [
            RunSummary.from_record(record, "Preview · all nodes"),
            RunSummary(
                execution_id="exec-51c0",
                started_at=T0 - 3600,
                status=ExecutionState.FAILED,
                duration_ms=6_010,
                credits=5,
                label="Product shot to video",
            ),
            RunSummary(
                execution_id="exec-0b9e",
                started_at=T0 - 7300,
                status=ExecutionState.COMPLETED,
                duration_ms=71_400,
                credits=34,
                label="Product shot to video",
            ),
        ]
    )
    history.set_current(record.execution_id)
    inspector = NodeInspector()
    shown = failed_node() if node_id == "failed" else record.node(node_id)
    inspector.set_node(shown, pictures.get, inputs={"prompt": "a red sneaker"})

    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(panel)
    left.addWidget(history)
    left.setSizes([560, 240])
    window = QSplitter(Qt.Orientation.Horizontal)
    window.addWidget(left)
    window.addWidget(inspector)
    window.setSizes([880, 480])
    window.resize(1360, 820)
    return window


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    args = sys.argv[1:]
    out = Path(args[0]) if args else DEFAULT_OUT
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app, ThemeName.DARK)
    node_id = args[1] if len(args) > 1 else "shot"
    window = build(node_id.removesuffix(":log"))
    if node_id.endswith(":log"):
        window.findChild(RunPanel).tabs.setCurrentIndex(1)
    window.show()
    for _ in range(5):
        app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(out)


if __name__ == "__main__":
    main()
