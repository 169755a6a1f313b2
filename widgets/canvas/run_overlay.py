"""Run results drawn on the canvas: one cheap overlay item per node card.

The app turns engine events into :class:`NodeRunView` values (pure data: state,
progress, time, credits, a ready-made thumbnail) and hands them to
:meth:`CanvasView.set_node_states`. Each card then gets a :class:`RunOverlay`
child item that paints a state-coloured border around the card and a result
panel under it: the state badge, elapsed time and credits, a progress bar while
running, and the output (thumbnails of images, or a caption such as the first
line of a text or "clip 5.0 s"). Nothing here reads files or embeds widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from engine.executor import NodeState

GAP = 5.0
ROW = 24.0
BAR = 6.0
THUMB_H = 60.0
MAX_THUMBS = 4
CAPTION_H = 20.0
RADIUS = 7.0

STATE_COLORS: dict[NodeState, QColor] = {
    NodeState.PENDING: QColor("#6b7280"),
    NodeState.QUEUED: QColor("#9aa3b2"),
    NodeState.RUNNING: QColor("#4fb8ff"),
    NodeState.COMPLETED: QColor("#3ecf8e"),
    NodeState.CACHED: QColor("#b392f0"),
    NodeState.FAILED: QColor("#ff5d5d"),
    NodeState.SKIPPED: QColor("#7d828c"),
    NodeState.CANCELLED: QColor("#f5a524"),
}

STATE_LABELS: dict[NodeState, str] = {
    NodeState.PENDING: "PENDING",
    NodeState.QUEUED: "QUEUED",
    NodeState.RUNNING: "RUNNING",
    NodeState.COMPLETED: "✓ DONE",
    NodeState.CACHED: "↺ CACHED",
    NodeState.FAILED: "✕ FAILED",
    NodeState.SKIPPED: "SKIPPED",
    NodeState.CANCELLED: "■ CANCELLED",
}

_DASHED = (NodeState.SKIPPED, NodeState.CANCELLED, NodeState.QUEUED)


@dataclass(frozen=True)
class NodeRunView:
    """What the canvas shows of one node's run (built by the app, drawn by the canvas).

    ``thumbnails`` are small images of image/video outputs (already scaled);
    ``caption`` is a one-line summary of other outputs ("clip 5.0 s", the first
    line of a text) or the error of a failed node. ``more`` counts outputs not
    shown as thumbnails.
    """

    state: NodeState
    progress: float | None = None
    duration_ms: float | None = None
    credits: float | None = None
    caption: str = ""
    thumbnails: tuple[QImage, ...] = field(default=(), compare=False)
    more: int = 0

    def time_text(self) -> str:
        """``"0.42 s"``, ``"12.3 s"``, ``"2 min 5 s"``; empty when unknown."""
        if self.duration_ms is None:
            return ""
        seconds = self.duration_ms / 1000
        if seconds < 1:
            return f"{seconds:.2f} s"
        if seconds < 60:
            return f"{seconds:.1f} s"
        return f"{int(seconds // 60)} min {round(seconds % 60)} s"

    def credits_text(self) -> str:
        """``"2 cr"``, ``"0.5 cr"``; empty when unknown."""
        if self.credits is None:
            return ""
        value = f"{self.credits:.2f}".rstrip("0").rstrip(".")
        return f"{value} cr"


@cache
def _metrics(size: float, bold: bool = False) -> QFontMetricsF:
    return QFontMetricsF(_font(size, bold))


@cache
def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(round(size))
    if bold:
        font.setWeight(QFont.Weight.Bold)
    return font


class RunOverlay(QGraphicsItem):
    """A node card's run state: border, badge row, progress bar and outputs.

    A child of the card, so it moves with it; only the panel under the card takes
    part in hit tests, so ports and the card itself stay fully usable.
    """

    def __init__(self, card: Any) -> None:
        super().__init__(card)
        self._card = card
        self.view: NodeRunView | None = None
        self._badge_w = 0.0
        self._geometry = (0.0, 0.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(1.0)

    def _card_size(self) -> tuple[float, float]:
        return float(self._card._width), float(self._card._height)

    def panel_height(self) -> float:
        return _panel_height(self.view)

    def set_view(self, view: NodeRunView | None) -> None:
        if view == self.view and view is not None and not view.thumbnails:
            return
        badge = _badge_width(view)
        geometry = (_panel_height(view), badge)
        if geometry != self._geometry:
            # Only a change of size re-indexes the scene; progress ticks just repaint.
            self.prepareGeometryChange()
            self._geometry = geometry
        self.view = view
        self._badge_w = badge
        self.setToolTip(_tooltip(view))
        self.update()

    def boundingRect(self) -> QRectF:
        width, height = self._card_size()
        width = max(width, self._badge_w)
        return QRectF(-4.0, -4.0, width + 8.0, height + GAP + self.panel_height() + 8.0)

    def panel_rect(self) -> QRectF:
        width, height = self._card_size()
        return QRectF(0.0, height + GAP, max(width, self._badge_w), self.panel_height())

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        if self.view is not None:
            path.addRect(self.panel_rect())
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        view = self.view
        if view is None:
            return
        color = STATE_COLORS[view.state]
        width, height = self._card_size()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(color, 2.5)
        if view.state in _DASHED:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(-1.0, -1.0, width + 2.0, height + 2.0), RADIUS, RADIUS)

        panel = self.panel_rect()
        painter.setPen(QPen(QColor(color.red(), color.green(), color.blue(), 150), 1.0))
        painter.setBrush(QColor(20, 22, 27, 235))
        painter.drawRoundedRect(panel, 5.0, 5.0)
        self._paint_badges(painter, view, color, panel)
        y = panel.top() + ROW + 2.0
        if view.state == NodeState.RUNNING:
            self._paint_progress(
                painter, view, color, QRectF(panel.left() + 6, y, panel.width() - 12, BAR)
            )
            y += BAR + 4.0
        if view.thumbnails:
            self._paint_thumbnails(
                painter, view, QRectF(panel.left() + 6, y, panel.width() - 12, THUMB_H)
            )
            y += THUMB_H + 4.0
        if view.caption:
            text_color = (
                STATE_COLORS[NodeState.FAILED]
                if view.state == NodeState.FAILED
                else QColor("#d6dae3")
            )
            painter.setPen(text_color)
            font = _font(13)
            painter.setFont(font)
            rect = QRectF(panel.left() + 7, y, panel.width() - 14, CAPTION_H)
            text = _metrics(13).elidedText(view.caption, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(
                rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text
            )
        painter.restore()

    def _paint_badges(
        self, painter: QPainter, view: NodeRunView, color: QColor, panel: QRectF
    ) -> None:
        font = _font(13, bold=True)
        painter.setFont(font)
        metrics = _metrics(13, bold=True)
        label = _label(view)
        chip_w = metrics.horizontalAdvance(label) + 14.0
        chip = QRectF(panel.left() + 4, panel.top() + 3, chip_w, ROW - 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(chip, 4.0, 4.0)
        painter.setPen(QColor("#101216"))
        painter.drawText(chip, int(Qt.AlignmentFlag.AlignCenter), label)
        facts = _facts(view)
        if facts:
            painter.setPen(QColor("#eef0f4"))
            rest = QRectF(
                chip.right() + 6, chip.top(), panel.right() - chip.right() - 12, chip.height()
            )
            painter.drawText(
                rest, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), facts
            )

    def _paint_progress(
        self, painter: QPainter, view: NodeRunView, color: QColor, rect: QRectF
    ) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 30))
        painter.drawRoundedRect(rect, 3.0, 3.0)
        if view.progress is not None:
            done = QRectF(
                rect.left(),
                rect.top(),
                rect.width() * max(0.0, min(1.0, view.progress)),
                rect.height(),
            )
            painter.setBrush(color)
            painter.drawRoundedRect(done, 3.0, 3.0)

    def _paint_thumbnails(self, painter: QPainter, view: NodeRunView, rect: QRectF) -> None:
        x = rect.left()
        shown = view.thumbnails[:MAX_THUMBS]
        slots = len(shown) + (0.6 if view.more else 0.0)
        slot = min(rect.width() / max(slots, 1.0) - 4.0, rect.width())
        for image in shown:
            if image.isNull():
                continue
            scale = min(slot / image.width(), rect.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            target = QRectF(x, rect.top() + (rect.height() - h) / 2, w, h)
            painter.drawImage(target, image)
            x += w + 4.0
        if view.more:
            painter.setPen(QColor("#eef0f4"))
            painter.setFont(_font(12, bold=True))
            painter.drawText(
                QRectF(x, rect.top(), rect.right() - x, rect.height()),
                int(Qt.AlignmentFlag.AlignCenter),
                f"+{view.more}",
            )


def _panel_height(view: NodeRunView | None) -> float:
    if view is None:
        return 0.0
    height = ROW
    if view.state == NodeState.RUNNING:
        height += BAR + 4.0
    if view.thumbnails:
        height += THUMB_H + 4.0
    if view.caption:
        height += CAPTION_H
    return height + 6.0


def _badge_width(view: NodeRunView | None) -> float:
    """How wide the badge row must be (running: room for "RUNNING 100 %")."""
    if view is None:
        return 0.0
    metrics = _metrics(13, bold=True)
    facts = _facts(view)
    label = "RUNNING 100 %" if view.state == NodeState.RUNNING else _label(view)
    chip = metrics.horizontalAdvance(label) + 14.0
    return chip + (metrics.horizontalAdvance(facts) + 18.0 if facts else 8.0)


def _label(view: NodeRunView) -> str:
    if view.state == NodeState.RUNNING and view.progress is not None:
        return f"RUNNING {round(view.progress * 100)} %"
    return STATE_LABELS[view.state]


def _facts(view: NodeRunView) -> str:
    return "  ·  ".join(t for t in (view.time_text(), view.credits_text()) if t)


def _tooltip(view: NodeRunView | None) -> str:
    if view is None:
        return ""
    parts = [STATE_LABELS[view.state]]
    parts += [t for t in (view.time_text(), view.credits_text()) if t]
    text = " · ".join(parts)
    if view.caption:
        text += f"\n{view.caption}"
    return text


def overlay_of(card: Any) -> RunOverlay | None:
    """The overlay already attached to ``card``, if any."""
    for child in card.childItems():
        if isinstance(child, RunOverlay):
            return child
    return None


def apply_view(card: Any, view: NodeRunView | None) -> RunOverlay | None:
    """Show ``view`` on ``card`` (``None`` removes the overlay)."""
    overlay = overlay_of(card)
    if view is None:
        if overlay is not None:
            overlay.set_view(None)
        return overlay
    if overlay is None:
        overlay = RunOverlay(card)
    overlay.set_view(view)
    return overlay


def overlay_scene_rect(card: Any) -> QRectF:
    """The card plus its result panel, in scene coordinates."""
    overlay = overlay_of(card)
    rect: QRectF = card.card_rect()
    if overlay is not None and overlay.view is not None:
        rect = rect.united(overlay.mapRectToScene(overlay.panel_rect()))
    return rect


class RunViews:
    """The run results shown on the canvas, kept by node id so they outlive rebuilt cards.

    ``card_of`` finds a node's card (``None`` when it has none yet).
    """

    def __init__(self, card_of: Callable[[str], Any | None]) -> None:
        self._card_of = card_of
        self._views: dict[str, NodeRunView] = {}

    def set(self, views: dict[str, NodeRunView], *, replace: bool = False) -> None:
        """Show ``views``; with ``replace`` every node not in ``views`` loses its results."""
        if replace:
            for node_id in set(self._views) - set(views):
                self._views.pop(node_id)
                self.apply(node_id)
        for node_id, view in views.items():
            self._views[node_id] = view
            self.apply(node_id)

    def get(self, node_id: str) -> NodeRunView | None:
        """What is shown of ``node_id``'s run (``None``: nothing)."""
        return self._views.get(node_id)

    def apply(self, node_id: str) -> None:
        """Put ``node_id``'s results (or none) on its current card."""
        card = self._card_of(node_id)
        if card is not None:
            apply_view(card, self._views.get(node_id))

    def apply_all(self) -> None:
        """Put every kept result on its current card (after the cards were rebuilt)."""
        for node_id in self._views:
            self.apply(node_id)


__all__ = [
    "STATE_COLORS",
    "NodeRunView",
    "RunOverlay",
    "RunViews",
    "apply_view",
    "overlay_scene_rect",
]
