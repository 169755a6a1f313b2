"""The canvas's right-click menu: the common edits, applied where the menu was opened."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from widgets.canvas.layout import Align, Axis

if TYPE_CHECKING:
    from widgets.canvas.view import CanvasView

_ALIGN_LABELS = (
    (Align.LEFT, "Left Edges"),
    (Align.H_CENTER, "Horizontal Centres"),
    (Align.RIGHT, "Right Edges"),
    (Align.TOP, "Top Edges"),
    (Align.V_CENTER, "Vertical Centres"),
    (Align.BOTTOM, "Bottom Edges"),
)


def context_menu(view: CanvasView, scene_pos: QPointF) -> QMenu:
    """The menu for a right-click at ``scene_pos`` (clipboard actions use the system clipboard)."""
    menu = QMenu(view)
    has_selection = bool(view.selected_node_ids())
    menu.addAction("Add Node…", lambda: view.quick_add_requested.emit(scene_pos, None, None))
    menu.addSeparator()
    clipboard = QGuiApplication.clipboard()
    if has_selection:
        menu.addAction("Cut", lambda: clipboard.setText(view.cut_selection() or ""))
        menu.addAction("Copy", lambda: clipboard.setText(view.copy_selection() or ""))
    menu.addAction("Paste", lambda: view.paste(clipboard.text(), at=scene_pos))
    if has_selection:
        menu.addAction("Duplicate", view.duplicate)
        menu.addAction("Delete", view.delete_selection)
        menu.addSeparator()
        menu.addAction("Group", view.group_selection)
        if view.node_actions:
            menu.addSeparator()
            for action in view.node_actions:
                menu.addAction(action)
            menu.addSeparator()
        align = menu.addMenu("Align")
        for mode, label in _ALIGN_LABELS:
            align.addAction(label, partial(view.align, mode))
        spread = menu.addMenu("Distribute")
        spread.addAction("Horizontally", partial(view.distribute, Axis.HORIZONTAL))
        spread.addAction("Vertically", partial(view.distribute, Axis.VERTICAL))
    if view.selected_backdrop_ids():
        menu.addAction("Ungroup", view.ungroup)
    menu.addSeparator()
    menu.addAction("Select All", view.select_all)
    menu.addAction("Auto-Layout", view.auto_layout)
    menu.addAction("Zoom to Fit", view.zoom_to_fit)
    return menu
