"""The quick-add popup (Tab on the canvas, or a wire dropped into empty space)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication, QHideEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.catalog.registry import Catalog
from engine.catalog.spec import NodeSpec, PortType
from widgets.node_tree import NodeTypeTree
from widgets.node_types import CATEGORY_LABELS, NodeTypeIndex, compatible_port

_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_NAVIGATION_KEYS = (
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
)


class QuickAddPopup(QFrame):
    """A frameless search popup listing node types; Enter adds the highlighted one.

    Optionally restricted to node types that have a port compatible with a wire
    being dragged (see :meth:`popup_at`). Up/Down move through the list while
    typing continues in the search line; Esc or a click outside closes it.
    """

    #: A node type was picked (Enter or double-click); carries its type id.
    chosen = Signal(str)
    #: The popup closed without a choice (Esc, click outside).
    dismissed = Signal()

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("quickAddPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._index = NodeTypeIndex(catalog)
        self._port_filter: PortType | None = None
        self._wants_input = True
        self._chose = False

        self._title = QLabel("Add node", self)
        self._title.setObjectName("quickAddTitle")
        self._search = QLineEdit(self)
        self._search.setObjectName("quickAddSearch")
        self._search.setPlaceholderText("Search nodes…")
        self._search.textChanged.connect(self._refresh)
        self._search.installEventFilter(self)

        self._list = NodeTypeTree(self)
        self._list.setObjectName("quickAddList")
        self._list.setRootIsDecorated(False)
        self._list.setIndentation(0)
        self._list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._list.itemDoubleClicked.connect(self._on_double_click)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self._title)
        layout.addWidget(self._search)
        layout.addWidget(self._list, 1)
        self.resize(340, 380)

    # -- public API --------------------------------------------------------------

    @property
    def search_field(self) -> QLineEdit:
        """The search line edit."""
        return self._search

    @property
    def view(self) -> NodeTypeTree:
        """The list of matching node types."""
        return self._list

    def set_catalog(self, catalog: Catalog) -> None:
        """Offer the node types of ``catalog``."""
        self._index = NodeTypeIndex(catalog)
        self._list.forget_types()
        self._refresh()

    def title(self) -> str:
        """The heading: "Add node", or which port the new node must offer."""
        return self._title.text()

    def visible_type_ids(self) -> list[str]:
        """The type ids listed, best match first."""
        return self._list.visible_type_ids()

    def popup_at(
        self,
        global_pos: QPoint,
        port_filter: PortType | None = None,
        wants_input: bool = True,
    ) -> None:
        """Show the popup with an empty search, its top-left corner at ``global_pos``.

        With ``port_filter``, only node types that can take the dragged wire are
        listed: with ``wants_input`` the wire comes from an output of that type and
        the new node needs a compatible input; otherwise the wire comes from an
        input and the new node needs a compatible output.
        """
        self._port_filter = port_filter
        self._wants_input = wants_input
        self._chose = False
        if port_filter is None:
            self._title.setText("Add node")
        else:
            side = "an input" if wants_input else "an output"
            self._title.setText(f"Add node with {side} for {port_filter.value}")
        self._search.blockSignals(True)
        self._search.clear()
        self._search.blockSignals(False)
        self._refresh()
        self.move(self._fitted(global_pos))
        self.show()
        self.raise_()
        self.activateWindow()
        self._search.setFocus(Qt.FocusReason.PopupFocusReason)

    # -- internals ---------------------------------------------------------------

    def _accepts(self, spec: NodeSpec) -> bool:
        if self._port_filter is None:
            return True
        return compatible_port(spec, self._port_filter, self._wants_input) is not None

    def _refresh(self) -> None:
        accept = self._accepts if self._port_filter is not None else None
        hits = self._index.search(self._search.text(), accept)
        self._list.setUpdatesEnabled(False)
        self._list.clear()
        for hit in hits:
            self._list.add_type(hit.spec, CATEGORY_LABELS[hit.spec.category])
        if not hits:
            self._list.add_message("No matching node types")
        self._list.fit_detail_column()
        self._list.select_first_type()
        self._list.setUpdatesEnabled(True)

    def _fitted(self, pos: QPoint) -> QPoint:
        """``pos`` moved so the whole popup stays on the screen that holds it."""
        screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
        if screen is None:
            return pos
        area: QRect = screen.availableGeometry()
        x = min(max(pos.x(), area.left()), area.right() - self.width())
        y = min(max(pos.y(), area.top()), area.bottom() - self.height())
        return QPoint(x, y)

    def _choose(self, type_id: str | None) -> None:
        if type_id is None:
            return
        self._chose = True
        self.hide()
        self.chosen.emit(type_id)

    def _on_double_click(self, item: QTreeWidgetItem, column: int) -> None:
        self._choose(self._list.type_of(item))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._search or event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key in _ENTER_KEYS:
            self._choose(self._list.current_type())
            return True
        if key == Qt.Key.Key_Escape:
            self.hide()
            return True
        if key in _NAVIGATION_KEYS:
            QApplication.sendEvent(self._list, event)
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not self._chose:
            self.dismissed.emit()
