"""The node-graph canvas: a view of a :class:`WorkflowDocument` that edits it through undo commands.

:class:`CanvasView` subscribes to the document and keeps the NodeGraphQt session
equal to it (through :class:`~widgets.canvas.mapping.GraphMapper`); every gesture
(connect, re-plug, disconnect, slice, move, delete, drop) and every editing method
pushes one command on the given undo stack. NodeGraphQt keeps no history of its
own, so undo always goes through that stack and gives exactly the model's state.
Viewer gestures are judged in :mod:`.gestures`, the clipboard and arranging
edits live in :mod:`.editing`, and run results are kept by :class:`.run_overlay.RunViews`.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, QPointF, Signal
from PySide6.QtGui import QAction, QResizeEvent, QShowEvent, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.catalog.registry import Catalog
from engine.validation import Violation
from widgets.canvas import layout as arrange
from widgets.canvas.backdrops import BackdropLayer, read_backdrops
from widgets.canvas.editing import CanvasEditing
from widgets.canvas.gestures import CanvasGestures
from widgets.canvas.legend import PortLegend
from widgets.canvas.mapping import GraphMapper
from widgets.canvas.menu import context_menu
from widgets.canvas.minimap import Minimap
from widgets.canvas.operations import (
    add_node_command,
    delete_command,
    disconnect_command,
    group_command,
    move_command,
    rename_backdrop_command,
    ungroup_command,
)
from widgets.canvas.rules import PortRef, Verdict, check_connection
from widgets.canvas.run_overlay import NodeRunView, RunViews, overlay_scene_rect
from widgets.canvas.viewer import PatchbayGraph, PatchbayViewer
from widgets.document import WorkflowDocument

PortSpecifier = PortRef | tuple[str, str, bool]


def _point(pos: QPointF | tuple[float, float]) -> tuple[float, float]:
    if isinstance(pos, tuple):
        return float(pos[0]), float(pos[1])
    return pos.x(), pos.y()


class CanvasView(QWidget):
    """The editable node graph of one document.

    Signals:
        message(str): something the user should read in the status bar (why a
            wire was refused, why a paste did nothing …).
        selection_changed(list[str]): the selected node ids, in document order.
        quick_add_requested(QPointF, PortType | None, (node_id, port, is_output) | None):
            Tab over the canvas, or a wire dropped on empty space; the scene point,
            the dragged port's type and the port itself. Answer with
            ``add_node(type_id, scene_pos, connect_to=source)``.
        node_double_clicked(str): a node id.
    """

    message = Signal(str)
    selection_changed = Signal(list)
    quick_add_requested = Signal(QPointF, object, object)
    node_double_clicked = Signal(str)

    def __init__(
        self,
        document: WorkflowDocument,
        undo_stack: QUndoStack,
        catalog: Catalog,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._stack = undo_stack
        self._catalog = catalog
        self._graph = PatchbayGraph(self)
        self._viewer: PatchbayViewer = self._graph.patchbay_viewer
        self._mapper = GraphMapper(self._graph, document, catalog)
        self._backdrops = BackdropLayer(
            self._viewer.scene(), self._mapper.card, self.rename_backdrop
        )
        self._gestures = CanvasGestures(self, self._backdrops, self._push)
        self._editing = CanvasEditing(self, self._push)
        self._viewer.judge = self._gestures.judge_items
        self._selection: list[str] = []
        self._fit_pending = True
        self._runs = RunViews(self._mapper.card, self)
        #: Actions the context menu offers for the selected nodes (Run from here …).
        self.node_actions: list[QAction] = []

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self._viewer)
        self.minimap = Minimap(self._viewer, self)
        self.legend = PortLegend(self, columns=1, framed=True)
        self.legend.setVisible(False)

        document.node_added.connect(self._on_node_added)
        document.node_removed.connect(self._on_node_removed)
        document.node_moved.connect(self._on_node_moved)
        # Slots are this widget's methods, so Qt drops the connections when it is deleted
        # (the document may outlive the canvas).
        document.node_changed.connect(self._on_node_changed)
        document.edge_added.connect(self._on_edge_added)
        document.edge_removed.connect(self._on_edge_removed)
        document.metadata_changed.connect(self._on_metadata_changed)
        document.reset.connect(self._on_reset)

        self._graph.wires_changed.connect(self._gestures.on_wires_changed)
        self._graph.wires_sliced.connect(self._gestures.on_wires_sliced)
        self._graph.node_double_clicked.connect(lambda node: self.node_double_clicked.emit(node.id))
        self._viewer.nodes_dragged.connect(self._gestures.on_nodes_dragged)
        self._viewer.quick_add.connect(self._gestures.on_quick_add)
        self._viewer.node_type_dropped.connect(lambda type_id, pos: self.add_node(type_id, pos))
        self._viewer.delete_pressed.connect(self.delete_selection)
        self._viewer.message.connect(self.message)
        self._viewer.gesture_finished.connect(self._mapper.sync_pipes)
        self._viewer.context_menu.connect(self._show_context_menu)
        self._viewer.scene().selectionChanged.connect(self._on_selection_changed)
        self._build()

    # -- parts -----------------------------------------------------------------

    @property
    def viewer(self) -> PatchbayViewer:
        """The QGraphicsView showing the graph (give it focus for keyboard gestures)."""
        return self._viewer

    @property
    def graph(self) -> PatchbayGraph:
        """The NodeGraphQt controller (read-only use; edit through this class)."""
        return self._graph

    @property
    def mapper(self) -> GraphMapper:
        return self._mapper

    @property
    def document(self) -> WorkflowDocument:
        return self._document

    # -- adding and wiring ---------------------------------------------------------

    def add_node(
        self,
        type_id: str,
        scene_pos: QPointF | tuple[float, float],
        *,
        connect_to: PortSpecifier | None = None,
    ) -> str | None:
        """Add a node of ``type_id`` with its top-left corner at ``scene_pos``; returns its id.

        ``connect_to`` (a :class:`PortRef` or ``(node_id, port, is_output)``, as sent
        by :attr:`quick_add_requested`) also wires the new node to that port in the
        same undo step.
        """
        if type_id not in self._catalog:
            self.message.emit(f"Unknown node type “{type_id}”")
            return None
        ref = PortRef(*connect_to) if isinstance(connect_to, tuple) else connect_to
        added = add_node_command(
            self._document, self._catalog, self._mapper.ports_of, type_id, _point(scene_pos), ref
        )
        self._stack.push(added.command)
        if added.remark:
            self.message.emit(added.remark)
        self.select_nodes([added.node_id])
        return added.node_id

    def check_connection(self, start: PortRef, end: PortRef) -> Verdict:
        """Whether a wire may join two ports, and why not (what a drag shows)."""
        return check_connection(self._document.edges(), self._mapper.ports_of, start, end)

    def connect_ports(self, start: PortRef, end: PortRef) -> Verdict:
        """Wire two ports (either order) as a drag does: one undo step, or a refusal.

        A wire into an occupied single-value input replaces the old one. A refusal
        is also sent as :attr:`message`.
        """
        return self._gestures.connect(start, end, removed=[])

    def remove_edges(self, edge_ids: Iterable[str]) -> None:
        """Remove wires in one undo step."""
        self._push(disconnect_command(self._document, edge_ids))

    # -- selection -------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        """Selected nodes, in document order."""
        cards = self._mapper.cards()
        return [n.id for n in self._document.nodes() if n.id in cards and cards[n.id].isSelected()]

    def selected_edge_ids(self) -> list[str]:
        ids = (self._mapper.edge_id_of(p) for p in self._viewer.selected_pipes())
        return [i for i in ids if i is not None]

    def selected_backdrop_ids(self) -> list[str]:
        return self._backdrops.selected_ids()

    def select_nodes(self, node_ids: Iterable[str]) -> None:
        """Select exactly these nodes."""
        wanted = set(node_ids)
        scene = self._viewer.scene()
        scene.blockSignals(True)
        scene.clearSelection()
        for node_id, card in self._mapper.cards().items():
            if node_id in wanted:
                card.setSelected(True)
        scene.blockSignals(False)
        self._on_selection_changed()

    def select_all(self) -> None:
        self.select_nodes(n.id for n in self._document.nodes())

    def clear_selection(self) -> None:
        self.select_nodes(())

    # -- clipboard and deletion ------------------------------------------------------

    def copy_selection(self) -> str | None:
        """The selected nodes and the wires among them as workflow JSON (``None`` if none)."""
        return self._editing.copy()

    def cut_selection(self) -> str | None:
        """Copy, then delete the selection in one undo step."""
        text = self.copy_selection()
        if text is not None:
            self.delete_selection(text="Cut")
        return text

    def paste(self, text: str, at: QPointF | tuple[float, float] | None = None) -> list[str]:
        """Add the nodes in workflow JSON ``text`` with new ids (one undo step); returns the ids.

        With ``at`` the group's top-left corner lands there, otherwise it is offset
        from where it was copied. Text that is not workflow JSON adds nothing.
        """
        return self._editing.paste(text, None if at is None else _point(at))

    def duplicate(self) -> list[str]:
        """Copy the selection next to itself (one undo step); returns the new ids."""
        return self._editing.duplicate()

    def delete_selection(self, text: str | None = None) -> None:
        """Delete the selected nodes (with their wires), wires and groups in one step."""
        command = delete_command(
            self._document,
            self.selected_node_ids(),
            self.selected_edge_ids(),
            self._backdrops.backdrops(),
            self.selected_backdrop_ids(),
        )
        if command is not None and text:
            command.setText(text)
        self._push(command)

    # -- arranging ---------------------------------------------------------------

    def move_nodes(self, positions: dict[str, tuple[float, float]], text: str = "Move") -> None:
        """Move nodes to new top-left corners in one undo step."""
        self._push(move_command(self._document, positions, text))
        for node_id in positions:
            self._mapper.move_node(node_id)

    def align(self, mode: arrange.Align | str) -> None:
        """Line the selected nodes up (left, right, top, bottom, h-center, v-center)."""
        self._editing.align(mode)

    def distribute(self, axis: arrange.Axis | str) -> None:
        """Space the selected nodes evenly (``"h"`` or ``"v"``)."""
        self._editing.distribute(axis)

    def auto_layout(self, node_ids: Iterable[str] | None = None) -> None:
        """Lay nodes out left to right by depth in one undo step.

        Default: the selection when two or more nodes are selected, else every node.
        """
        self._editing.auto_layout(node_ids)

    # -- groups ------------------------------------------------------------------

    def group_selection(self, title: str = "Group") -> str | None:
        """Frame the selected nodes with a titled backdrop; returns its id."""
        made = group_command(
            self._document, self._backdrops.backdrops(), self.selected_node_ids(), title
        )
        if made is None:
            return None
        self._push(made[0])
        return made[1]

    def ungroup(self, backdrop_ids: Iterable[str] | None = None) -> None:
        """Remove backdrops (default: the selected ones); their nodes stay."""
        ids = list(backdrop_ids) if backdrop_ids is not None else self.selected_backdrop_ids()
        self._push(ungroup_command(self._document, self._backdrops.backdrops(), ids))

    def rename_backdrop(self, backdrop_id: str, title: str) -> None:
        self._push(
            rename_backdrop_command(self._document, self._backdrops.backdrops(), backdrop_id, title)
        )

    # -- viewing -----------------------------------------------------------------

    def zoom_to_fit(self) -> None:
        """Show the whole graph (with the run results under the nodes)."""
        rect = self._mapper.scene_rect()
        for card in self._mapper.cards().values():
            rect = rect.united(overlay_scene_rect(card))
        if rect.isNull():
            self._viewer.set_scale(1.0, QPointF(0.0, 0.0))
            return
        self._viewer.frame_rect(rect)

    def zoom_to_selection(self) -> None:
        """Show the selected nodes (the whole graph when nothing is selected)."""
        ids = self.selected_node_ids()
        if not ids:
            self.zoom_to_fit()
            return
        self._viewer.frame_rect(self._mapper.scene_rect(ids))

    def zoom_in(self) -> None:
        self._viewer.scale(1.2, 1.2)

    def zoom_out(self) -> None:
        self._viewer.scale(1 / 1.2, 1 / 1.2)

    def zoom_reset(self) -> None:
        """Back to 100 %, keeping the centre of the view."""
        self._viewer.set_scale(1.0, self._viewer.visible_scene_rect().center())

    def zoom(self) -> float:
        """The current scale (1.0 is 100 %)."""
        return float(self._viewer.transform().m11())

    def frame_node(self, node_id: str) -> None:
        """Select one node and bring it to the centre of the view."""
        card = self._mapper.card(node_id)
        if card is None:
            return
        self.select_nodes([node_id])
        rect = card.sceneBoundingRect()
        if self.zoom() >= 0.6:
            self._viewer.center_on_point(rect.center())
        else:
            self._viewer.frame_rect(rect, margin=260.0)

    def map_to_global(self, scene_pos: QPointF) -> QPoint:
        """The screen position of a scene point (where to open the quick-add popup)."""
        return QPoint(self._viewer.mapToGlobal(self._viewer.mapFromScene(scene_pos)))

    def set_minimap_visible(self, visible: bool) -> None:
        self.minimap.setVisible(visible)
        self._place_overlays()

    def set_legend_visible(self, visible: bool) -> None:
        self.legend.setVisible(visible)
        self._place_overlays()

    # -- validation ----------------------------------------------------------------

    def set_violations(self, violations: Iterable[Violation]) -> None:
        """Mark the nodes and wires that have errors (red outline / red dashed wire).

        Replaces earlier marks. Warnings are not marked (the problems panel lists them).
        """
        nodes: dict[str, list[str]] = {}
        edges: set[str] = set()
        for violation in violations:
            if not violation.is_error:
                continue
            text = violation.message + (f" — {violation.hint}" if violation.hint else "")
            if violation.edge_id:
                edges.add(violation.edge_id)
            if violation.node_id:
                nodes.setdefault(violation.node_id, []).append(text)
        self._mapper.set_marks(nodes, edges)
        self.minimap.update()

    # -- run results ---------------------------------------------------------------------

    def set_node_states(self, views: dict[str, NodeRunView], *, replace: bool = False) -> None:
        """Show run results on nodes: state border and badge, time, credits, outputs.

        ``views`` maps node ids to what to show; with ``replace`` every node not in
        ``views`` loses its results. Results are kept by node id, so they survive
        the card being rebuilt (undo, redo, a port change).
        """
        self._runs.set(views, replace=replace)

    def clear_node_states(self) -> None:
        """Remove every run result from the canvas."""
        self.set_node_states({}, replace=True)

    def node_state(self, node_id: str) -> NodeRunView | None:
        """What the canvas shows of ``node_id``'s run (``None``: nothing)."""
        return self._runs.get(node_id)

    # -- document → canvas -----------------------------------------------------------

    def _build(self) -> None:
        self._mapper.rebuild()
        self._backdrops.set_backdrops(read_backdrops(self._document.metadata()))
        self._runs.apply_all()
        self._on_selection_changed()

    def _on_reset(self) -> None:
        self._build()
        if self.isVisible():
            self.zoom_to_fit()
        else:
            self._fit_pending = True

    def _on_node_added(self, node_id: str) -> None:
        self._mapper.add_node(node_id)
        self._runs.apply(node_id)
        self._backdrops.rewrap()

    def _on_node_removed(self, node_id: str) -> None:
        self._mapper.remove_node(node_id)
        self._backdrops.rewrap()
        self._on_selection_changed()

    def _on_node_moved(self, node_id: str) -> None:
        self._mapper.move_node(node_id)
        self._backdrops.rewrap()

    def _on_node_changed(self, node_id: str) -> None:
        self._mapper.refresh_node(node_id)
        self._runs.apply(node_id)

    def _on_edge_added(self, edge_id: str) -> None:
        self._mapper.add_edge(edge_id)
        edge = self._document.edge(edge_id)
        for node_id in (edge.source, edge.target):  # a new port rebuilds the card
            self._runs.apply(node_id)

    def _on_edge_removed(self, edge_id: str) -> None:
        self._mapper.remove_edge(edge_id)
        self._runs.apply_all()

    def _on_metadata_changed(self) -> None:
        self._backdrops.set_backdrops(read_backdrops(self._document.metadata()))

    def _on_selection_changed(self) -> None:
        ids = self.selected_node_ids()
        if ids != self._selection:
            self._selection = ids
            self.selection_changed.emit(list(ids))

    # -- undo --------------------------------------------------------------------------

    def _push(self, command: QUndoCommand | None) -> None:
        if command is not None:
            self._stack.push(command)

    # -- context menu ------------------------------------------------------------------

    def _show_context_menu(self, global_pos: object, scene_pos: QPointF) -> None:
        assert isinstance(global_pos, QPoint)
        context_menu(self, scene_pos).exec(global_pos)

    # -- overlays ------------------------------------------------------------------------

    def _place_overlays(self) -> None:
        margin = 12
        size = self.minimap.size()
        self.minimap.move(
            self.width() - size.width() - margin, self.height() - size.height() - margin
        )
        self.minimap.raise_()
        hint = self.legend.sizeHint()
        self.legend.resize(hint)
        self.legend.move(margin, self.height() - hint.height() - margin)
        self.legend.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_overlays()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._place_overlays()
        if self._fit_pending:
            self._fit_pending = False
            self.zoom_to_fit()
