"""The run timeline: a Gantt chart of node start and finish, painted with QPainter.

One row per node (rows that ran sorted by start time, then the rest), a bar from
``startedAt`` to ``finishedAt`` in the state's colour, batch items as thin bars under
it, the critical path (the dependency chain with the most node time) outlined in
gold and the slowest node tagged. While a run is live, running bars grow to "now":
call :meth:`RunTimeline.update_record` with each new record.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from graphlib import CycleError, TopologicalSorter

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from engine.executor.events import NodeState
from engine.executor.record import ExecutionRecord, ItemRecord, NodeRecord
from widgets.run.common import format_credits, format_duration, state_color, state_label

LABEL_WIDTH = 170
AXIS_HEIGHT = 28
ROW_HEIGHT = 26
BAR_HEIGHT = 14
RIGHT_MARGIN = 96
CRITICAL_COLOR = "#f2c14e"
SLOWEST_COLOR = "#ff9e64"
_LIVE_INTERVAL_MS = 250
_EMPTY_TEXT = "Run the workflow to see a timeline."
_EMPTY_TEXT = "Run the workflow to see a timeline."


def node_interval(
    node: NodeRecord | ItemRecord, now: float | None = None
) -> tuple[float, float] | None:
    """A node's (or batch item's) ``(start, end)`` in Unix seconds; running ends at ``now``.

    ``None`` for one that never started.
    """
    if node.started_at is None:
        return None
    start = node.started_at
    if node.finished_at is not None:
        end = node.finished_at
    elif not node.status.is_final and now is not None:
        end = max(start, now)
    elif node.duration_ms is not None:
        end = start + node.duration_ms / 1000
    else:
        end = start
    return start, end


def node_seconds(node: NodeRecord, now: float | None = None) -> float:
    """How long a node took (or has been running), in seconds."""
    if node.duration_ms is not None and node.status.is_final:
        return node.duration_ms / 1000
    interval = node_interval(node, now)
    return interval[1] - interval[0] if interval is not None else 0.0


def critical_path(
    record: ExecutionRecord,
    dependencies: Mapping[str, Sequence[str]],
    now: float | None = None,
) -> list[str]:
    """The dependency chain whose nodes took the most time in total, upstream first.

    ``dependencies`` maps a node id to the ids it takes inputs from (the workflow's
    edges). Nodes that took no time (cached, skipped) are left out of the result.
    """
    times = {node.node_id: node_seconds(node, now) for node in record.nodes}
    graph = {n: [d for d in dependencies.get(n, ()) if d in times] for n in times}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:
        return []
    rank = {node.node_id: i for i, node in enumerate(record.nodes)}
    best: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for node_id in order:
        upstream = sorted(graph[node_id], key=lambda d: (-best[d], rank[d]))
        before = upstream[0] if upstream else None
        best[node_id] = times[node_id] + (best[before] if before is not None else 0.0)
        previous[node_id] = before
    if not best:
        return []
    last = min(best, key=lambda n: (-best[n], rank[n]))
    if best[last] <= 0:
        return []
    path: list[str] = []
    cursor: str | None = last
    while cursor is not None:
        path.append(cursor)
        cursor = previous[cursor]
    return [n for n in reversed(path) if times[n] > 0]


def slowest_node(record: ExecutionRecord, now: float | None = None) -> str | None:
    """The node that took the longest (``None`` when nothing ran)."""
    best: tuple[float, str] | None = None
    for node in record.nodes:
        seconds = node_seconds(node, now)
        if seconds > 0 and (best is None or seconds > best[0]):
            best = (seconds, node.node_id)
    return best[1] if best is not None else None


def tick_step(span_s: float, target: int = 6) -> float:
    """A round tick spacing for ``span_s``: 1, 2 or 5 times a power of ten, or whole minutes."""
    if span_s <= 0:
        return 1.0
    raw = span_s / target
    if raw >= 60:
        for minutes in (1, 2, 5, 10, 15, 30, 60, 120):
            if minutes * 60 >= raw:
                return minutes * 60.0
        return 7200.0
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * power >= raw:
            return float(multiple * power)
    return float(10 * power)


def tick_label(seconds: float, step: float) -> str:
    """``"250 ms"``, ``"1.5 s"``, ``"12 s"``, ``"2:30"``."""
    if step < 1 and seconds < 1:
        return f"{round(seconds * 1000)} ms"
    decimals = 0 if step >= 1 else 1
    if seconds < 60:
        return f"{seconds:.{decimals}f} s"
    minutes = int(seconds // 60)
    rest = seconds - minutes * 60
    width = 4 if decimals else 2
    return f"{minutes}:{rest:0{width}.{decimals}f}"


class RunTimeline(QWidget):
    """A Gantt chart of one run. Clicking a row (or Up/Down) emits :attr:`node_clicked`."""

    #: A row was clicked: ``node_id``.
    node_clicked = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runTimeline")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self._clock = clock
        self._record: ExecutionRecord | None = None
        self._dependencies: dict[str, list[str]] = {}
        self._now: float | None = None
        self._follow_clock = False
        self._rows: list[NodeRecord] = []
        self._critical: list[str] = []
        self._slowest: str | None = None
        self._selected: str | None = None
        self._origin = 0.0
        self._span = 1.0
        self._live = QTimer(self)
        self._live.setInterval(_LIVE_INTERVAL_MS)
        self._live.timeout.connect(self._tick)

    # -- public API --------------------------------------------------------------

    def set_record(
        self,
        record: ExecutionRecord | None,
        dependencies: Mapping[str, Sequence[str]] | None = None,
        now: float | None = None,
    ) -> None:
        """Show ``record``; ``dependencies`` (node id → upstream ids) find the critical path."""
        self._dependencies = {k: list(v) for k, v in (dependencies or {}).items()}
        self.update_record(record, now)

    def update_record(self, record: ExecutionRecord | None, now: float | None = None) -> None:
        """Show a newer snapshot of the run. Running bars end at ``now``.

        Without ``now``, a live run follows the clock (repainting a few times a second
        until the record is final).
        """
        self._record = record
        self._follow_clock = now is None
        self._now = now if now is not None else self._clock()
        live = record is not None and not record.status.is_final and self._follow_clock
        if live and not self._live.isActive():
            self._live.start()
        elif not live:
            self._live.stop()
        self._recompute()

    def record(self) -> ExecutionRecord | None:
        """The run shown."""
        return self._record

    def critical_path(self) -> list[str]:
        """The highlighted critical path, upstream first."""
        return list(self._critical)

    def slowest(self) -> str | None:
        """The node tagged as slowest."""
        return self._slowest

    def rows(self) -> list[str]:
        """Node ids in row order, top to bottom."""
        return [node.node_id for node in self._rows]

    def set_selected(self, node_id: str | None) -> None:
        """Highlight the row of ``node_id`` (e.g. the canvas selection)."""
        self._selected = node_id
        self.update()

    def row_rect(self, node_id: str) -> QRectF:
        """Where a node's row is drawn (widget coordinates)."""
        index = self.rows().index(node_id)
        return QRectF(0, AXIS_HEIGHT + index * ROW_HEIGHT, self.width(), ROW_HEIGHT)

    def bar_rect(self, node_id: str) -> QRectF | None:
        """Where a node's bar is drawn; ``None`` for a node that never started."""
        index = self.rows().index(node_id)
        interval = node_interval(self._rows[index], self._now)
        if interval is None:
            return None
        left, right = self._x(interval[0]), self._x(interval[1])
        top = AXIS_HEIGHT + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2 - 2
        return QRectF(left, top, max(right - left, 3.0), BAR_HEIGHT)

    def node_at(self, pos: QPointF) -> str | None:
        """The node whose row is at ``pos``."""
        index = math.floor((pos.y() - AXIS_HEIGHT) / ROW_HEIGHT)
        if pos.y() < AXIS_HEIGHT or not 0 <= index < len(self._rows):
            return None
        return self._rows[index].node_id

    def tooltip_text(self, node_id: str) -> str:
        """What hovering a row shows: state, start, duration, credits."""
        node = next(n for n in self._rows if n.node_id == node_id)
        lines = [f"{node.label or node.node_id} — {state_label(node.status)}"]
        interval = node_interval(node, self._now)
        if interval is not None:
            lines.append(
                f"Started at +{format_duration((interval[0] - self._origin) * 1000)}, "
                f"took {format_duration(node_seconds(node, self._now) * 1000)}"
            )
        if node.credits or node.preview:
            suffix = " (preview — not charged)" if node.preview else ""
            lines.append(format_credits(node.credits) + suffix)
        if node.cached:
            lines.append("Reused from cache")
        if node.items:
            lines.append(f"{len(node.items)} batch items")
        if node_id in self._critical:
            lines.append("On the critical path")
        if node_id == self._slowest:
            lines.append("Slowest node")
        if node.error is not None:
            lines.append(f"{node.error.kind.value}: {node.error.message}")
        return "\n".join(lines)

    def sizeHint(self) -> QSize:
        return QSize(640, AXIS_HEIGHT + max(len(self._rows), 3) * ROW_HEIGHT + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(LABEL_WIDTH + 120, AXIS_HEIGHT + ROW_HEIGHT * min(len(self._rows), 3) + 8)

    # -- internals ---------------------------------------------------------------

    def _tick(self) -> None:
        if self._follow_clock:
            self._now = self._clock()
            self._recompute()

    def _recompute(self) -> None:
        record = self._record
        if record is None:
            self._rows, self._critical, self._slowest = [], [], None
        else:
            order = {node.node_id: i for i, node in enumerate(record.nodes)}
            self._rows = sorted(
                record.nodes,
                key=lambda n: (n.started_at is None, n.started_at or 0.0, order[n.node_id]),
            )
            self._critical = critical_path(record, self._dependencies, self._now)
            self._slowest = slowest_node(record, self._now)
        intervals = [i for n in self._rows if (i := node_interval(n, self._now)) is not None]
        starts = [i[0] for i in intervals]
        if record is not None and record.started_at is not None:
            starts.append(record.started_at)
        self._origin = min(starts) if starts else 0.0
        end = max((i[1] for i in intervals), default=self._origin)
        if record is not None and record.finished_at is not None:
            end = max(end, record.finished_at)
        self._span = max(end - self._origin, 0.001)
        self.setMinimumHeight(AXIS_HEIGHT + len(self._rows) * ROW_HEIGHT + 8)
        self.updateGeometry()
        self.update()

    def _x(self, at: float) -> float:
        width = max(self.width() - LABEL_WIDTH - RIGHT_MARGIN, 40)
        return LABEL_WIDTH + (at - self._origin) / self._span * width

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        grid = QColor(text)
        grid.setAlphaF(0.07)
        if not self._rows:
            painter.setPen(muted)
            painter.drawText(
                QRectF(self.rect()),
                Qt.AlignmentFlag.AlignCenter,
                _EMPTY_TEXT,
            )
            return
        self._paint_axis(painter, text, muted, grid)
        metrics = QFontMetricsF(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        # Paint only the rows inside the exposed area: a 100-row timeline inside a
        # scroll area otherwise costs ~20 ms a frame during a live run.
        exposed = event.rect()
        first = max(0, (exposed.top() - AXIS_HEIGHT) // ROW_HEIGHT)
        last = min(len(self._rows), (exposed.bottom() - AXIS_HEIGHT) // ROW_HEIGHT + 1)
        for index in range(first, last):
            node = self._rows[index]
            top = AXIS_HEIGHT + index * ROW_HEIGHT
            row = QRectF(0, top, self.width(), ROW_HEIGHT)
            if node.node_id == self._selected:
                painter.fillRect(row, palette.color(QPalette.ColorRole.Highlight).darker(160))
            elif index % 2:
                stripe = QColor(text)
                stripe.setAlphaF(0.025)
                painter.fillRect(row, stripe)
            critical = node.node_id in self._critical
            painter.setFont(bold if critical else self.font())
            painter.setPen(QColor(CRITICAL_COLOR) if critical else text)
            label = metrics.elidedText(
                node.label or node.node_id, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 26
            )
            painter.drawText(
                QRectF(18, top, LABEL_WIDTH - 24, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                label,
            )
            painter.setFont(self.font())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(state_color(node.status))
            painter.drawEllipse(QPointF(9, top + ROW_HEIGHT / 2), 3.5, 3.5)
            self._paint_bar(painter, node, index, muted)
        self._paint_critical_links(painter)
        if self._record is not None and not self._record.status.is_final and self._now:
            x = self._x(self._now)
            painter.setPen(QPen(state_color(NodeState.RUNNING), 1, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, AXIS_HEIGHT - 4), QPointF(x, self.height()))

    def _paint_axis(self, painter: QPainter, text: QColor, muted: QColor, grid: QColor) -> None:
        painter.setPen(QPen(grid, 1))
        painter.drawLine(QPointF(0, AXIS_HEIGHT - 0.5), QPointF(self.width(), AXIS_HEIGHT - 0.5))
        step = tick_step(self._span, max(2, (self.width() - LABEL_WIDTH - RIGHT_MARGIN) // 90))
        tick = 0.0
        while tick <= self._span + 1e-9:
            x = self._x(self._origin + tick)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(x, AXIS_HEIGHT - 5), QPointF(x, self.height()))
            painter.setPen(muted)
            painter.drawText(
                QRectF(x - 40, 4, 80, AXIS_HEIGHT - 10),
                Qt.AlignmentFlag.AlignCenter,
                tick_label(tick, step),
            )
            tick += step
        painter.setPen(muted)
        painter.drawText(
            QRectF(8, 4, LABEL_WIDTH - 16, AXIS_HEIGHT - 10),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            "Node",
        )

    def _paint_bar(self, painter: QPainter, node: NodeRecord, index: int, muted: QColor) -> None:
        top = AXIS_HEIGHT + index * ROW_HEIGHT
        bar = self.bar_rect(node.node_id)
        if bar is None:
            painter.setPen(muted)
            painter.drawText(
                QRectF(LABEL_WIDTH + 4, top, 200, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                state_label(node.status).lower(),
            )
            return
        color = state_color(node.status)
        critical = node.node_id in self._critical
        painter.setBrush(color if node.status != NodeState.RUNNING else color.darker(115))
        pen = QPen(QColor(CRITICAL_COLOR), 2) if critical else Qt.PenStyle.NoPen
        painter.setPen(pen)
        painter.drawRoundedRect(bar, 3, 3)
        if node.status == NodeState.RUNNING and node.progress is not None:
            done = QRectF(
                bar.left(), bar.top(), bar.width() * min(node.progress, 1.0), bar.height()
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color.lighter(125))
            painter.drawRoundedRect(done, 3, 3)
        for item in node.items:
            interval = node_interval(item, self._now)
            if interval is None:
                continue
            lane = item.index % 2
            y = bar.bottom() + 2 + lane * 3
            left, right = self._x(interval[0]), self._x(interval[1])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(state_color(item.status).lighter(110))
            painter.drawRect(QRectF(left, y, max(right - left, 2.0), 2))
        slowest = node.node_id == self._slowest
        note = format_duration(node_seconds(node, self._now) * 1000)
        if node.cached:
            note = "cached"
        painter.setPen(QColor(SLOWEST_COLOR) if slowest else muted)
        painter.drawText(
            QRectF(bar.right() + 6, top, RIGHT_MARGIN + 200, ROW_HEIGHT - 4),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            f"{note} · slowest" if slowest else note,
        )

    def _paint_critical_links(self, painter: QPainter) -> None:
        pen = QPen(QColor(CRITICAL_COLOR), 1.2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for upstream, downstream in zip(self._critical, self._critical[1:], strict=False):
            a, b = self.bar_rect(upstream), self.bar_rect(downstream)
            if a is None or b is None:
                continue
            start = QPointF(a.right(), a.center().y())
            corner = QPointF(max(a.right(), b.left() - 4), a.center().y())
            painter.drawLine(start, corner)
            painter.drawLine(corner, QPointF(corner.x(), b.top()))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        node_id = self.node_at(event.position())
        if node_id is not None and event.button() == Qt.MouseButton.LeftButton:
            self._selected = node_id
            self.update()
            self.node_clicked.emit(node_id)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()))
        rows = self.rows()
        if step is None or not rows:
            super().keyPressEvent(event)
            return
        index = rows.index(self._selected) + step if self._selected in rows else 0
        node_id = rows[min(max(index, 0), len(rows) - 1)]
        if node_id != self._selected:
            self._selected = node_id
            self.update()
            self.node_clicked.emit(node_id)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            node_id = self.node_at(QPointF(event.pos()))
            if node_id is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_text(node_id), self)
            return True
        return super().event(event)
