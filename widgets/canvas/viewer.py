"""NodeGraphQt's graph and viewer, adapted so every gesture becomes a request to the canvas.

NodeGraphQt records each edit on its own undo stack and changes its session
directly. Here its stack is a :class:`DiscardingUndoStack` (commands run, nothing
is recorded, so there is no parallel history and no Ctrl+Z of its own), the viewer
gets no undo actions, and the graph's slots that would edit the session are
replaced by signals. The canvas turns those signals into undo commands on the
document; the document's signals then update the session.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from NodeGraphQt import NodeGraph
from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.port import PortItem
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPolygonF,
    QUndoCommand,
    QUndoStack,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
)

from widgets.canvas.items import NodeCard, TypedPipe, TypedPortItem
from widgets.canvas.rules import Verdict
from widgets.canvas.style import Theme, port_style
from widgets.node_types import NODE_TYPE_MIME, node_type_from_mime

Judge = Callable[[PortItem, PortItem], Verdict]


@contextmanager
def _old_qt_calls() -> Iterator[None]:
    """NodeGraphQt's mouse handlers call Qt 5 APIs that PySide6 deprecates (``event.pos()``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "(?s).*marked as deprecated", DeprecationWarning)
        yield


class DiscardingUndoStack(QUndoStack):
    """An undo stack that runs what is pushed and keeps nothing.

    NodeGraphQt pushes a command for every change it makes to its session (even
    selecting a node); those changes mirror the document, whose own commands are
    the history, so they are applied and forgotten.
    """

    def push(self, cmd: QUndoCommand) -> None:
        cmd.redo()

    def beginMacro(self, text: str) -> None:
        return None

    def endMacro(self) -> None:
        return None


class _Notice(QGraphicsItem):
    """A small dark pill beside the cursor saying why a wire is refused."""

    def __init__(self) -> None:
        super().__init__()
        self._text = ""
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self.setZValue(100)
        self.setVisible(False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)

    def show_text(self, text: str, at: QPointF) -> None:
        if text != self._text:
            self.prepareGeometryChange()
            self._text = text
        self.setPos(at)
        self.setVisible(True)

    def _rect(self) -> QRectF:
        width = QFontMetricsF(self._font).horizontalAdvance(self._text)
        return QRectF(14.0, 14.0, width + 20.0, 24.0)

    def boundingRect(self) -> QRectF:
        return self._rect().adjusted(-1, -1, 1, 1)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        rect = self._rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(Theme.ERROR, 1.0))
        painter.setBrush(Theme.TOOLTIP_BG)
        painter.drawRoundedRect(rect, 6.0, 6.0)
        painter.setFont(self._font)
        painter.setPen(QColor("#ffd7d7"))
        painter.drawText(
            rect.adjusted(10, 0, -10, 0), int(Qt.AlignmentFlag.AlignVCenter), self._text
        )


class PatchbayViewer(NodeViewer):  # type: ignore[misc]
    """The canvas view: NodeGraphQt's viewer with typed wires and Patchbay gestures."""

    nodes_dragged = Signal(object)  # {node item: (old xy, new xy)}
    quick_add = Signal(QPointF, object)  # scene pos, start PortItem | None
    node_type_dropped = Signal(str, QPointF)
    delete_pressed = Signal()
    context_menu = Signal(object, QPointF)  # global QPoint, scene pos
    gesture_finished = Signal()  # a wire drag or slice ended: wire items may need repair
    message = Signal(str)
    viewport_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent, undo_stack=None)
        self.judge: Judge | None = None
        self._press_positions: dict[AbstractNodeItem, list[float]] = {}
        self._hover_target: TypedPortItem | None = None
        self._notice = _Notice()
        self.scene().addItem(self._notice)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        self.setCacheMode(self.CacheModeFlag.CacheNone)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)

    # -- background ------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, Theme.BACKGROUND)
        scale = self.transform().m11()
        grid = 24.0
        while grid * scale < 10.0:
            grid *= 4.0
        left = math.floor(rect.left() / grid) * grid
        top = math.floor(rect.top() / grid) * grid
        points = QPolygonF()
        y = top
        while y < rect.bottom():
            x = left
            while x < rect.right():
                points.append(QPointF(x, y))
                x += grid
            y += grid
        pen = QPen(Theme.GRID_DOT, 1.6 / max(scale, 0.2))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPoints(points)

    def _update_scene(self) -> None:
        super()._update_scene()
        self.viewport_changed.emit()

    # -- wires -----------------------------------------------------------------

    def establish_connection(self, start_port: PortItem, end_port: PortItem) -> TypedPipe:
        """Draw a wire between two port items (no model change)."""
        pipe = TypedPipe()
        self.scene().addItem(pipe)
        pipe.set_connections(start_port, end_port)
        out = pipe.output_port
        pipe.set_data_type(out.data_type if isinstance(out, TypedPortItem) else None)
        pipe.draw_path(pipe.input_port, pipe.output_port)
        if start_port.node.selected or end_port.node.selected:
            pipe.highlight()
        return pipe

    def _validate_accept_connection(self, from_port: PortItem, to_port: PortItem) -> bool:
        return True

    def _validate_reject_connection(self, from_port: PortItem, to_port: PortItem) -> bool:
        return not self._verdict(from_port, to_port).allowed

    def _verdict(self, from_port: PortItem, to_port: PortItem) -> Verdict:
        if self.judge is None:
            return Verdict(True)
        return self.judge(from_port, to_port)

    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.scene().items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def _set_hover_target(self, port: TypedPortItem | None) -> None:
        if self._hover_target is not None and self._hover_target is not port:
            self._hover_target.set_refused(False)
        self._hover_target = port

    def sceneMouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """While a wire is dragged: colour it by type, and say why a port is refused."""
        start = self._start_port
        if not self._LIVE_PIPE.isVisible() or start is None:
            return
        pos = event.scenePos()
        end = self._port_at(pos)
        color = port_style(getattr(start, "data_type", None)).color
        target: TypedPortItem | None = None
        if end is not None and end is not start:
            center = end.scenePos() + end.boundingRect().center()
            verdict = self._verdict(start, end)
            if isinstance(end, TypedPortItem):
                target = end
                end.set_refused(not verdict.allowed)
            if verdict.allowed:
                self._notice.setVisible(False)
            else:
                color = QColor(Theme.ERROR)
                self._notice.show_text(verdict.reason, pos)
                if self._hover_target is not end:
                    self.message.emit(verdict.reason)
            pos = center
        else:
            self._notice.setVisible(False)
        self._set_hover_target(target)
        self._LIVE_PIPE.set_pipe_styling(color=color.getRgb(), width=2, style=1)
        self._LIVE_PIPE.draw_path(start, cursor_pos=pos, color=color.getRgb()[:3])

    def apply_live_connection(self, event: QGraphicsSceneMouseEvent) -> None:
        if not self._LIVE_PIPE.isVisible() or self._start_port is None:
            super().apply_live_connection(event)
            return
        start = self._start_port
        end = self._port_at(event.scenePos())
        wants_node = end is None and self._detached_port is None
        if end is not None and end is not start:
            verdict = self._verdict(start, end)
            if not verdict.allowed:
                self.message.emit(verdict.reason)
        super().apply_live_connection(event)
        self._notice.setVisible(False)
        self._set_hover_target(None)
        if self._LIVE_PIPE.isVisible():
            return  # a click on the start port: the wire waits for a second click
        self.gesture_finished.emit()
        if wants_node:
            self.quick_add.emit(event.scenePos(), start)

    @property
    def detached_port(self) -> PortItem | None:
        """While a wire is being re-plugged, the port at its other (fixed) end."""
        port: PortItem | None = self._detached_port
        return port

    def _on_pipes_sliced(self, path: Any) -> None:
        super()._on_pipes_sliced(path)
        self.gesture_finished.emit()

    def start_live_connection(self, selected_port: PortItem) -> None:
        super().start_live_connection(selected_port)
        color = port_style(getattr(selected_port, "data_type", None)).color
        self._LIVE_PIPE.set_pipe_styling(color=color.getRgb(), width=2, style=1)
        self._LIVE_PIPE._idx_text.setDefaultTextColor(Theme.PORT_LABEL)

    # -- moves -----------------------------------------------------------------

    def node_items(self) -> list[AbstractNodeItem]:
        return [i for i in self.scene().items() if isinstance(i, AbstractNodeItem)]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {i: i.xy_pos for i in self.node_items()}
        self._sync_modifiers(event.modifiers())
        with _old_qt_calls():
            super().mousePressEvent(event)

    def _sync_modifiers(self, mods: Qt.KeyboardModifier) -> None:
        # NodeGraphQt tracks modifiers from key events only, and Qt 6 leaves Shift out
        # of the Shift key's own press event: read them again when the mouse goes down.
        alt = Qt.KeyboardModifier.AltModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        both = mods == (alt | shift)
        self.ALT_state = mods == alt or both
        self.SHIFT_state = mods == shift or both
        self.CTRL_state = mods == Qt.KeyboardModifier.ControlModifier

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        with _old_qt_calls():
            super().mouseMoveEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        with _old_qt_calls():
            super().wheelEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        with _old_qt_calls():
            super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or not self._press_positions:
            return
        moved = {
            item: (old, item.xy_pos)
            for item, old in self._press_positions.items()
            if item.scene() is not None and item.xy_pos != old
        }
        self._press_positions = {}
        if moved:
            self.nodes_dragged.emit(moved)

    # -- keys and drops --------------------------------------------------------

    def is_editing_text(self) -> bool:
        """Whether a text on the canvas (a backdrop title) is being edited."""
        focus = self.scene().focusItem()
        flags = getattr(focus, "textInteractionFlags", None)
        return callable(flags) and flags() != Qt.TextInteractionFlag.NoTextInteraction

    def event(self, event: QEvent) -> bool:
        # Tab would move the keyboard focus; on the canvas it opens quick-add.
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
            and not event.modifiers()
            and not self.is_editing_text()
        ):
            self.quick_add.emit(self.cursor_scene_pos(), None)
            return True
        return bool(super().event(event))

    def cursor_scene_pos(self) -> QPointF:
        """The mouse position in the scene, or the view's centre when the mouse is elsewhere."""
        local = self.mapFromGlobal(QCursor.pos())
        if not self.rect().contains(local):
            local = self.rect().center()
        return QPointF(self.mapToScene(local))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.RMB_state = False
        self.context_menu.emit(event.globalPos(), self.mapToScene(event.pos()))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
        if event.key() in keys and not self.is_editing_text():
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if not data.hasFormat(NODE_TYPE_MIME):
            event.ignore()
            return
        type_id = node_type_from_mime(data)
        if not type_id:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.node_type_dropped.emit(type_id, self.mapToScene(event.position().toPoint()))

    # -- framing ---------------------------------------------------------------

    def frame_rect(self, rect: QRectF, *, max_scale: float = 1.0, margin: float = 60.0) -> None:
        """Show ``rect`` (scene coordinates) whole, zooming in no further than ``max_scale``."""
        if rect.isNull() or self.width() <= 0 or self.height() <= 0:
            return
        rect = rect.adjusted(-margin, -margin, margin, margin)
        aspect = self.width() / self.height()
        if rect.width() / rect.height() > aspect:
            h = rect.width() / aspect
            rect = QRectF(rect.x(), rect.center().y() - h / 2, rect.width(), h)
        else:
            w = rect.height() * aspect
            rect = QRectF(rect.center().x() - w / 2, rect.y(), w, rect.height())
        min_w = self.width() / max_scale
        if rect.width() < min_w:
            center = rect.center()
            rect = QRectF(0, 0, min_w, min_w / aspect)
            rect.moveCenter(center)
        self._scene_range = rect
        self._update_scene()

    def set_scale(self, scale: float, center: QPointF) -> None:
        """Zoom to ``scale`` (1.0 is 100 %) with ``center`` in the middle of the view."""
        rect = QRectF(0.0, 0.0, self.width() / scale, self.height() / scale)
        rect.moveCenter(center)
        self._scene_range = rect
        self._update_scene()

    def center_on_point(self, point: QPointF) -> None:
        """Pan so ``point`` (scene coordinates) is in the middle of the view."""
        self._scene_range.moveCenter(point)
        self._update_scene()

    def visible_scene_rect(self) -> QRectF:
        return QRectF(self.mapToScene(self.viewport().rect()).boundingRect())


class PatchbayGraph(NodeGraph):  # type: ignore[misc]
    """NodeGraphQt's controller with its editing slots turned into signals."""

    wires_changed = Signal(list, list)  # disconnected, connected: [(PortItem, PortItem)]
    wires_sliced = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        self._discard = DiscardingUndoStack()
        super().__init__(parent, undo_stack=self._discard, viewer=PatchbayViewer())
        self.set_acyclic(False)  # loops are refused by the canvas, with a reason
        self.set_pipe_collision(False)
        self.disable_context_menu(True)

    @property
    def patchbay_viewer(self) -> PatchbayViewer:
        viewer: PatchbayViewer = self._viewer
        return viewer

    def _on_connection_changed(self, disconnected: list[Any], connected: list[Any]) -> None:
        if disconnected or connected:
            self.wires_changed.emit(list(disconnected), list(connected))

    def _on_connection_sliced(self, ports: list[Any]) -> None:
        if ports:
            self.wires_sliced.emit(list(ports))

    # Edits the canvas makes itself (or does not offer) must not touch the session here.
    def _on_nodes_moved(self, node_data: Any) -> None:
        return None

    def _on_insert_node(self, pipe: Any, node_id: str, prev_node_pos: Any) -> None:
        return None

    def _on_node_name_changed(self, node_id: str, name: str) -> None:
        return None

    def _on_search_triggered(self, node_type: str, pos: Any) -> None:
        return None

    def _on_node_data_dropped(self, mimedata: Any, pos: Any) -> None:
        return None

    def _on_node_backdrop_updated(self, node_id: str, update_property: str, value: Any) -> None:
        return None


def port_is_output(port: PortItem) -> bool:
    return bool(port.port_type == PortTypeEnum.OUT.value)


def card_of(port: PortItem) -> NodeCard:
    node: NodeCard = port.node
    return node
