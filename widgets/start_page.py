"""The start page: what an empty window shows instead of a blank canvas.

A header (icon, name, what Patchbay is), *New blank workflow* and *Open…*, the
recent files, and a gallery of example cards (thumbnail, title, one-line summary
and an "offline" or "preview" tag). The page does no I/O: it is given the cards
(with their pictures already loaded) and the recent paths, and says what the user
chose through its signals; the app opens things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from widgets.node_header import muted

__all__ = ["ExampleCard", "StartPage"]

CARD_WIDTH = 232
THUMB_SIZE = QSize(CARD_WIDTH, 145)
GRID_SPACING = 16
SIDE_WIDTH = 240
MAX_WIDTH = 1400
TAGLINE = "Draw multi-model AI pipelines as node graphs, run them here or on a server."
OFFLINE_TIP = "Runs offline on this computer with local nodes only."
PREVIEW_TIP = (
    "Uses hosted models (or your ComfyUI server): without them it runs offline in "
    "preview mode, with stand-in outputs and no credits charged."
)


@dataclass(frozen=True)
class ExampleCard:
    """What the page shows of one example; ``thumbnail`` is ``None`` when there is none."""

    id: str
    title: str
    summary: str
    thumbnail: QPixmap | None
    needs_key: bool


def _section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setObjectName("startSection")
    font = QFont(label.font())
    font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.0)
    label.setFont(font)
    return label


class _Clickable(QFrame):
    """A frame that acts as a button: click, Enter or Space emits :attr:`activated`."""

    activated = Signal()

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.activated.emit()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)


class _ExampleCardView(_Clickable):
    """One card of the gallery: the picture (with its tag), the title, the summary."""

    def __init__(self, card: ExampleCard, parent: QWidget | None = None) -> None:
        super().__init__("exampleCard", parent)
        self.card = card
        self.setFixedWidth(CARD_WIDTH + 2)  # the 1 px border on each side
        self.setToolTip(f"Open “{card.title}” as an untitled copy")
        self.setAccessibleName(card.title)
        self.setAccessibleDescription(card.summary)
        picture = QLabel()
        picture.setObjectName("exampleThumbnail")
        picture.setFixedSize(THUMB_SIZE)
        picture.setPixmap(_rounded_top(card.thumbnail, THUMB_SIZE, self.devicePixelRatioF()))
        self.tag = QLabel("preview" if card.needs_key else "offline", picture)
        self.tag.setObjectName("exampleTag")
        self.tag.setProperty("kind", self.tag.text())
        self.tag.setToolTip(PREVIEW_TIP if card.needs_key else OFFLINE_TIP)
        self.tag.adjustSize()
        self.tag.move(THUMB_SIZE.width() - self.tag.width() - 8, 8)
        # A non-breaking hyphen keeps "voice-over" on one line when the title wraps.
        title = _wrapped(QLabel(card.title.replace("-", "\u2011")), "exampleTitle")
        summary = _wrapped(muted(QLabel(card.summary)), "exampleSummary")
        text = QVBoxLayout()
        text.setContentsMargins(12, 10, 12, 12)
        text.setSpacing(4)
        text.addWidget(title)
        text.addWidget(summary)
        text.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(1, 1, 1, 1)
        column.setSpacing(0)
        column.addWidget(picture)
        column.addLayout(text, 1)


def _wrapped(label: QLabel, object_name: str) -> QLabel:
    """A word-wrapped label exactly as tall as its text is at the card's width."""
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.ensurePolished()  # the stylesheet's font (bold titles) decides the height
    width = CARD_WIDTH - 24
    flags = int(Qt.TextFlag.TextWordWrap)
    height = label.fontMetrics().boundingRect(0, 0, width, 10_000, flags, label.text()).height()
    label.setFixedSize(width, height + 2)
    return label


class _RecentRow(_Clickable):
    """A recent file: its name over its folder."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__("recentFile", parent)
        self.path = path
        self.setToolTip(str(path))
        self.setAccessibleName(path.name)
        name = QLabel(path.name.removesuffix(".patchbay.json") or path.name)
        name.setObjectName("recentName")
        folder = muted(QLabel(_short_folder(path.parent)))
        folder.setObjectName("recentFolder")
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 6, 10, 6)  # the text lines up with the section titles
        column.setSpacing(1)
        column.addWidget(name)
        column.addWidget(folder)


class _Gallery(QWidget):
    """The example cards in as many columns as fit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[_ExampleCardView] = []
        self._columns = 0
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(GRID_SPACING)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_cards(self, cards: list[_ExampleCardView]) -> None:
        for old in self.cards:
            self._grid.removeWidget(old)
            old.deleteLater()
        self.cards = cards
        self._columns = 0
        self._place(self._fitting_columns(self.width()))

    def minimumSizeHint(self) -> QSize:
        return QSize(CARD_WIDTH + 2, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place(self._fitting_columns(event.size().width()))

    def _fitting_columns(self, width: int) -> int:
        return max(1, (width + GRID_SPACING) // (CARD_WIDTH + 2 + GRID_SPACING))

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        for index, card in enumerate(self.cards):
            self._grid.addWidget(card, index // columns, index % columns)


class StartPage(QScrollArea):
    """The start page (see the module docstring).

    Give it :class:`ExampleCard` items with :meth:`set_examples` and recent paths
    with :meth:`set_recent_files`; it emits :attr:`example_chosen` (an example
    id), :attr:`recent_chosen` (a path), :attr:`new_blank` and :attr:`open_file`.
    """

    example_chosen = Signal(str)
    recent_chosen = Signal(Path)
    new_blank = Signal()
    open_file = Signal()
    #: Back to the document that is open (offered by :meth:`set_return_to`).
    back = Signal()
    getting_started = Signal()

    def __init__(self, icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("startPage")
        self.setWidget(body)

        self.new_button = QPushButton("New blank workflow")
        self.new_button.setObjectName("startPrimary")
        self.new_button.setToolTip("Start from an empty canvas")
        self.new_button.clicked.connect(self.new_blank)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open a *.patchbay.json workflow")
        self.open_button.clicked.connect(self.open_file)
        self.help_button = QPushButton("Getting started")
        self.help_button.setToolTip("A short tour: adding nodes, wiring, running, publishing")
        self.help_button.clicked.connect(self.getting_started)
        self.back_button = QPushButton()
        self.back_button.setObjectName("startBack")
        self.back_button.clicked.connect(self.back)
        self.back_button.hide()
        self._recent = QVBoxLayout()
        self._recent.setContentsMargins(0, 0, 0, 0)
        self._recent.setSpacing(2)
        self._recent_rows: list[_RecentRow] = []
        self.recent_empty = muted(
            QLabel("No recent files yet. Open a workflow, or start from an example.")
        )
        self.recent_empty.setObjectName("recentEmpty")
        self.recent_empty.setWordWrap(True)
        self._recent.addWidget(self.recent_empty)
        self.gallery = _Gallery()

        column = QVBoxLayout()
        column.setSpacing(28)
        column.addLayout(_header(icon))
        columns = QHBoxLayout()
        columns.setSpacing(40)
        columns.addWidget(self._side(), 0)
        columns.addLayout(self._examples(), 1)
        column.addLayout(columns)
        column.addStretch(1)
        centre = QWidget()
        centre.setMaximumWidth(MAX_WIDTH)
        centre.setLayout(column)
        outer = QHBoxLayout(body)
        outer.setContentsMargins(40, 36, 40, 36)
        outer.addStretch(1)
        outer.addWidget(centre, 100)  # as wide as there is room for, up to MAX_WIDTH
        outer.addStretch(1)

    # -- data ---------------------------------------------------------------------

    def set_examples(self, cards: Sequence[ExampleCard]) -> None:
        """Show these example cards, in this order."""
        views = []
        for card in cards:
            view = _ExampleCardView(card)
            view.activated.connect(lambda _=None, i=card.id: self.example_chosen.emit(i))
            views.append(view)
        self.gallery.set_cards(views)

    def set_recent_files(self, paths: Sequence[Path]) -> None:
        """Show these recent files, newest first (an empty list shows a hint)."""
        for row in self._recent_rows:
            self._recent.removeWidget(row)
            row.deleteLater()
        self._recent_rows = []
        for path in paths:
            row = _RecentRow(path)
            row.activated.connect(lambda _=None, p=path: self.recent_chosen.emit(p))
            self._recent.addWidget(row)
            self._recent_rows.append(row)
        self.recent_empty.setVisible(not paths)

    def set_return_to(self, name: str | None) -> None:
        """Offer "Back to <name>" (the open document), or nothing for ``None``."""
        self.back_button.setText(f"Back to {name}" if name else "")
        self.back_button.setToolTip("Close the start page and return to the canvas")
        self.back_button.setVisible(bool(name))

    def example_ids(self) -> list[str]:
        """The ids of the example cards shown, in order."""
        return [view.card.id for view in self.gallery.cards]

    def recent_files(self) -> list[Path]:
        """The recent files shown, in order."""
        return [row.path for row in self._recent_rows]

    def example_card(self, example_id: str) -> QWidget:
        """The card of one example (for tests and keyboard focus)."""
        return next(v for v in self.gallery.cards if v.card.id == example_id)

    def recent_row(self, path: Path) -> QWidget:
        """The row of one recent file."""
        return next(row for row in self._recent_rows if row.path == path)

    # -- building -----------------------------------------------------------------

    def _side(self) -> QWidget:
        side = QWidget()
        side.setFixedWidth(SIDE_WIDTH)
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(_section("Start"))
        layout.addWidget(self.new_button)
        layout.addWidget(self.open_button)
        layout.addWidget(self.help_button)
        layout.addWidget(self.back_button)
        layout.addSpacing(20)
        layout.addWidget(_section("Recent"))
        layout.addLayout(self._recent)
        layout.addStretch(1)
        return side

    def _examples(self) -> QVBoxLayout:
        layout = QVBoxLayout()
        layout.setSpacing(8)
        layout.addWidget(_section("Examples"))
        hint = muted(
            QLabel(
                "Each opens as an untitled copy. Offline examples run as they are; "
                "preview examples use hosted models and run offline in preview mode."
            )
        )
        hint.setObjectName("startHint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addSpacing(4)
        layout.addWidget(self.gallery)
        layout.addStretch(1)
        return layout


def _header(icon: QIcon | None) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(16)
    if icon is not None and not icon.isNull():
        mark = QLabel()
        mark.setObjectName("startIcon")
        mark.setPixmap(icon.pixmap(QSize(56, 56)))
        row.addWidget(mark, 0, Qt.AlignmentFlag.AlignVCenter)
    title = QLabel("Patchbay Studio")
    title.setObjectName("startTitle")
    font = QFont(title.font())
    font.setPointSizeF(font.pointSizeF() * 2.0)
    font.setWeight(QFont.Weight.DemiBold)
    title.setFont(font)
    tagline = muted(QLabel(TAGLINE))
    tagline.setObjectName("startTagline")
    words = QVBoxLayout()
    words.setSpacing(2)
    words.addWidget(title)
    words.addWidget(tagline)
    row.addLayout(words, 1)
    return row


def _rounded_top(source: QPixmap | None, size: QSize, ratio: float) -> QPixmap:
    """``source`` cropped to fill ``size`` with the top corners rounded (a card's picture)."""
    ratio = max(1.0, ratio)
    pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    area = QRectF(0, 0, pixmap.width(), pixmap.height())
    radius = 7 * ratio
    path = QPainterPath()
    path.addRoundedRect(area.adjusted(0, 0, 0, radius), radius, radius)
    painter.setClipPath(path)
    if source is not None and not source.isNull():
        scaled = source.scaled(
            pixmap.size(),
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        )
        left = (scaled.width() - pixmap.width()) // 2
        top = (scaled.height() - pixmap.height()) // 2
        painter.drawPixmap(0, 0, scaled, left, top, pixmap.width(), pixmap.height())
    else:
        painter.fillRect(area, QColor("#1b1d22"))
        painter.setPen(QColor("#6b7280"))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No picture")
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _short_folder(folder: Path) -> str:
    """The folder with the home directory written as ``~``."""
    try:
        inside = folder.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(folder)
    return "~" if inside == "." else f"~/{inside}"
