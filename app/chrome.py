"""Small pieces of window chrome: the notice bar above the canvas and dock title bars."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QToolButton,
    QWidget,
)

_SEVERITY_MARK = {"info": "\N{INFORMATION SOURCE}", "warning": "⚠", "error": "✕"}
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


_ok_icon: QIcon | None = None


def ok_icon() -> QIcon:
    """A green round check mark (16 px): "no problems"."""
    global _ok_icon
    if _ok_icon is None:
        scale, size = 2, 32
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#3fb950"))
        painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
        pen = QPen(QColor("white"), 3.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawPolyline([QPointF(9.5, 16.5), QPointF(14, 21), QPointF(22.5, 11.5)])
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        _ok_icon = QIcon(pixmap)
    return _ok_icon


class NoticeBar(QFrame):
    """A dismissible strip of messages above the canvas (load notes, errors, recovery).

    Never modal: it stays until closed; info-only notices also fade out after
    ``info_timeout_ms``. New notices are added under the ones shown.
    """

    def __init__(self, parent: QWidget | None = None, *, info_timeout_ms: int = 15_000) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setProperty("severity", "info")
        self._lines: list[str] = []
        self._buttons: list[QToolButton] = []  # actions offered with the notices shown
        self._severity = "info"
        self._text = QLabel(self)
        self._text.setObjectName("noticeText")
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("noticeClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 7, 8, 7)
        layout.setSpacing(10)
        layout.addWidget(self._text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(info_timeout_ms)
        self._timer.timeout.connect(self.dismiss)
        self.hide()

    def text(self) -> str:
        """The messages shown, one per line (empty when hidden)."""
        return "\n".join(self._lines)

    def severity(self) -> str:
        """The most serious severity shown: ``"info"``, ``"warning"`` or ``"error"``."""
        return self._severity

    def show_notice(self, severity: str, text: str, action: QAction | None = None) -> None:
        """Add a message; the bar takes the colour of the most serious one shown.

        ``action`` adds a button for it (e.g. "Servers…"); using it closes the bar.
        """
        if not self.isVisible():
            self._lines = []
            self._severity = "info"
            self._remove_buttons()
        if action is not None:
            button = QToolButton(self)
            button.setObjectName("noticeAction")
            button.setDefaultAction(action)
            button.clicked.connect(self.dismiss)
            layout = self.layout()
            assert isinstance(layout, QHBoxLayout)
            layout.insertWidget(layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignTop)
            self._buttons.append(button)
        mark = _SEVERITY_MARK.get(severity, "")
        self._lines.append(f"{mark}  {text}" if mark else text)
        if _SEVERITY_RANK.get(severity, 0) > _SEVERITY_RANK[self._severity]:
            self._severity = severity
        self._text.setText("\n".join(self._lines))
        self.setProperty("severity", self._severity)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        if self._severity == "info":
            self._timer.start()
        else:
            self._timer.stop()

    def notice_actions(self) -> list[QAction]:
        """The actions offered by the notices shown."""
        return [a for a in (b.defaultAction() for b in self._buttons) if a is not None]

    def withdraw(self, text: str) -> None:
        """Remove the message ``text`` (e.g. a wait that is over); the bar closes when empty."""
        lines = [line for line in self._lines if line != text and not line.endswith(f"  {text}")]
        if not lines:
            self.dismiss()
        elif lines != self._lines:
            self._lines = lines
            self._text.setText("\n".join(lines))

    def dismiss(self) -> None:
        self._timer.stop()
        self._lines = []
        self._severity = "info"
        self._remove_buttons()
        self.hide()

    def _remove_buttons(self) -> None:
        for button in self._buttons:
            button.hide()
            button.deleteLater()
        self._buttons = []


class DockTitle(QWidget):
    """A flat dock title: the name in small capitals and a close button."""

    def __init__(self, dock: QDockWidget) -> None:
        super().__init__(dock)
        self.setObjectName("dockTitle")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        label = QLabel(dock.windowTitle().upper(), self)
        label.setObjectName("dockTitleText")
        font = QFont(label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.82)
        font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 112)
        label.setFont(font)
        close = QToolButton(self)
        close.setObjectName("dockClose")
        close.setText("✕")
        close.setToolTip(f"Hide {dock.windowTitle()}")
        close.setAutoRaise(True)
        close.clicked.connect(dock.close)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 5, 4, 5)
        layout.addWidget(label, 1)
        layout.addWidget(close)


def make_dock(
    window: QMainWindow,
    title: str,
    name: str,
    widget: QWidget,
    area: Qt.DockWidgetArea,
) -> QDockWidget:
    """A dock holding ``widget``, with a flat title bar, added to ``window``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # saveState/restoreState match docks by object name
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    )
    dock.setTitleBarWidget(DockTitle(dock))
    window.addDockWidget(area, dock)
    return dock
