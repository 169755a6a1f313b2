"""The graphics items of the canvas: node cards, typed ports, wires and backdrops.

Node cards and ports are NodeGraphQt items restyled (dark card, category accent,
port glyph per port type); a card never embeds widgets, parameters live in the
properties panel. Backdrops are plain Qt items: their box follows their nodes.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from NodeGraphQt import BaseNode
from NodeGraphQt.constants import PortTypeEnum
from NodeGraphQt.qgraphics.node_base import NodeItem
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.qgraphics.port import PortItem
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from engine.catalog.spec import PortType
from widgets.canvas.style import FontRole, Theme, canvas_font, paint_port, port_style

HEADER_HEIGHT = 30.0
ROW_HEIGHT = 22.0
MIN_WIDTH = 176.0
RADIUS = 7.0
SHADOW = 8.0


class TypedPortItem(PortItem):  # type: ignore[misc]
    """A port drawn with its type's colour and shape (hollow until wired)."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.data_type: PortType | None = None
        self.is_list = False
        self.refused = False

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        size = 11.0
        center = self.boundingRect().center()
        rect = QRectF(center.x() - size / 2, center.y() - size / 2, size, size)
        paint_port(
            painter,
            rect,
            self.data_type,
            is_list=self.is_list,
            connected=bool(self.connected_pipes),
            hovered=self.hovered,
            refused=self.refused,
        )

    def set_refused(self, refused: bool) -> None:
        if refused != self.refused:
            self.refused = refused
            self.update()


class NodeCard(NodeItem):  # type: ignore[misc]
    """A node drawn as a dark card: a titled header with a category accent, then ports."""

    def __init__(self, name: str = "node", parent: QGraphicsItem | None = None) -> None:
        super().__init__(name, parent)
        self._icon_item.setPixmap(QPixmap())
        self._text_item.set_locked(True)
        self._text_item.setFont(canvas_font(FontRole.TITLE))
        self._text_item.setDefaultTextColor(Theme.NODE_TITLE)
        self.title = name
        self.badge = ""
        self.accent = QColor(Theme.PLACEHOLDER_BORDER)
        self.placeholder = False
        self.flagged = False
        self.base_tooltip = ""
        self._problems: list[str] = []

    # NodeGraphQt's name is the node id (unique); the visible title is separate.
    @property
    def name(self) -> str:
        return str(self._properties["name"])

    @name.setter
    def name(self, name: str = "") -> None:
        self._properties["name"] = name

    @property
    def icon(self) -> None:
        return None

    @icon.setter
    def icon(self, path: str | None = None) -> None:
        """Cards carry no icon (NodeGraphQt would restore its default one)."""

    def boundingRect(self) -> QRectF:
        # Room for the soft shadow under the card.
        return QRectF(-SHADOW, -SHADOW / 2, self._width + 2 * SHADOW, self._height + 2 * SHADOW)

    def card_rect(self) -> QRectF:
        """The card itself (without its shadow), in scene coordinates."""
        return QRectF(self.mapRectToScene(QRectF(0.0, 0.0, self._width, self._height)))

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0.0, 0.0, self._width, self._height), RADIUS, RADIUS)
        return path

    def set_look(
        self, title: str, badge: str, accent: QColor, *, placeholder: bool, tooltip: str
    ) -> None:
        """Set what the card shows; call :meth:`draw_node` afterwards to re-layout."""
        self.title = title
        self.badge = badge
        self.accent = QColor(accent)
        self.placeholder = placeholder
        self.base_tooltip = tooltip
        self._text_item.setPlainText(title)
        color = Theme.PLACEHOLDER_TEXT if placeholder else Theme.NODE_TITLE
        self._text_item.setDefaultTextColor(color)
        self._apply_tooltip()

    def set_flagged(self, flagged: bool, messages: list[str] | None = None) -> None:
        """Mark (or clear) the card as having validation problems."""
        self.flagged = flagged
        self._problems = list(messages or [])
        self._apply_tooltip()
        self.update()

    def _apply_tooltip(self) -> None:
        text = self.base_tooltip
        if self.flagged and self._problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in self._problems[:6])
            text += f"<p style='color:#ff7b7b'><b>Problems</b></p><ul>{items}</ul>"
        self.setToolTip(text)

    def _tooltip_disable(self, state: bool) -> None:
        self._apply_tooltip()

    def _set_text_color(self, color: Any) -> None:
        """Port labels and title keep the card's own colours."""

    # -- ports -----------------------------------------------------------------

    def _add_port(self, port: PortItem) -> PortItem:
        # A plain text item per label: far cheaper than NodeGraphQt's QGraphicsTextItem.
        label = QGraphicsSimpleTextItem(port.name, self)
        label.setFont(canvas_font(FontRole.LABEL))
        label.setBrush(Theme.PORT_LABEL)
        label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        items = self._input_items if port.port_type == PortTypeEnum.IN.value else self._output_items
        items[port] = label
        if self.scene():
            self.draw_node()
        return port

    def _typed_port(self, name: str, multi: bool, port_type: str) -> TypedPortItem:
        port = TypedPortItem(self)
        port.name = name
        port.port_type = port_type
        port.multi_connection = multi
        port.display_name = True
        self._add_port(port)
        return port

    def add_input(
        self,
        name: str = "input",
        multi_port: bool = False,
        display_name: bool = True,
        locked: bool = False,
        painter_func: Callable[..., None] | None = None,
    ) -> TypedPortItem:
        return self._typed_port(name, multi_port, PortTypeEnum.IN.value)

    def add_output(
        self,
        name: str = "output",
        multi_port: bool = False,
        display_name: bool = True,
        locked: bool = False,
        painter_func: Callable[..., None] | None = None,
    ) -> TypedPortItem:
        return self._typed_port(name, multi_port, PortTypeEnum.OUT.value)

    def port_label(self, port: PortItem) -> QGraphicsSimpleTextItem:
        items = self._input_items if port.port_type == PortTypeEnum.IN.value else self._output_items
        label: QGraphicsSimpleTextItem = items[port]
        return label

    # -- layout ----------------------------------------------------------------

    def calc_size(self, add_w: float = 0.0, add_h: float = 0.0) -> tuple[float, float]:
        title_w = QFontMetricsF(canvas_font(FontRole.TITLE)).horizontalAdvance(self.title)
        badge_w = (
            QFontMetricsF(canvas_font(FontRole.SMALL)).horizontalAdvance(self.badge)
            if self.badge
            else 0.0
        )
        in_w = max((t.boundingRect().width() for t in self._input_items.values()), default=0.0)
        out_w = max((t.boundingRect().width() for t in self._output_items.values()), default=0.0)
        width = max(MIN_WIDTH, title_w + badge_w + 44.0, in_w + out_w + 40.0)
        rows = max(len(self._input_items), len(self._output_items))
        height = HEADER_HEIGHT + max(rows * ROW_HEIGHT, 16.0) + 10.0
        if self.placeholder:
            height += 16.0
        return width + add_w, height + add_h

    def draw_node(self) -> None:
        self._width, self._height = self.calc_size()
        text_h = self._text_item.boundingRect().height()
        self._text_item.setPos(10.0, (HEADER_HEIGHT - text_h) / 2 + 0.5)
        top = HEADER_HEIGHT + (16.0 if self.placeholder else 0.0) + 4.0
        for row, (port, text) in enumerate(self._input_items.items()):
            port_h = port.boundingRect().height()
            y = top + row * ROW_HEIGHT + (ROW_HEIGHT - port_h) / 2
            port.setPos(-port.boundingRect().width() / 2, y)
            text.setPos(
                9.0, top + row * ROW_HEIGHT + (ROW_HEIGHT - text.boundingRect().height()) / 2
            )
        for row, (port, text) in enumerate(self._output_items.items()):
            port_h = port.boundingRect().height()
            y = top + row * ROW_HEIGHT + (ROW_HEIGHT - port_h) / 2
            port.setPos(self._width - port.boundingRect().width() / 2, y)
            text_w = text.boundingRect().width()
            text.setPos(
                self._width - 9.0 - text_w,
                top + row * ROW_HEIGHT + (ROW_HEIGHT - text.boundingRect().height()) / 2,
            )
        self.update()

    # -- painting --------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: Any = None
    ) -> None:
        self.auto_switch_mode()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = QRectF(0.5, 0.5, self._width - 1.0, self._height - 1.0)
        body = Theme.PLACEHOLDER_BODY if self.placeholder else Theme.NODE_BODY
        painter.setPen(Qt.PenStyle.NoPen)
        if not self._proxy_mode:
            for spread, alpha in ((7.0, 14), (4.5, 22), (2.0, 34)):
                painter.setBrush(QColor(0, 0, 0, alpha))
                shadow = rect.adjusted(-spread / 2, spread / 3, spread / 2, spread)
                painter.drawRoundedRect(shadow, RADIUS + spread / 2, RADIUS + spread / 2)
        painter.setBrush(body)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)

        header = QPainterPath()
        header.addRoundedRect(
            QRectF(rect.x(), rect.y(), rect.width(), HEADER_HEIGHT), RADIUS, RADIUS
        )
        square = QPainterPath()
        square.addRect(
            QRectF(rect.x(), rect.y() + HEADER_HEIGHT / 2, rect.width(), HEADER_HEIGHT / 2)
        )
        header = header.united(square)
        if self.placeholder:
            painter.setBrush(QColor(Theme.PLACEHOLDER_BODY).lighter(115))
        else:
            tint = QColor(Theme.NODE_HEADER)
            a = self.accent
            mix = 0.16
            tint.setRgbF(
                tint.redF() * (1 - mix) + a.redF() * mix,
                tint.greenF() * (1 - mix) + a.greenF() * mix,
                tint.blueF() * (1 - mix) + a.blueF() * mix,
            )
            painter.setBrush(tint)
        painter.drawPath(header)
        if not self.placeholder:
            painter.setClipPath(header)
            painter.setBrush(self.accent)
            painter.drawRect(QRectF(rect.x(), rect.y(), 3.0, HEADER_HEIGHT))
            painter.setClipping(False)
        painter.setPen(QPen(QColor(0, 0, 0, 90), 1.0))
        painter.drawLine(
            QPointF(rect.x() + 1, rect.y() + HEADER_HEIGHT),
            QPointF(rect.right() - 1, rect.y() + HEADER_HEIGHT),
        )

        if self.badge and not self._proxy_mode:
            painter.setFont(canvas_font(FontRole.SMALL))
            color = QColor(Theme.PLACEHOLDER_TEXT if self.placeholder else self.accent)
            color.setAlpha(170)
            painter.setPen(color)
            badge_rect = QRectF(rect.x(), rect.y(), rect.width() - 10.0, HEADER_HEIGHT)
            painter.drawText(
                badge_rect,
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                self.badge,
            )
        if self.placeholder and not self._proxy_mode:
            painter.setFont(canvas_font(FontRole.SMALL))
            painter.setPen(Theme.PLACEHOLDER_TEXT)
            line = QRectF(rect.x() + 10, rect.y() + HEADER_HEIGHT + 2, rect.width() - 20, 16.0)
            painter.drawText(
                line,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                "placeholder · kept on save",
            )

        if self.flagged:
            pen = QPen(Theme.ERROR, 2.0)
        elif self.selected:
            pen = QPen(Theme.NODE_SELECTED, 2.0)
        elif self.placeholder:
            pen = QPen(Theme.PLACEHOLDER_BORDER, 1.2, Qt.PenStyle.DashLine)
        else:
            pen = QPen(Theme.NODE_BORDER, 1.0)
        if self.flagged and self.selected:
            outer = QPen(Theme.NODE_SELECTED, 1.0)
            painter.setPen(outer)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(2.5, 2.5, -2.5, -2.5), RADIUS - 2, RADIUS - 2)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        painter.restore()


class PatchbayNode(BaseNode):  # type: ignore[misc]
    """The one NodeGraphQt node class; each instance gets its ports from the catalog."""

    __identifier__ = "patchbay"
    NODE_NAME = "Node"

    def __init__(self) -> None:
        super().__init__(qgraphics_item=NodeCard)


class TypedPipe(PipeItem):  # type: ignore[misc]
    """A wire coloured like the port type it carries; red and dashed when flagged."""

    data_type: PortType | None = None
    flagged = False

    def _base_color(self) -> QColor:
        if self.flagged:
            return QColor(Theme.ERROR)
        color = QColor(port_style(self.data_type).color)
        color.setAlpha(200)
        return color

    def _style_with(self, color: QColor, width: float) -> None:
        pen = QPen(color, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.flagged:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush))

    def _draw_direction_pointer(self) -> None:
        self._dir_pointer.setVisible(False)

    def reset(self) -> None:
        self._active = False
        self._highlight = False
        self._style_with(self._base_color(), 2.0)

    def highlight(self) -> None:
        self._highlight = True
        self._style_with(self._base_color().lighter(135), 2.6)

    def activate(self) -> None:
        self._active = True
        self._style_with(self._base_color().lighter(160), 3.0)

    def set_flagged(self, flagged: bool) -> None:
        if flagged != self.flagged:
            self.flagged = flagged
            self.reset()

    def delete(self) -> None:
        """Take the wire off its ports and the scene; safe to call twice.

        (NodeGraphQt's own ``delete`` fails on a wire its viewer already removed.)
        """
        for port in (self.input_port, self.output_port):
            if port is not None and self in port.connected_pipes:
                port.remove_pipe(self)
        scene = self.scene()
        if scene is not None:
            scene.removeItem(self)

    def set_data_type(self, data_type: PortType | None) -> None:
        self.data_type = data_type
        self.reset()
