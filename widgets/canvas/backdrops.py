"""Backdrops: titled frames grouping nodes, kept in the document's ``metadata["backdrops"]``.

Stored as ``[{"id": "bd1", "title": "Inputs", "nodes": ["brief", "shot"]}, …]``. A
frame has no geometry of its own: it is drawn around its nodes, so moving, adding
or removing nodes never leaves it stale, and undo needs nothing extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from NodeGraphQt.constants import Z_VAL_BACKDROP
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFocusEvent, QFont, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from widgets.canvas.items import NodeCard
from widgets.canvas.style import Theme

#: The metadata key holding the backdrops.
BACKDROPS_KEY = "backdrops"


class _TitleEditor(QGraphicsTextItem):
    """A backdrop title, edited in place after a double-click."""

    def __init__(self, parent: BackdropItem) -> None:
        super().__init__(parent)
        self._backdrop = parent
        self.setDefaultTextColor(Theme.BACKDROP_TITLE)
        font = QFont()
        font.setPointSizeF(10.0)
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def start_editing(self) -> None:
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        self.setFocus()
        cursor = self.textCursor()
        cursor.select(cursor.SelectionType.Document)
        self.setTextCursor(cursor)

    def _finish(self, commit: bool) -> None:
        if self.textInteractionFlags() == Qt.TextInteractionFlag.NoTextInteraction:
            return
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)
        text = self.toPlainText().strip()
        if commit and text and text != self._backdrop.title:
            self._backdrop.rename(text)
        else:
            self.setPlainText(self._backdrop.title)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(True)
            return
        if event.key() == Qt.Key.Key_Escape:
            self._finish(False)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._finish(True)
        super().focusOutEvent(event)


class BackdropItem(QGraphicsItem):
    """A titled frame behind a group of nodes; its box follows the nodes it holds.

    Pressing it selects the frame and its nodes, so dragging moves the whole group
    (the canvas records the node moves as one undo step). The title is edited in
    place by double-clicking it.
    """

    PADDING = 22.0
    TITLE_HEIGHT = 30.0

    def __init__(self, backdrop_id: str, on_rename: Callable[[str, str], None]) -> None:
        super().__init__()
        self.backdrop_id = backdrop_id
        self.title = ""
        self.members: list[NodeCard] = []
        self._on_rename = on_rename
        self._size = (100.0, 60.0)
        self.setZValue(Z_VAL_BACKDROP)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
        )
        self._title_item = _TitleEditor(self)
        self._title_item.setPos(8.0, 3.0)

    def set_title(self, title: str) -> None:
        self.title = title
        self._title_item.setPlainText(title)
        self.setToolTip(f"{title} — double-click the title to rename")

    def rename(self, title: str) -> None:
        self._on_rename(self.backdrop_id, title)

    def wrap(self, members: list[NodeCard]) -> None:
        """Fit the frame around ``members`` (node cards already in the scene)."""
        self.members = members
        if not members:
            self.setVisible(False)
            return
        box = members[0].card_rect()
        for item in members[1:]:
            box = box.united(item.card_rect())
        pad = self.PADDING
        self.prepareGeometryChange()
        title_w = self._title_item.boundingRect().width() + 24.0
        self._size = (
            max(box.width() + 2 * pad, title_w),
            box.height() + 2 * pad + self.TITLE_HEIGHT,
        )
        self.setPos(box.x() - pad, box.y() - pad - self.TITLE_HEIGHT)
        self.setVisible(True)

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, 0.0, self._size[0], self._size[1])

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setBrush(Theme.BACKDROP_FILL)
        border = QColor(Theme.NODE_SELECTED) if self.isSelected() else Theme.BACKDROP_BORDER
        painter.setPen(QPen(border, 1.2))
        painter.drawRoundedRect(rect, 10.0, 10.0)
        title = QRectF(rect.x(), rect.y(), rect.width(), self.TITLE_HEIGHT)
        painter.setClipRect(title)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 14))
        painter.drawRoundedRect(rect, 10.0, 10.0)
        painter.restore()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            scene = self.scene()
            if scene is not None and not (event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
                scene.clearSelection()
            self.setSelected(True)
            for item in self.members:
                item.setSelected(True)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.pos().y() <= self.TITLE_HEIGHT:
            self._title_item.start_editing()
            return
        super().mouseDoubleClickEvent(event)


@dataclass(frozen=True, slots=True)
class Backdrop:
    """A titled group of nodes."""

    id: str
    title: str
    nodes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "nodes": list(self.nodes)}


def read_backdrops(metadata: Mapping[str, Any]) -> list[Backdrop]:
    """The backdrops in a document's metadata; malformed entries are skipped."""
    raw = metadata.get(BACKDROPS_KEY)
    if not isinstance(raw, list):
        return []
    backdrops = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            continue
        nodes = entry.get("nodes")
        if not isinstance(nodes, list):
            continue
        backdrop_id = entry.get("id")
        title = entry.get("title")
        backdrops.append(
            Backdrop(
                id=backdrop_id if isinstance(backdrop_id, str) else f"bd{index + 1}",
                title=title if isinstance(title, str) else "Group",
                nodes=tuple(n for n in nodes if isinstance(n, str)),
            )
        )
    return backdrops


def write_backdrops(backdrops: Iterable[Backdrop]) -> list[dict[str, Any]] | None:
    """The metadata value for ``backdrops`` (``None`` removes the key when there are none)."""
    data = [b.to_json() for b in backdrops]
    return data or None


def unique_backdrop_id(backdrops: Iterable[Backdrop]) -> str:
    taken = {b.id for b in backdrops}
    counter = 1
    while f"bd{counter}" in taken:
        counter += 1
    return f"bd{counter}"


class BackdropLayer:
    """The backdrop items on the scene, kept equal to the document's backdrops."""

    def __init__(
        self,
        scene: QGraphicsScene,
        node_item: Callable[[str], NodeCard | None],
        on_rename: Callable[[str, str], None],
    ) -> None:
        self._scene = scene
        self._node_item = node_item
        self._on_rename = on_rename
        self._items: dict[str, BackdropItem] = {}
        self._backdrops: list[Backdrop] = []

    def set_backdrops(self, backdrops: list[Backdrop]) -> None:
        """Show exactly ``backdrops``."""
        self._backdrops = list(backdrops)
        wanted = {b.id for b in backdrops}
        for backdrop_id in [i for i in self._items if i not in wanted]:
            item = self._items.pop(backdrop_id)
            self._scene.removeItem(item)
        for backdrop in backdrops:
            item = self._items.get(backdrop.id) or BackdropItem(backdrop.id, self._on_rename)
            if backdrop.id not in self._items:
                self._items[backdrop.id] = item
                self._scene.addItem(item)
            if item.title != backdrop.title:
                item.set_title(backdrop.title)
        self.rewrap()

    def rewrap(self) -> None:
        """Fit every frame around its nodes again (after moves, adds, removals)."""
        for backdrop in self._backdrops:
            members = [self._node_item(n) for n in backdrop.nodes]
            self._items[backdrop.id].wrap([m for m in members if m is not None])

    def backdrops(self) -> list[Backdrop]:
        return list(self._backdrops)

    def item(self, backdrop_id: str) -> BackdropItem | None:
        return self._items.get(backdrop_id)

    def selected_ids(self) -> list[str]:
        return [b.id for b in self._backdrops if self._items[b.id].isSelected()]
