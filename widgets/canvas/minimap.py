"""An overview of the whole graph with the visible area outlined; click or drag to pan.

Drawn from the node cards' boxes and category colours rather than by rendering the
scene a second time, so it stays cheap on large graphs.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from widgets.canvas.items import NodeCard
from widgets.canvas.style import Theme
from widgets.canvas.viewer import PatchbayViewer


class Minimap(QWidget):
    """The graph in miniature; the rectangle is what the canvas shows."""

    def __init__(self, viewer: PatchbayViewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._viewer = viewer
        self._transform: tuple[float, float, float] = (1.0, 0.0, 0.0)  # scale, dx, dy
        self._dragging = False  # the map holds still while it is dragged
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(40)
        self._pending.timeout.connect(self.update)
        viewer.viewport_changed.connect(self.schedule_update)
        viewer.scene().changed.connect(self.schedule_update)
        self.setFixedSize(QSize(212, 132))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview — click or drag to move the view")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def schedule_update(self, *args: object) -> None:
        if self.isVisible() and not self._pending.isActive():
            self._pending.start()

    def _cards(self) -> list[NodeCard]:
        return [i for i in self._viewer.node_items() if isinstance(i, NodeCard)]

    def _layout(self, cards: list[NodeCard]) -> QRectF:
        view = self._viewer.visible_scene_rect()
        if self._dragging:
            return view
        world = QRectF()
        for card in cards:
            world = world.united(card.card_rect())
        world = view if world.isNull() else world.united(view)
        margin = max(world.width(), world.height()) * 0.04
        world = world.adjusted(-margin, -margin, margin, margin)
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        scale = min(
            inner.width() / max(world.width(), 1.0), inner.height() / max(world.height(), 1.0)
        )
        dx = inner.x() + (inner.width() - world.width() * scale) / 2 - world.x() * scale
        dy = inner.y() + (inner.height() - world.height() * scale) / 2 - world.y() * scale
        self._transform = (scale, dx, dy)
        return view

    def _to_map(self, rect: QRectF) -> QRectF:
        scale, dx, dy = self._transform
        return QRectF(
            rect.x() * scale + dx,
            rect.y() * scale + dy,
            rect.width() * scale,
            rect.height() * scale,
        )

    def _map_point(self, point: QPointF) -> QPointF:
        scale, dx, dy = self._transform
        return QPointF(point.x() * scale + dx, point.y() * scale + dy)

    def to_scene(self, point: QPointF) -> QPointF:
        """The scene point under a point of this widget."""
        scale, dx, dy = self._transform
        return QPointF((point.x() - dx) / scale, (point.y() - dy) / scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        frame = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(QColor(255, 255, 255, 28), 1.0))
        painter.setBrush(QColor(16, 18, 22, 225))
        painter.drawRoundedRect(frame, 8.0, 8.0)
        cards = self._cards()
        view = self._layout(cards)
        painter.setClipRect(frame.adjusted(2, 2, -2, -2))
        wire = QColor(255, 255, 255, 40)
        painter.setPen(QPen(wire, 1.0))
        for pipe in self._viewer.all_pipes():
            if pipe.input_port is None or pipe.output_port is None:
                continue
            a = self._map_point(pipe.output_port.sceneBoundingRect().center())
            b = self._map_point(pipe.input_port.sceneBoundingRect().center())
            painter.drawLine(a, b)
        painter.setPen(Qt.PenStyle.NoPen)
        for card in cards:
            box = self._to_map(card.card_rect())
            color = QColor(Theme.ERROR) if card.flagged else QColor(card.accent)
            if card.placeholder:
                color = QColor(Theme.PLACEHOLDER_BORDER)
            color.setAlpha(230 if card.isSelected() else 170)
            painter.setBrush(color)
            painter.drawRoundedRect(box, 1.5, 1.5)
        painter.setBrush(QColor(108, 182, 255, 26))
        painter.setPen(QPen(QColor(108, 182, 255, 200), 1.2))
        painter.drawRect(self._to_map(view))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._viewer.center_on_point(self.to_scene(event.position()))
            event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._dragging = False
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._viewer.center_on_point(self.to_scene(event.position()))
            event.accept()
