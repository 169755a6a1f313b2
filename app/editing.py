"""Window-level editing: adding nodes from the palette and quick-add, the system clipboard.

Everything here ends in one :class:`~widgets.canvas.CanvasView` call, so each
command is one undo step; this class only decides *where* and *what* (the view
centre, the cursor, the dragged port, the clipboard's text).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QWidget

from engine.catalog.registry import Catalog
from engine.catalog.spec import PortType
from widgets.canvas import CanvasView
from widgets.quick_add import QuickAddPopup

#: Where a new node lands relative to the point it is added at (about half a node).
NODE_OFFSET = QPointF(-90.0, -36.0)
#: How far a node added from an input's wire goes to the left of the drop point.
LEFT_OF_INPUT = 220.0

Source = tuple[str, str, bool]  # (node id, port, is output)


class CanvasEditing(QObject):
    """Add nodes (palette, Tab, wire dropped in empty space) and copy/paste via the clipboard."""

    def __init__(self, canvas: CanvasView, catalog: Catalog, window: QWidget) -> None:
        super().__init__(window)
        self._canvas = canvas
        self.quick_add = QuickAddPopup(catalog, window)
        self._pending: tuple[QPointF, Source | None] | None = None
        canvas.quick_add_requested.connect(self.show_quick_add)
        self.quick_add.chosen.connect(self.add_quick_node)
        self.quick_add.dismissed.connect(self._forget_pending)

    # -- adding nodes ------------------------------------------------------------

    def add_node_at_centre(self, type_id: str) -> str | None:
        """Add a node in the middle of the visible canvas (a palette choice); returns its id.

        A node already at that spot pushes the new one down and to the right.
        """
        canvas = self._canvas
        spot = canvas.viewer.visible_scene_rect().center() + NODE_OFFSET
        taken = [(n.position.x, n.position.y) for n in canvas.document.nodes()]
        while any(abs(x - spot.x()) < 12 and abs(y - spot.y()) < 12 for x, y in taken):
            spot += QPointF(28.0, 28.0)
        node_id = canvas.add_node(type_id, spot)
        canvas.viewer.setFocus(Qt.FocusReason.OtherFocusReason)
        return node_id

    def show_quick_add(
        self,
        scene_pos: QPointF,
        port_type: PortType | None = None,
        source: Source | None = None,
    ) -> None:
        """Open the quick-add popup at ``scene_pos``.

        ``source`` is the port a wire was dragged from: the popup then lists only
        node types that can take it, and the chosen node is wired to it.
        """
        self._pending = (QPointF(scene_pos), source)
        wants_input = source is None or source[2]
        self.quick_add.popup_at(self._canvas.map_to_global(scene_pos), port_type, wants_input)

    def quick_add_at_cursor(self) -> None:
        """Quick-add at the mouse (or the view centre when the mouse is elsewhere)."""
        self.show_quick_add(self._canvas.viewer.cursor_scene_pos())

    def add_quick_node(self, type_id: str) -> str | None:
        """Add the type chosen in the popup where it was opened, wired to its port if any."""
        if self._pending is None:
            return self.add_node_at_centre(type_id)
        scene_pos, source = self._pending
        self._pending = None
        self.quick_add.hide()  # already hidden when the choice came from the popup
        spot = QPointF(scene_pos.x(), scene_pos.y() - 30.0)
        if source is not None and not source[2]:  # pulled out of an input: node goes left
            spot.setX(spot.x() - LEFT_OF_INPUT)
        node_id = self._canvas.add_node(type_id, spot, connect_to=source)
        self._canvas.viewer.setFocus(Qt.FocusReason.OtherFocusReason)
        return node_id

    def _forget_pending(self) -> None:
        self._pending = None

    # -- clipboard ---------------------------------------------------------------

    def copy(self) -> bool:
        """Put the selected nodes on the system clipboard as workflow JSON."""
        text = self._canvas.copy_selection()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
        return text is not None

    def cut(self) -> bool:
        """Copy the selection to the clipboard and delete it (one undo step)."""
        text = self._canvas.cut_selection()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
        return text is not None

    def paste(self) -> list[str]:
        """Paste workflow JSON from the clipboard: at the mouse when it is over the canvas,
        otherwise next to where it was copied from. Returns the new node ids."""
        viewer = self._canvas.viewer
        inside = viewer.rect().contains(viewer.mapFromGlobal(QCursor.pos()))
        at = viewer.cursor_scene_pos() if inside else None
        return self._canvas.paste(QGuiApplication.clipboard().text(), at=at)

    # -- viewing -----------------------------------------------------------------

    def zoom_to(self, scale: float) -> None:
        """Zoom to ``scale`` (1.0 is 100 %) around the selection, or the whole graph."""
        self._canvas.zoom_to_selection()
        centre = self._canvas.viewer.visible_scene_rect().center()
        self._canvas.viewer.set_scale(scale, centre)
