"""Clipboard and arranging edits of the canvas, each one undo step.

:class:`CanvasEditing` is :class:`~widgets.canvas.view.CanvasView`'s collaborator
for copy, paste and duplicate (through workflow JSON, see
:mod:`widgets.canvas.clipboard`) and for aligning, distributing and laying out
nodes (the geometry is in :mod:`widgets.canvas.layout`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from widgets.canvas import layout as arrange
from widgets.canvas.clipboard import extract, from_clipboard_text, to_clipboard_text
from widgets.canvas.operations import paste_command

if TYPE_CHECKING:
    from widgets.canvas.view import CanvasView


class CanvasEditing:
    """Copies, pastes and arranges the nodes of one :class:`CanvasView`."""

    def __init__(self, view: CanvasView, push: Callable[[QUndoCommand | None], None]) -> None:
        self._view = view
        self._document = view.document
        self._mapper = view.mapper
        self._push = push

    # -- clipboard -----------------------------------------------------------------

    def copy(self) -> str | None:
        """The selected nodes and the wires among them as workflow JSON (``None`` if none)."""
        ids = self._view.selected_node_ids()
        if not ids:
            return None
        return to_clipboard_text(extract(self._document.workflow(), ids))

    def paste(self, text: str, at: tuple[float, float] | None) -> list[str]:
        """Add the nodes in workflow JSON ``text`` with new ids; returns the ids."""
        fragment = from_clipboard_text(text)
        if fragment is None or not fragment.nodes:
            self._view.message.emit("Nothing to paste: the clipboard holds no Patchbay nodes")
            return []
        command, ids = paste_command(self._document, fragment, at=at, text="Paste")
        self._push(command)
        self._view.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        """Copy the selection next to itself; returns the new ids."""
        ids = self._view.selected_node_ids()
        if not ids:
            return []
        fragment = extract(self._document.workflow(), ids)
        command, new_ids = paste_command(self._document, fragment, text="Duplicate")
        self._push(command)
        self._view.select_nodes(new_ids)
        return new_ids

    # -- arranging -----------------------------------------------------------------

    def align(self, mode: arrange.Align | str) -> None:
        """Line the selected nodes up."""
        mode = arrange.Align(mode)
        rects = {i: self._mapper.node_rect(i) for i in self._view.selected_node_ids()}
        self._view.move_nodes(arrange.align(rects, mode), f"Align {mode.value}")

    def distribute(self, axis: arrange.Axis | str) -> None:
        """Space the selected nodes evenly."""
        axis = arrange.Axis(axis)
        rects = {i: self._mapper.node_rect(i) for i in self._view.selected_node_ids()}
        word = "horizontally" if axis == arrange.Axis.HORIZONTAL else "vertically"
        self._view.move_nodes(arrange.distribute(rects, axis), f"Distribute {word}")

    def auto_layout(self, node_ids: Iterable[str] | None) -> None:
        """Lay nodes out left to right by depth (default: see :meth:`CanvasView.auto_layout`)."""
        if node_ids is None:
            selected = self._view.selected_node_ids()
            ids = selected if len(selected) >= 2 else [n.id for n in self._document.nodes()]
        else:
            ids = [i for i in node_ids if self._document.has_node(i)]
        rects = {i: self._mapper.node_rect(i) for i in ids if self._mapper.card(i) is not None}
        links = [(e.source, e.target) for e in self._document.edges()]
        self._view.move_nodes(arrange.layered(rects, links), "Auto-layout")
