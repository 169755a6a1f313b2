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

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from engine.executor import NodeState
from widgets.run.common import format_credits, format_duration

GAP = 5.0
ROW = 24.0
BAR = 6.0
THUMB_H = 60.0
MAX_THUMBS = 4
CAPTION_H = 20.0
RADIUS = 7.0
#: Overlays changed per event-loop iteration when many nodes change at once.
SLICE = 20

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


def _border_pen(state: NodeState) -> QPen:
    pen = QPen(STATE_COLORS[state], 2.5)
    if state in _DASHED:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


# Pens and colours made once: a run's start repaints every node's overlay at once.
_BORDER_PENS = {state: _border_pen(state) for state in NodeState}
_PANEL_PENS = {
    state: QPen(QColor(color.red(), color.green(), color.blue(), 150), 1.0)
    for state, color in STATE_COLORS.items()
}
_PANEL_FILL = QColor(20, 22, 27, 235)
_CHIP_TEXT = QColor("#101216")
_FACTS_TEXT = QColor("#eef0f4")
_CAPTION_TEXT = QColor("#d6dae3")
_NO_TEXT = QStaticText("")


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
        """``"420 ms"``, ``"12.3 s"``, ``"2 min 05 s"`` (as every run panel); empty when unknown."""
        return "" if self.duration_ms is None else format_duration(self.duration_ms)

    def credits_text(self) -> str:
        """``"2 cr"``, ``"0.5 cr"`` (the panels' number, short unit); empty when unknown."""
        return "" if self.credits is None else format_credits(self.credits, short=True)


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
        # Texts laid out once per view, not on every paint (a run start paints them all).
        self._label = self._facts = _NO_TEXT
        self._caption: tuple[str, float, QStaticText] | None = None  # (text, width, laid out)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(1.0)
        # Most overlays do not change while others run (queued, done): repainting the
        # canvas then copies their last picture instead of drawing them again.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

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
        if view is not None:
            if self.view is None or _label(view) != self._label.text():
                self._label = _static(_label(view), bold=True)
            if self.view is None or _facts(view) != self._facts.text():
                self._facts = _static(_facts(view), bold=True)
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
        state = view.state
        color = STATE_COLORS[state]
        width, height = self._card_size()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(_BORDER_PENS[state])
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(-1.0, -1.0, width + 2.0, height + 2.0), RADIUS, RADIUS)

        panel = QRectF(0.0, height + GAP, max(width, self._badge_w), self._geometry[0])
        painter.setPen(_PANEL_PENS[state])
        painter.setBrush(_PANEL_FILL)
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
            painter.setPen(color if state == NodeState.FAILED else _CAPTION_TEXT)
            painter.setFont(_font(13))
            rect = QRectF(panel.left() + 7, y, panel.width() - 14, CAPTION_H)
            caption = self._caption
            if caption is None or caption[:2] != (view.caption, rect.width()):
                elided = _metrics(13).elidedText(
                    view.caption, Qt.TextElideMode.ElideRight, rect.width()
                )
                caption = self._caption = (view.caption, rect.width(), _static(elided))
            _draw_static(painter, caption[2], rect, left=True)
        painter.restore()

    def _paint_badges(
        self, painter: QPainter, view: NodeRunView, color: QColor, panel: QRectF
    ) -> None:
        painter.setFont(_font(13, bold=True))
        label = self._label
        chip_w = label.size().width() + 14.0
        chip = QRectF(panel.left() + 4, panel.top() + 3, chip_w, ROW - 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(chip, 4.0, 4.0)
        painter.setPen(_CHIP_TEXT)
        _draw_static(painter, label, chip)
        if self._facts.text():
            painter.setPen(_FACTS_TEXT)
            rest = QRectF(
                chip.right() + 6, chip.top(), panel.right() - chip.right() - 12, chip.height()
            )
            _draw_static(painter, self._facts, rest, right=True)

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


def _static(text: str, *, bold: bool = False) -> QStaticText:
    """``text`` laid out once in the overlay's font (13 px, bold for the badge row)."""
    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    static.prepare(font=_font(13, bold))
    return static


def _draw_static(
    painter: QPainter, text: QStaticText, rect: QRectF, *, left: bool = False, right: bool = False
) -> None:
    """Draw ``text`` centred vertically in ``rect``: centred, or against its left or right."""
    size = text.size()
    if left:
        x = rect.left()
    elif right:
        x = rect.right() - size.width()
    else:
        x = rect.left() + (rect.width() - size.width()) / 2
    painter.drawStaticText(QPointF(x, rect.top() + (rect.height() - size.height()) / 2), text)


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

    ``card_of`` finds a node's card (``None`` when it has none yet). A change of
    many nodes at once (a run starting: every node QUEUED; a past run chosen) is
    put on the cards :data:`SLICE` nodes per event-loop iteration, so drawing a
    hundred overlays never holds the GUI thread in one go; :meth:`get` tells the
    new state at once. ``context`` owns the timer of the later slices.
    """

    def __init__(
        self, card_of: Callable[[str], Any | None], context: QObject | None = None
    ) -> None:
        self._card_of = card_of
        self._context = context
        self._views: dict[str, NodeRunView] = {}
        self._pending: dict[str, None] = {}  # node ids still to put on their cards, in order
        self._scheduled = False

    def set(self, views: dict[str, NodeRunView], *, replace: bool = False) -> None:
        """Show ``views``; with ``replace`` every node not in ``views`` loses its results."""
        # The new results first, then the nodes losing theirs, then what was waiting.
        pending = dict.fromkeys(views)
        if replace:
            for node_id in [i for i in self._views if i not in views]:
                self._views.pop(node_id)
                pending[node_id] = None
        pending.update(self._pending)
        self._pending = pending
        self._views.update(views)
        if len(self._pending) <= SLICE:
            self._flush()  # the usual case (a few nodes changed): at once
        else:
            self._schedule()  # not on top of whatever the caller is doing

    def _flush(self) -> None:
        for node_id in list(self._pending)[:SLICE]:
            del self._pending[node_id]
            self.apply(node_id)
        if self._pending:
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            if self._context is not None:
                QTimer.singleShot(0, self._context, self._next_slice)
            else:
                QTimer.singleShot(0, self._next_slice)

    def _next_slice(self) -> None:
        self._scheduled = False
        self._flush()

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
        self._pending.clear()
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
