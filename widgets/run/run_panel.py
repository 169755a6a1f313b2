"""The run panel: totals of a run, its timeline and a log of every state transition.

The app feeds it: :meth:`RunPanel.set_record` / :meth:`RunPanel.update_record` with
record snapshots (totals and timeline) and :meth:`RunPanel.append_events` with the
batches of events its bridge delivers (the log).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QPalette, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.executor.events import ExecutionEvent, ExecutionState, NodeState
from engine.executor.record import ExecutionRecord
from widgets.node_header import muted
from widgets.run.common import (
    format_clock,
    format_credits,
    format_duration,
    format_number,
    state_icon,
    state_label,
)
from widgets.run.timeline import CRITICAL_COLOR, SLOWEST_COLOR, RunTimeline, node_seconds

#: Lines the log keeps; older ones scroll away.
LOG_LIMIT = 20_000
_LABEL_WIDTH = 18


@dataclass(frozen=True, slots=True)
class RunTotals:
    """The sums shown at the top of the run panel."""

    status: ExecutionState
    wall_ms: float | None
    node_ms: float
    credits: float
    estimated_credits: float
    cached: int
    nodes: int
    preview: bool

    @property
    def cache_text(self) -> str:
        """``"5 of 9 cached"``."""
        return f"{self.cached} of {self.nodes} cached"

    @property
    def credits_text(self) -> str:
        """``"42 credits"``, with ``"· not charged"`` in preview."""
        text = format_credits(self.credits)
        return f"{text} · not charged" if self.preview else text

    def text(self) -> str:
        """One line: ``"Completed · 12.4 s wall · 30.1 s node time · 42 credits · …"``."""
        parts = [
            state_label(self.status),
            f"{format_duration(self.wall_ms)} wall",
            f"{format_duration(self.node_ms)} node time",
            self.credits_text,
            self.cache_text,
        ]
        if self.preview:
            parts.append("preview")
        return " · ".join(parts)


def run_totals(record: ExecutionRecord, now: float | None = None) -> RunTotals:
    """Totals of ``record``; a live run's wall time runs to ``now``."""
    wall = record.duration_ms
    if wall is None and record.started_at is not None:
        end = record.finished_at if record.finished_at is not None else now
        wall = (end - record.started_at) * 1000 if end is not None else None
    return RunTotals(
        status=record.status,
        wall_ms=wall,
        node_ms=sum(node_seconds(node, now) for node in record.nodes) * 1000,
        credits=record.credits,
        estimated_credits=record.estimated_credits,
        cached=sum(1 for node in record.nodes if node.status == NodeState.CACHED or node.cached),
        nodes=len(record.nodes),
        preview=record.preview,
    )


class _Tile(QWidget):
    """A caption over a value."""

    def __init__(self, caption: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.caption = muted(QLabel(caption.upper(), self))
        small = QFont(self.caption.font())
        small.setPointSizeF(small.pointSizeF() * 0.8)
        small.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        self.caption.setFont(small)
        self.value = QLabel("—", self)
        big = QFont(self.value.font())
        big.setPointSizeF(big.pointSizeF() * 1.15)
        big.setBold(True)
        self.value.setFont(big)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)


class RunPanel(QWidget):
    """Totals above tabs holding the timeline and the log."""

    #: A timeline row was clicked: ``node_id``.
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runPanel")
        self._record: ExecutionRecord | None = None
        self._now: float | None = None
        self._labels: dict[str, str] = {}
        self._last: dict[tuple[str | None, int | None], tuple[str, int | None]] = {}

        self._status_icon = QLabel(self)
        self._status = _Tile("Run", "runStatus", self)
        self._wall = _Tile("Wall time", "runWallTime", self)
        self._node_time = _Tile("Node time", "runNodeTime", self)
        self._credits = _Tile("Credits", "runCredits", self)
        self._cache = _Tile("Cache hits", "runCacheHits", self)
        self._preview = QLabel("PREVIEW · credits not charged", self)
        self._preview.setObjectName("runPreview")
        self._preview.setStyleSheet(
            "background: #8957e5; color: white; border-radius: 8px; padding: 2px 10px;"
            " font-weight: 600;"
        )
        header = QFrame(self)
        header.setObjectName("runTotals")
        header.setAutoFillBackground(True)
        header.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        top = QHBoxLayout(header)
        top.setContentsMargins(12, 8, 12, 8)
        top.setSpacing(22)
        top.addWidget(self._status_icon, 0, Qt.AlignmentFlag.AlignVCenter)
        for tile in (self._status, self._wall, self._node_time, self._credits, self._cache):
            top.addWidget(tile)
        top.addStretch(1)
        top.addWidget(self._preview, 0, Qt.AlignmentFlag.AlignVCenter)

        self.timeline = RunTimeline(self)
        self.timeline.node_clicked.connect(self.node_clicked)
        scroll = QScrollArea(self)
        scroll.setObjectName("runTimelineScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.timeline)
        legend = muted(
            QLabel(
                f'<span style="color:{CRITICAL_COLOR}">━</span> critical path &nbsp;&nbsp; '
                f'<span style="color:{SLOWEST_COLOR}">slowest</span> the longest node &nbsp;&nbsp; '
                "click a row to inspect it",
                self,
            )
        )
        legend.setObjectName("timelineLegend")
        timeline_page = QWidget(self)
        page = QVBoxLayout(timeline_page)
        page.setContentsMargins(0, 0, 0, 4)
        page.setSpacing(2)
        page.addWidget(scroll, 1)
        legend.setContentsMargins(10, 0, 10, 0)
        page.addWidget(legend)

        self.log = QPlainTextEdit(self)
        self.log.setObjectName("runLog")
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LIMIT)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("State changes of the run appear here.")

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("runTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(timeline_page, "Timeline")
        self.tabs.addTab(self.log, "Log")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.tabs, 1)
        self.set_record(None)

    # -- public API --------------------------------------------------------------

    def set_record(
        self,
        record: ExecutionRecord | None,
        dependencies: Mapping[str, Sequence[str]] | None = None,
        now: float | None = None,
    ) -> None:
        """Show a run: ``dependencies`` (node id → upstream ids) find the critical path."""
        self.timeline.set_record(record, dependencies, now)
        self._show_totals(record, now)

    def update_record(self, record: ExecutionRecord | None, now: float | None = None) -> None:
        """Show a newer snapshot of the same run (keeps the dependencies)."""
        self.timeline.update_record(record, now)
        self._show_totals(record, now)

    def totals(self) -> RunTotals | None:
        """The totals shown (``None`` before any run)."""
        return run_totals(self._record, self._now) if self._record is not None else None

    def totals_text(self) -> str:
        """The totals as one line, or ``"No run yet"``."""
        totals = self.totals()
        return totals.text() if totals is not None else "No run yet"

    def append_events(self, events: Iterable[ExecutionEvent]) -> int:
        """Log one line per state transition in ``events``; returns how many were added.

        Repeated events in the same state (progress updates) add no line.
        """
        lines = [line for event in events if (line := self._log_line(event)) is not None]
        if lines:
            bar = self.log.verticalScrollBar()
            at_end = bar.value() >= bar.maximum() - 2
            cursor = QTextCursor(self.log.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            prefix = "\n" if not self.log.document().isEmpty() else ""
            cursor.insertText(prefix + "\n".join(lines))
            if at_end:
                bar.setValue(bar.maximum())
        return len(lines)

    def log_lines(self) -> list[str]:
        """The lines of the log."""
        text = self.log.toPlainText()
        return text.split("\n") if text else []

    def clear_log(self) -> None:
        """Empty the log (a new run starts)."""
        self.log.clear()
        self._last.clear()

    # -- internals ---------------------------------------------------------------

    def _show_totals(self, record: ExecutionRecord | None, now: float | None) -> None:
        self._record = record
        self._now = now
        if record is None:
            for tile in (self._status, self._wall, self._node_time, self._credits, self._cache):
                tile.value.setText("—")
            self._status.value.setText("No run yet")
            self._status_icon.clear()
            self._preview.hide()
            return
        self._labels = {node.node_id: node.label or node.node_id for node in record.nodes}
        totals = run_totals(record, now)
        self._status.value.setText(state_label(record.status))
        self._status_icon.setPixmap(state_icon(record.status).pixmap(22, 22))
        self._wall.value.setText(format_duration(totals.wall_ms))
        self._node_time.value.setText(format_duration(totals.node_ms))
        self._credits.value.setText(format_number(totals.credits))
        estimate = f"Estimated before the run: {format_credits(totals.estimated_credits)}"
        self._credits.setToolTip(estimate)
        self._cache.value.setText(totals.cache_text)
        self._preview.setVisible(totals.preview)

    def _log_line(self, event: ExecutionEvent) -> str | None:
        key = (event.node_id, event.item)
        state = event.state.value
        last = self._last.get(key)
        if last is not None and last[0] == state and event.attempt in (None, last[1]):
            return None  # progress within the same state; a new attempt is a transition
        attempt = event.attempt if event.attempt is not None else (last[1] if last else None)
        self._last[key] = (state, attempt)
        if event.node_id is None:
            who = "run"
        else:
            who = self._labels.get(event.node_id, event.node_id)
            if event.item is not None:
                who += f" [{event.item + 1}]"
        parts = [format_clock(event.at, millis=True), f"{who:<{_LABEL_WIDTH}}", f"{state:<9}"]
        details: list[str] = []
        if event.attempt is not None and event.attempt > 1:
            details.append(f"attempt {event.attempt}")
        if event.duration_ms is not None:
            details.append(format_duration(event.duration_ms))
        if event.credits:
            details.append(format_credits(event.credits) + (" (preview)" if event.preview else ""))
        if event.error is not None:
            details.append(f"{event.error.kind.value}: {event.error.message}")
        if event.message:
            details.append(event.message)
        if details:
            parts.append(" · ".join(details))
        return "  ".join(parts).rstrip()
