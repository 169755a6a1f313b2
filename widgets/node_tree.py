"""The list of node types used by the palette and the quick-add popup."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from engine.catalog.spec import Category, NodeSpec
from widgets.node_types import (
    CATEGORY_LABELS,
    NODE_TYPE_MIME,
    category_icon,
    node_type_mime_data,
    node_type_tooltip,
)

#: Item data role holding a node type id (type rows only).
TYPE_ROLE = Qt.ItemDataRole.UserRole
#: Item data role holding a category's value (category header rows only; a plain str).
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1
#: Rows are a little taller than the default so they are easy to hit and scan.
ROW_HEIGHT = 22

_TYPE_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)
_CATEGORY_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_ROW_SIZE = QSize(0, ROW_HEIGHT)


class _SecondaryColumnDelegate(QStyledItemDelegate):
    """Draws the second column (counts, category names) in the muted text colour.

    Read from the palette at paint time, so it follows whatever theme is applied.
    """

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        if index.column() == 1:
            muted = option.palette.color(QPalette.ColorRole.PlaceholderText)
            option.palette.setColor(QPalette.ColorRole.Text, muted)
            option.displayAlignment = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class NodeTypeTree(QTreeWidget):
    """Two columns (name, muted detail), draggable type rows, optional category rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodeTypeTree")
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDragEnabled(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(_SecondaryColumnDelegate(self))
        self._tooltips: dict[str, str] = {}
        self._details: set[str] = set()
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Sized from the texts put in it: ResizeToContents would measure every row.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)

    # -- building --------------------------------------------------------------

    def clear(self) -> None:
        """Remove every row (tooltips stay cached until :meth:`forget_types`)."""
        super().clear()
        self._details = set()

    def forget_types(self) -> None:
        """Drop cached tooltips (the catalog changed)."""
        self._tooltips = {}

    def fit_detail_column(self) -> None:
        """Size the muted second column to the widest text put in it."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(text) for text in self._details), default=0)
        self.setColumnWidth(1, widest + 16 if widest else 0)

    def add_category(self, category: Category, count: int, expanded: bool) -> QTreeWidgetItem:
        """A bold, non-draggable section row: ``Image generation        12``."""
        item = QTreeWidgetItem([CATEGORY_LABELS[category], str(count)])
        item.setSizeHint(0, _ROW_SIZE)
        item.setData(0, CATEGORY_ROLE, category.value)
        item.setFlags(_CATEGORY_FLAGS)
        self._details.add(str(count))
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(0, font)
        self.addTopLevelItem(item)
        item.setExpanded(expanded)
        return item

    def add_type(
        self, spec: NodeSpec, detail: str = "", parent: QTreeWidgetItem | None = None
    ) -> QTreeWidgetItem:
        """A row for one node type, with its category dot and a rich tooltip."""
        item = QTreeWidgetItem([spec.display_name, detail])
        item.setSizeHint(0, _ROW_SIZE)
        item.setData(0, TYPE_ROLE, spec.type)
        item.setIcon(0, category_icon(spec.category))
        tooltip = self._tooltips.get(spec.type)
        if tooltip is None:
            tooltip = self._tooltips[spec.type] = node_type_tooltip(spec)
        item.setToolTip(0, tooltip)
        item.setToolTip(1, tooltip)
        item.setFlags(_TYPE_FLAGS)
        if detail:
            self._details.add(detail)
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item

    def add_message(self, text: str) -> QTreeWidgetItem:
        """A disabled row explaining an empty result."""
        item = QTreeWidgetItem([text, ""])
        item.setSizeHint(0, _ROW_SIZE)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.addTopLevelItem(item)
        return item

    # -- reading ---------------------------------------------------------------

    @staticmethod
    def type_of(item: QTreeWidgetItem | None) -> str | None:
        """The node type id of a type row, ``None`` for any other row."""
        if item is None:
            return None
        value = item.data(0, TYPE_ROLE)
        return value if isinstance(value, str) else None

    def type_items(self) -> list[QTreeWidgetItem]:
        """Every visible type row, top to bottom (collapsed sections skipped)."""
        items = []
        item = self.topLevelItem(0)
        while item is not None:
            if self.type_of(item) is not None:
                items.append(item)
            item = self.itemBelow(item)
        return items

    def visible_type_ids(self) -> list[str]:
        """The type ids of :meth:`type_items`."""
        return [t for t in map(self.type_of, self.type_items()) if t is not None]

    def current_type(self) -> str | None:
        """The type id of the current row, if it is a type row."""
        return self.type_of(self.currentItem())

    def select_first_type(self) -> bool:
        """Make the first visible type row current; ``False`` when there is none."""
        item = self.topLevelItem(0)
        while item is not None and self.type_of(item) is None:
            item = self.itemBelow(item)
        if item is None:
            return False
        self.setCurrentItem(item)
        self.scrollToItem(item)
        return True

    # -- drag ------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [NODE_TYPE_MIME, "text/plain"]

    def mimeData(self, items: Iterable[QTreeWidgetItem]) -> QMimeData:
        type_id = next((t for t in map(self.type_of, items) if t is not None), "")
        return node_type_mime_data(type_id)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
