"""The node palette: the catalog by category, searchable, draggable onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.catalog.registry import Catalog
from engine.catalog.spec import Category
from widgets.node_tree import CATEGORY_ROLE, NodeTypeTree
from widgets.node_types import CATEGORY_LABELS, NodeTypeIndex

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class NodePalette(QWidget):
    """Every node type of a catalog, grouped by category, with search as you type.

    With an empty search the types are listed under collapsible category rows
    (with counts); a search lists the matches best first, each with its category.
    Down moves from the search field into the list, Enter (or a double-click)
    emits :attr:`node_chosen`, and a type row can be dragged onto the canvas
    (MIME type :data:`widgets.node_types.NODE_TYPE_MIME`).
    """

    #: The user picked a node type to add (Enter or double-click); carries its type id.
    node_chosen = Signal(str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nodePalette")
        self._index = NodeTypeIndex(())
        self._collapsed: set[Category] = set()
        self._rebuilding = False

        self._search = QLineEdit(self)
        self._search.setObjectName("paletteSearch")
        self._search.setPlaceholderText("Search nodes…")
        self._search.setClearButtonEnabled(True)
        self._search.setToolTip("Search by name, type id, alias or description")
        self._search.textChanged.connect(self._refresh)
        self._search.installEventFilter(self)

        self._tree = NodeTypeTree(self)
        self._tree.setObjectName("paletteTree")
        self._tree.setIndentation(12)
        self._tree.installEventFilter(self)
        self._tree.itemDoubleClicked.connect(self._on_double_click)
        self._tree.itemExpanded.connect(lambda item: self._remember(item, expanded=True))
        self._tree.itemCollapsed.connect(lambda item: self._remember(item, expanded=False))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self._search)
        layout.addWidget(self._tree, 1)
        self.set_catalog(catalog)

    # -- public API --------------------------------------------------------------

    @property
    def search_field(self) -> QLineEdit:
        """The search line edit."""
        return self._search

    @property
    def view(self) -> NodeTypeTree:
        """The list of node types."""
        return self._tree

    def set_catalog(self, catalog: Catalog) -> None:
        """Show the node types of ``catalog`` (a hosted catalog may arrive later)."""
        self._index = NodeTypeIndex(catalog)
        self._tree.forget_types()
        self._refresh()

    def set_filter_text(self, text: str) -> None:
        """Search for ``text`` as if typed."""
        self._search.setText(text)

    def filter_text(self) -> str:
        """The current search text."""
        return self._search.text()

    def visible_type_ids(self) -> list[str]:
        """The type ids listed, top to bottom (types in collapsed categories excluded)."""
        return self._tree.visible_type_ids()

    def focus_search(self) -> None:
        """Put the cursor in the search field with its text selected."""
        self._search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._search.selectAll()

    # -- building ----------------------------------------------------------------

    def _refresh(self) -> None:
        query = self._search.text().strip()
        tree = self._tree
        self._rebuilding = True
        tree.setUpdatesEnabled(False)
        try:
            tree.clear()
            if query:
                self._fill_results(query)
            else:
                self._fill_categories()
            tree.fit_detail_column()
        finally:
            tree.setUpdatesEnabled(True)
            self._rebuilding = False

    def _fill_categories(self) -> None:
        sections: dict[Category, QTreeWidgetItem] = {}
        specs = self._index.specs
        counts: dict[Category, int] = {}
        for spec in specs:
            counts[spec.category] = counts.get(spec.category, 0) + 1
        for spec in specs:
            section = sections.get(spec.category)
            if section is None:
                section = self._tree.add_category(
                    spec.category,
                    counts[spec.category],
                    expanded=spec.category not in self._collapsed,
                )
                sections[spec.category] = section
            self._tree.add_type(spec, parent=section)
        if not specs:
            self._tree.add_message("No node types are available")

    def _fill_results(self, query: str) -> None:
        hits = self._index.search(query)
        for hit in hits:
            self._tree.add_type(hit.spec, CATEGORY_LABELS[hit.spec.category])
        if hits:
            self._tree.select_first_type()
        else:
            self._tree.add_message(f"No node types match “{query}”")

    def _remember(self, item: QTreeWidgetItem, *, expanded: bool) -> None:
        if self._rebuilding:
            return
        value = item.data(0, CATEGORY_ROLE)
        if isinstance(value, str) and value in {c.value for c in Category}:
            category = Category(value)  # item data comes back from Qt as a plain str
            if expanded:
                self._collapsed.discard(category)
            else:
                self._collapsed.add(category)

    # -- keyboard and mouse ------------------------------------------------------

    def _choose(self, type_id: str | None) -> bool:
        if type_id is None:
            return False
        self.node_chosen.emit(type_id)
        return True

    def _on_double_click(self, item: QTreeWidgetItem, column: int) -> None:
        self._choose(self._tree.type_of(item))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self._search:
            return self._search_key(key)
        if watched is self._tree:
            return self._tree_key(key) or self._type_ahead(event)
        return False

    def _search_key(self, key: int) -> bool:
        if key == Qt.Key.Key_Down:
            if self._tree.current_type() is None:
                self._tree.select_first_type()
            self._tree.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        if key in _ENTER_KEYS:
            if self._tree.current_type() is None:
                self._tree.select_first_type()
            return self._choose(self._tree.current_type())
        if key == Qt.Key.Key_Escape and self._search.text():
            self._search.clear()
            return True
        return False

    def _tree_key(self, key: int) -> bool:
        item = self._tree.currentItem()
        if key in _ENTER_KEYS:
            if self._choose(self._tree.type_of(item)):
                return True
            if item is not None and item.childCount():
                item.setExpanded(not item.isExpanded())
                return True
            return False
        if key == Qt.Key.Key_Up and item is not None and self._tree.itemAbove(item) is None:
            self._search.setFocus(Qt.FocusReason.BacktabFocusReason)
            return True
        if key == Qt.Key.Key_Escape:
            self._search.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False

    def _type_ahead(self, event: QKeyEvent) -> bool:
        """Typing while the list has focus goes on in the search field."""
        text = event.text()
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.ShiftModifier,
        )
        if not plain or not text or not text.isprintable() or text.isspace():
            return False
        self._search.setFocus(Qt.FocusReason.OtherFocusReason)
        self._search.insert(text)
        return True
