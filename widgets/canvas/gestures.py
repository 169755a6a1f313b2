"""Mouse gestures on the canvas turned into undo commands: wiring, slicing, dragging, quick-add.

:class:`CanvasGestures` is :class:`~widgets.canvas.view.CanvasView`'s collaborator
for what the viewer reports (a wire dropped, wires sliced, nodes dragged, a port
dragged onto empty space); it judges each gesture against the document and pushes
one command through the view, so undo always goes through the view's stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from NodeGraphQt.qgraphics.port import PortItem
from PySide6.QtCore import QPointF
from PySide6.QtGui import QUndoCommand

from widgets.canvas.backdrops import BackdropLayer
from widgets.canvas.operations import connect_command
from widgets.canvas.rules import PortRef, Verdict, check_connection

if TYPE_CHECKING:
    from widgets.canvas.view import CanvasView


class CanvasGestures:
    """Judges and applies the viewer's gestures for one :class:`CanvasView`."""

    def __init__(
        self,
        view: CanvasView,
        backdrops: BackdropLayer,
        push: Callable[[QUndoCommand | None], None],
    ) -> None:
        self._view = view
        self._document = view.document
        self._mapper = view.mapper
        self._viewer = view.viewer
        self._backdrops = backdrops
        self._push = push

    def judge_items(self, start: PortItem, end: PortItem) -> Verdict:
        """Whether a wire being dragged from ``start`` may end on ``end`` (re-plugs included)."""
        detached = self._viewer.detached_port
        ignore = self._mapper.edge_ids_between(start, detached) if detached is not None else []
        return check_connection(
            self._document.edges(),
            self._mapper.ports_of,
            self._mapper.port_ref(start),
            self._mapper.port_ref(end),
            ignore_edges=ignore,
        )

    def connect(self, start: PortRef, end: PortRef, removed: list[str]) -> Verdict:
        """Wire two ports, also removing the ``removed`` wires, in one step (or refuse)."""
        verdict = check_connection(
            self._document.edges(), self._mapper.ports_of, start, end, ignore_edges=removed
        )
        if not verdict.allowed:
            self._view.message.emit(verdict.reason)
            return verdict
        verdict = replace(verdict, replaces=tuple(dict.fromkeys([*removed, *verdict.replaces])))
        self._push(connect_command(self._document, verdict))
        return verdict

    def _edges_of_pairs(self, pairs: Iterable[tuple[PortItem, PortItem]]) -> list[str]:
        removed: list[str] = []
        for a, b in pairs:
            for edge_id in self._mapper.edge_ids_between(a, b):
                if edge_id not in removed:
                    removed.append(edge_id)
                    break
        return removed

    def on_wires_changed(
        self,
        disconnected: list[tuple[PortItem, PortItem]],
        connected: list[tuple[PortItem, PortItem]],
    ) -> None:
        removed = self._edges_of_pairs(disconnected)
        if connected:
            a, b = connected[0]
            self.connect(self._mapper.port_ref(a), self._mapper.port_ref(b), removed)
        elif removed:
            self._view.remove_edges(removed)
        self._mapper.sync_pipes()

    def on_wires_sliced(self, pairs: list[tuple[PortItem, PortItem]]) -> None:
        self._view.remove_edges(self._edges_of_pairs(pairs))
        self._mapper.sync_pipes()

    def on_nodes_dragged(self, moved: object) -> None:
        assert isinstance(moved, dict)
        positions: dict[str, tuple[float, float]] = {}
        for item, (_, new) in moved.items():
            node_id = self._mapper.node_id_of(item)
            if node_id is not None:
                positions[node_id] = (new[0], new[1])
        self._view.move_nodes(positions)
        self._backdrops.rewrap()

    def on_quick_add(self, scene_pos: QPointF, start: PortItem | None) -> None:
        if start is None:
            self._view.quick_add_requested.emit(scene_pos, None, None)
            return
        ref = self._mapper.port_ref(start)
        ports = self._mapper.ports_of(ref.node_id)
        info = ports.port(ref.port, ref.is_output) if ports is not None else None
        if info is None or info.type is None or (ports is not None and ports.placeholder):
            return
        self._view.quick_add_requested.emit(
            scene_pos, info.type, (ref.node_id, ref.port, ref.is_output)
        )
