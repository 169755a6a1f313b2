"""The status bar's permanent fields: validation summary, graph size, zoom."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton

from app.chrome import ok_icon
from engine.validation import Violation
from widgets.problems import severity_icon, summary_text


class StatusFields:
    """Adds the fields to ``bar``; transient messages use the bar's own message area.

    ``problems`` is a button (clicking it shows the Problems panel).
    """

    def __init__(self, bar: QStatusBar) -> None:
        bar.setSizeGripEnabled(False)
        self.problems = QToolButton(bar)
        self.problems.setObjectName("statusProblems")
        self.problems.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems.setToolTip("Show the Problems panel")
        self.counts = QLabel(bar)
        self.counts.setObjectName("statusCounts")
        self.zoom = QLabel(bar)
        self.zoom.setObjectName("statusZoom")
        self.zoom.setToolTip("Zoom (Ctrl+0: actual size, F: fit)")
        bar.addPermanentWidget(self.problems)
        bar.addPermanentWidget(self.counts)
        bar.addPermanentWidget(self.zoom)

    def show_violations(self, violations: list[Violation]) -> None:
        self.problems.setText(summary_text(violations))
        errors = [v for v in violations if v.is_error]
        worst = (errors or violations)[:1]
        self.problems.setIcon(severity_icon(worst[0].severity) if worst else ok_icon())

    def show_counts(self, nodes: int, edges: int) -> None:
        self.counts.setText(
            f"{nodes} node{'s' if nodes != 1 else ''} · {edges} wire{'s' if edges != 1 else ''}"
        )

    def show_zoom(self, scale: float) -> None:
        self.zoom.setText(f"{round(scale * 100)} %")
