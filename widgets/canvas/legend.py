"""The port legend: each port type's glyph and name, drawn by the same code as the ports."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from engine.catalog.spec import PortType
from widgets.canvas.style import PORT_STYLES, UNKNOWN_PORT_STYLE, paint_port

_ROW = 20
_GLYPH = 11.0


class PortLegend(QWidget):
    """A compact key to the port glyphs, including list ports and unknown ports.

    ``columns`` sets how many columns of entries are drawn; ``framed`` draws a
    translucent rounded background (for use as an overlay on the canvas).
    """

    def __init__(
        self, parent: QWidget | None = None, *, columns: int = 2, framed: bool = False
    ) -> None:
        super().__init__(parent)
        self._columns = max(1, columns)
        self._framed = framed
        self._font = QFont(self.font())
        self._font.setPointSizeF(8.5)
        self._entries: list[tuple[PortType | None, bool, str]] = [
            (port_type, False, style.label) for port_type, style in PORT_STYLES.items()
        ]
        self._entries.append((PortType.IMAGE, True, "List (batch)"))
        self._entries.append((None, False, UNKNOWN_PORT_STYLE.label))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Port types. Hollow ports are not wired yet; a doubled outline marks a list "
            "input that takes a whole batch."
        )

    def entries(self) -> list[tuple[PortType | None, bool, str]]:
        """What the legend lists: (port type or ``None`` for unknown, is list, label)."""
        return list(self._entries)

    def _column_width(self) -> int:
        metrics = QFontMetrics(self._font)
        widest = max(metrics.horizontalAdvance(label) for _, _, label in self._entries)
        return int(_GLYPH) + 10 + widest + 16

    def sizeHint(self) -> QSize:
        rows = -(-len(self._entries) // self._columns)
        pad = 20 if self._framed else 8
        return QSize(self._column_width() * self._columns + pad, rows * _ROW + pad)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pad = 10.0 if self._framed else 4.0
        if self._framed:
            painter.setPen(QPen(QColor(255, 255, 255, 28), 1.0))
            painter.setBrush(QColor(16, 18, 22, 225))
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8.0, 8.0)
        painter.setFont(self._font)
        rows = -(-len(self._entries) // self._columns)
        col_w = self._column_width()
        text_color = QColor("#c4c9d4") if self._framed else self.palette().windowText().color()
        for index, (port_type, is_list, label) in enumerate(self._entries):
            col, row = divmod(index, rows)
            x = pad + col * col_w
            y = pad + row * _ROW
            glyph = QRectF(x + 1, y + (_ROW - _GLYPH) / 2, _GLYPH, _GLYPH)
            paint_port(painter, glyph, port_type, is_list=is_list, connected=True)
            painter.setPen(text_color)
            painter.drawText(
                QRectF(x + _GLYPH + 9, y, col_w - _GLYPH - 9, _ROW),
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                label,
            )
        painter.end()
