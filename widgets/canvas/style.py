"""The canvas look: port colours and shapes per port type, category accents, theme colours.

Category colours are the palette's (:mod:`widgets.node_types`), so a node looks
the same in the palette and on the canvas.

One table drives the ports on the nodes, the wires and the :class:`PortLegend`, so
the legend always matches what the canvas draws. Colours are chosen for a dark
canvas and stay distinguishable for the common forms of colour blindness because
each type also has its own shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPainterPath, QPen, QPolygonF

from engine.catalog.spec import Category, PortType
from widgets.node_types import CATEGORY_COLORS


class PortShape(Enum):
    """The outline a port is drawn with."""

    CIRCLE = "circle"
    DIAMOND = "diamond"
    SQUARE = "square"
    TRIANGLE = "triangle"
    HEXAGON = "hexagon"
    RING = "ring"
    ROUNDED = "rounded"


@dataclass(frozen=True, slots=True)
class PortStyle:
    """How one port type looks."""

    color: QColor
    shape: PortShape
    label: str


def _c(hex_color: str) -> QColor:
    return QColor(hex_color)


PORT_STYLES: dict[PortType, PortStyle] = {
    PortType.TEXT: PortStyle(_c("#f2c14e"), PortShape.CIRCLE, "Text"),
    PortType.NUMBER: PortStyle(_c("#7bd88f"), PortShape.DIAMOND, "Number"),
    PortType.BOOLEAN: PortStyle(_c("#ff9e64"), PortShape.TRIANGLE, "Boolean"),
    PortType.JSON: PortStyle(_c("#c3a6ff"), PortShape.SQUARE, "JSON"),
    PortType.IMAGE: PortStyle(_c("#4fb8ff"), PortShape.CIRCLE, "Image"),
    PortType.VIDEO: PortStyle(_c("#ff6b9a"), PortShape.ROUNDED, "Video"),
    PortType.AUDIO: PortStyle(_c("#3ddbd9"), PortShape.DIAMOND, "Audio"),
    PortType.MASK: PortStyle(_c("#d0d4dc"), PortShape.RING, "Mask"),
    PortType.MESH: PortStyle(_c("#a6e22e"), PortShape.HEXAGON, "3D mesh"),
}

#: Ports whose type is not known (placeholder nodes, ports missing from the catalog).
UNKNOWN_PORT_STYLE = PortStyle(_c("#7d828c"), PortShape.SQUARE, "Unknown")

CATEGORY_LABELS: dict[Category, str] = {
    Category.INPUT: "Input",
    Category.IMAGE: "Image",
    Category.VIDEO: "Video",
    Category.AUDIO: "Audio",
    Category.EDITING: "Editing",
    Category.THREE_D: "3D",
    Category.TEXT: "Text / LLM",
    Category.UTILITY: "Utility",
    Category.OUTPUT: "Output",
}


class Theme:
    """Canvas colours (dark theme)."""

    BACKGROUND = _c("#17191e")
    GRID_DOT = _c("#2f333d")
    GRID_MAJOR = _c("#343945")
    NODE_BODY = _c("#252830")
    NODE_HEADER = _c("#2d313b")
    NODE_BORDER = _c("#3a3f4b")
    NODE_SELECTED = _c("#6cb6ff")
    NODE_TITLE = _c("#eef0f4")
    NODE_SUBTITLE = _c("#8d94a3")
    PORT_LABEL = _c("#b4bac6")
    PLACEHOLDER_BODY = _c("#202228")
    PLACEHOLDER_BORDER = _c("#6b707c")
    PLACEHOLDER_TEXT = _c("#8a8f9a")
    ERROR = _c("#ff5d5d")
    WIRE_HOVER = _c("#ffffff")
    BACKDROP_FILL = QColor(120, 130, 150, 34)
    BACKDROP_BORDER = QColor(150, 160, 180, 90)
    BACKDROP_TITLE = _c("#c9cfdb")
    TOOLTIP_BG = QColor(24, 26, 32, 235)


class FontRole(Enum):
    """The text styles on the canvas."""

    TITLE = "title"
    LABEL = "label"
    SMALL = "small"


@cache
def canvas_font(role: FontRole) -> QFont:
    """A font for ``role``, derived from the application font (built on first use)."""
    font = QFont(QGuiApplication.font())
    font.setStyleHint(QFont.StyleHint.SansSerif)
    if role == FontRole.TITLE:
        font.setPointSizeF(9.5)
        font.setWeight(QFont.Weight.DemiBold)
    elif role == FontRole.LABEL:
        font.setPointSizeF(8.5)
    else:
        font.setPointSizeF(7.0)
        font.setWeight(QFont.Weight.DemiBold)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 110)
    return font


def port_style(port_type: PortType | None) -> PortStyle:
    """The style for a port type (``None``: unknown)."""
    return PORT_STYLES.get(port_type, UNKNOWN_PORT_STYLE) if port_type else UNKNOWN_PORT_STYLE


def category_color(category: Category | None) -> QColor:
    """The accent colour of a palette category (grey when unknown)."""
    if category is None or category not in CATEGORY_COLORS:
        return QColor(Theme.PLACEHOLDER_BORDER)
    return QColor(CATEGORY_COLORS[category])


def shape_path(shape: PortShape, rect: QRectF) -> QPainterPath:
    """The outline of ``shape`` fitted into ``rect``."""
    path = QPainterPath()
    c = rect.center()
    w, h = rect.width() / 2, rect.height() / 2
    if shape in (PortShape.CIRCLE, PortShape.RING):
        path.addEllipse(rect)
    elif shape == PortShape.SQUARE:
        inset = rect.adjusted(w * 0.12, h * 0.12, -w * 0.12, -h * 0.12)
        path.addRect(inset)
    elif shape == PortShape.ROUNDED:
        inset = rect.adjusted(w * 0.08, h * 0.08, -w * 0.08, -h * 0.08)
        path.addRoundedRect(inset, w * 0.45, h * 0.45)
    elif shape == PortShape.DIAMOND:
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), c.y() - h * 1.1),
                    QPointF(c.x() + w * 1.1, c.y()),
                    QPointF(c.x(), c.y() + h * 1.1),
                    QPointF(c.x() - w * 1.1, c.y()),
                ]
            )
        )
        path.closeSubpath()
    elif shape == PortShape.TRIANGLE:
        path.addPolygon(
            QPolygonF(
                [
                    QPointF(c.x() - w * 0.9, c.y() - h),
                    QPointF(c.x() + w * 1.05, c.y()),
                    QPointF(c.x() - w * 0.9, c.y() + h),
                ]
            )
        )
        path.closeSubpath()
    else:  # hexagon
        points = [
            c + QPointF(math.cos(math.radians(a)) * w * 1.05, math.sin(math.radians(a)) * h * 1.05)
            for a in range(0, 360, 60)
        ]
        path.addPolygon(QPolygonF(points))
        path.closeSubpath()
    return path


def paint_port(
    painter: QPainter,
    rect: QRectF,
    port_type: PortType | None,
    *,
    is_list: bool = False,
    connected: bool = False,
    hovered: bool = False,
    refused: bool = False,
) -> None:
    """Draw one port glyph into ``rect`` (used by node ports and the legend alike).

    Unconnected ports are hollow, connected ones filled; a list port (takes a whole
    batch) carries a second, offset outline like a stack of cards.
    """
    style = port_style(port_type)
    color = QColor(Theme.ERROR) if refused else QColor(style.color)
    if hovered:
        color = color.lighter(125)
        grow = rect.width() * 0.12
        rect = rect.adjusted(-grow, -grow, grow, grow)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if is_list:
        offset = rect.translated(rect.width() * 0.22, -rect.height() * 0.22)
        shadow = shape_path(style.shape, offset)
        painter.setPen(QPen(color.darker(140), 1.3))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(shadow)
    path = shape_path(style.shape, rect)
    painter.setPen(QPen(color, 1.8))
    if style.shape == PortShape.RING:
        painter.setBrush(Theme.NODE_BODY if not connected else color.darker(160))
        painter.drawPath(path)
        dx, dy = rect.width() * 0.3, rect.height() * 0.3
        inner = rect.adjusted(dx, dy, -dx, -dy)
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(inner)
    else:
        painter.setBrush(color if connected else QColor(Theme.NODE_BODY))
        painter.drawPath(path)
    painter.restore()
