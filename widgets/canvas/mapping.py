"""The one translation between the Workflow (the source of truth) and NodeGraphQt's session.

:class:`GraphMapper` builds NodeGraphQt nodes, ports and wires from a
:class:`~widgets.document.WorkflowDocument` and applies each document change to
them; it also answers the reverse questions the canvas asks about a gesture
(which node, port or edge is this item?). NodeGraphQt node ids are the workflow
node ids, positions are the model's, and nothing is ever read back from the
session into the model except through undo commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from NodeGraphQt import Port
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.port import PortItem
from PySide6.QtCore import QRectF

from engine.catalog.registry import Catalog
from engine.workflow import Edge, Node
from widgets.canvas.items import NodeCard, PatchbayNode, TypedPipe, TypedPortItem
from widgets.canvas.layout import Rect
from widgets.canvas.ports import NodePorts, PortInfo, handles_by_node, node_ports
from widgets.canvas.rules import PortRef
from widgets.canvas.style import CATEGORY_LABELS, Theme, category_color, port_style
from widgets.canvas.viewer import PatchbayGraph, port_is_output
from widgets.document import WorkflowDocument


def port_tooltip(info: PortInfo) -> str:
    """A port's tooltip: its name, type, list and required marks, and what it is for."""
    kind = port_style(info.type).label.lower() if info.type else "unknown type"
    extra = " · list (takes the whole batch)" if info.is_list else ""
    if info.required is not None:
        extra += " · required" if info.required else " · optional"
    text = f"<b>{escape(info.label)}</b> — {kind}{extra}"
    if not info.declared:
        text += "<br><i>not declared by this node type; keeps its existing wires</i>"
    if info.description:
        text += f"<br>{escape(info.description)}"
    return text


class GraphMapper:
    """Keeps a :class:`PatchbayGraph` equal to a document, item for item."""

    def __init__(self, graph: PatchbayGraph, document: WorkflowDocument, catalog: Catalog) -> None:
        self._graph = graph
        self._viewer = graph.patchbay_viewer
        self._document = document
        self._catalog = catalog
        self._nodes: dict[str, PatchbayNode] = {}
        self._ports: dict[str, NodePorts] = {}
        self._edges: dict[str, Edge] = {}
        self._pipes: dict[str, TypedPipe] = {}
        self._node_marks: dict[str, list[str]] = {}
        self._edge_marks: set[str] = set()

    # -- reading ---------------------------------------------------------------

    def ports_of(self, node_id: str) -> NodePorts | None:
        """What node ``node_id`` shows (``None`` if it is not on the canvas)."""
        return self._ports.get(node_id)

    def card(self, node_id: str) -> NodeCard | None:
        node = self._nodes.get(node_id)
        return node.view if node is not None else None

    def cards(self) -> dict[str, NodeCard]:
        return {node_id: node.view for node_id, node in self._nodes.items()}

    def pipe(self, edge_id: str) -> TypedPipe | None:
        return self._pipes.get(edge_id)

    def node_id_of(self, item: AbstractNodeItem) -> str | None:
        node_id = getattr(item, "id", None)
        return node_id if isinstance(node_id, str) and node_id in self._nodes else None

    def edge_id_of(self, pipe: object) -> str | None:
        for edge_id, candidate in self._pipes.items():
            if candidate is pipe:
                return edge_id
        return None

    @staticmethod
    def port_ref(port: PortItem) -> PortRef:
        return PortRef(str(port.node.id), str(port.name), port_is_output(port))

    def edge_ids_between(self, a: PortItem, b: PortItem) -> list[str]:
        """The document edges drawn between two port items, in document order."""
        one, two = self.port_ref(a), self.port_ref(b)
        out, inp = (one, two) if one.is_output else (two, one)
        return [
            e.id
            for e in self._document.edges()
            if (e.source, e.source_handle, e.target, e.target_handle)
            == (out.node_id, out.port, inp.node_id, inp.port)
        ]

    def node_rect(self, node_id: str) -> Rect:
        card = self._nodes[node_id].view
        x, y = card.xy_pos
        return Rect(x, y, float(card.width), float(card.height))

    def scene_rect(self, node_ids: Iterable[str] | None = None) -> QRectF:
        """The box around some (default: all) nodes, in scene coordinates."""
        ids = list(self._nodes) if node_ids is None else [i for i in node_ids if i in self._nodes]
        box = QRectF()
        for node_id in ids:
            box = box.united(self._nodes[node_id].view.card_rect())
        return box

    # -- building --------------------------------------------------------------

    def rebuild(self) -> None:
        """Throw the session away and build it again from the document."""
        for pipe in self._pipes.values():
            pipe.delete()
        for ng_node in self._nodes.values():
            ng_node.view.delete()
        self._graph.model.nodes.clear()
        self._nodes.clear()
        self._ports.clear()
        self._edges.clear()
        self._pipes.clear()
        edges = self._document.edges()
        used = handles_by_node(edges)
        for node in self._document.nodes():
            ins, outs = used.get(node.id, ([], []))
            self._create(node, ins, outs)
        for edge in edges:
            self._connect(edge)

    def add_node(self, node_id: str) -> None:
        node = self._document.node(node_id)
        ins, outs = handles_by_node(self._document.edges_of(node_id)).get(node_id, ([], []))
        self._create(node, ins, outs)
        for edge in self._document.edges_of(node_id):
            if edge.id not in self._edges:
                self._connect(edge)

    def remove_node(self, node_id: str) -> None:
        for edge_id in [i for i, e in self._edges.items() if node_id in (e.source, e.target)]:
            self.remove_edge(edge_id)
        node = self._nodes.pop(node_id, None)
        self._ports.pop(node_id, None)
        if node is not None:
            self._graph.remove_node(node, push_undo=False)

    def move_node(self, node_id: str) -> None:
        node = self._nodes.get(node_id)
        if node is None:
            return
        position = self._document.node(node_id).position
        xy = [position.x, position.y]
        if node.view.xy_pos != xy:
            node.view.xy_pos = xy
        node.model.pos = xy

    def refresh_node(self, node_id: str) -> None:
        """Show a changed label (or port set) of a node."""
        if node_id not in self._nodes:
            return
        node = self._document.node(node_id)
        current = self._ports[node_id]
        ins, outs = handles_by_node(self._document.edges_of(node_id)).get(node_id, ([], []))
        wanted = node_ports(node, self._catalog.get(node.type), ins, outs)
        if wanted == current:
            return  # a parameter changed: nothing on the card shows it
        if (wanted.inputs, wanted.outputs) != (current.inputs, current.outputs):
            self._recreate(node_id)
            return
        self._ports[node_id] = wanted
        self._dress_card(self._nodes[node_id].view, wanted)

    def add_edge(self, edge_id: str) -> None:
        edge = self._document.edge(edge_id)
        for node_id, name, is_output in (
            (edge.source, edge.source_handle, True),
            (edge.target, edge.target_handle, False),
        ):
            ports = self._ports.get(node_id)
            if ports is not None and ports.port(name, is_output) is None:
                self._edges[edge.id] = edge  # so the rebuilt card gets the new port
                self._recreate(node_id)
        if edge.id not in self._pipes:
            self._connect(edge)

    def remove_edge(self, edge_id: str) -> None:
        edge = self.remove_edge_item(edge_id)
        if edge is None:
            return
        for node_id in (edge.source, edge.target):
            info = self._ports.get(node_id)
            stale = info is not None and any(not p.declared for p in (*info.inputs, *info.outputs))
            if stale and self._document.has_node(node_id):
                self.refresh_node(node_id)

    def sync_pipes(self) -> None:
        """Make the wires on screen match the edges again after a gesture.

        While a wire is dragged NodeGraphQt deletes and re-creates wire items by
        itself; whatever the document then says is what stays on screen.
        """
        mapped = set(map(id, self._pipes.values()))
        for item in self._viewer.all_pipes():
            if id(item) not in mapped:
                TypedPipe.delete(item)
        for edge_id, pipe in list(self._pipes.items()):
            if pipe.scene() is None:
                del self._pipes[edge_id]
                self._draw(self._edges[edge_id])
        for node in self._nodes.values():
            for port in (*node.view.inputs, *node.view.outputs):
                if isinstance(port, TypedPortItem):
                    port.set_refused(False)
                    port.hovered = False

    def set_marks(self, node_messages: dict[str, list[str]], edge_ids: set[str]) -> None:
        """Flag nodes (with their problems) and edges; clear every other flag."""
        for node_id in set(self._node_marks) | set(node_messages):
            card = self.card(node_id)
            if card is not None:
                messages = node_messages.get(node_id)
                card.set_flagged(bool(messages), messages)
        for edge_id in self._edge_marks | edge_ids:
            pipe = self._pipes.get(edge_id)
            if pipe is not None:
                pipe.set_flagged(edge_id in edge_ids)
        self._node_marks = {k: list(v) for k, v in node_messages.items()}
        self._edge_marks = set(edge_ids)

    # -- internals -------------------------------------------------------------

    def _create(self, node: Node, used_inputs: list[str], used_outputs: list[str]) -> None:
        spec = self._catalog.get(node.type)
        ports = node_ports(node, spec, used_inputs, used_outputs)
        ng_node = PatchbayNode()
        ng_node.model.id = node.id
        ng_node.view.id = node.id
        ng_node.NODE_NAME = node.id
        ng_node.model.name = node.id
        card: NodeCard = ng_node.view
        for info in ports.inputs:
            port = ng_node.add_input(info.name, multi_input=info.multi)
            self._dress_port(port.view, info, ports.placeholder)
        for info in ports.outputs:
            port = ng_node.add_output(info.name, multi_output=True)
            self._dress_port(port.view, info, ports.placeholder)
        self._dress_card(card, ports, layout=False)
        self._graph.add_node(
            ng_node, pos=[node.position.x, node.position.y], selected=False, push_undo=False
        )
        self._nodes[node.id] = ng_node
        self._ports[node.id] = ports
        messages = self._node_marks.get(node.id)
        if messages:
            card.set_flagged(True, messages)

    def _recreate(self, node_id: str) -> None:
        edges = [e for e in self._edges.values() if node_id in (e.source, e.target)]
        selected = self._nodes[node_id].view.isSelected()
        for edge in edges:
            self.remove_edge_item(edge.id)
        old = self._nodes.pop(node_id)
        self._ports.pop(node_id, None)
        self._graph.remove_node(old, push_undo=False)
        ins, outs = handles_by_node(self._document.edges_of(node_id)).get(node_id, ([], []))
        self._create(self._document.node(node_id), ins, outs)
        self._nodes[node_id].view.setSelected(selected)
        for edge in edges:
            if self._document.has_edge(edge.id):
                self._connect(self._document.edge(edge.id))

    def remove_edge_item(self, edge_id: str) -> Edge | None:
        """Drop an edge's wire and bookkeeping without touching its nodes."""
        edge = self._edges.pop(edge_id, None)
        pipe = self._pipes.pop(edge_id, None)
        if pipe is not None:
            pipe.delete()
        if edge is not None:
            ports = self._ports_for(edge)
            if ports is not None:
                _unlink(*ports)
        return edge

    def _dress_port(self, view: TypedPortItem, info: PortInfo, placeholder: bool) -> None:
        view.data_type = info.type
        view.is_list = info.is_list
        view.setToolTip(port_tooltip(info))
        label = view.node.port_label(view)
        # On a known node, a port its type does not declare is marked with "?".
        label.setText(info.label if info.declared or placeholder else f"{info.label} ?")
        if not info.declared:
            label.setBrush(Theme.PLACEHOLDER_TEXT)

    def _dress_card(self, card: NodeCard, ports: NodePorts, *, layout: bool = True) -> None:
        if ports.placeholder:
            badge = "UNKNOWN"
        else:
            badge = CATEGORY_LABELS[ports.category].upper() if ports.category else ""
        tooltip = (
            f"<b>{escape(ports.title)}</b><br><span style='color:#8d94a3'>"
            f"{escape(ports.node_type)} · id {escape(ports.node_id)}</span>"
        )
        if ports.description:
            tooltip += f"<br>{escape(ports.description)}"
        card.set_look(
            ports.title,
            badge,
            category_color(ports.category),
            placeholder=ports.placeholder,
            tooltip=tooltip,
        )
        if layout and card.scene() is not None:
            card.draw_node()
            for port in (*card.inputs, *card.outputs):
                port.redraw_connected_pipes()

    def _ports_for(self, edge: Edge) -> tuple[Port, Port] | None:
        source, target = self._nodes.get(edge.source), self._nodes.get(edge.target)
        if source is None or target is None:
            return None
        out_port = source.get_output(edge.source_handle)
        in_port = target.get_input(edge.target_handle)
        if out_port is None or in_port is None:
            return None
        return in_port, out_port

    def _connect(self, edge: Edge) -> None:
        ports = self._ports_for(edge)
        self._edges[edge.id] = edge
        if ports is None:
            return  # an edge to a missing node: the validator reports it
        _link(*ports)
        self._draw(edge)

    def _draw(self, edge: Edge) -> None:
        ports = self._ports_for(edge)
        if ports is None:
            return
        in_port, out_port = ports
        pipe = self._viewer.establish_connection(in_port.view, out_port.view)
        if edge.id in self._edge_marks:
            pipe.set_flagged(True)
        self._pipes[edge.id] = pipe


def _link(in_port: Port, out_port: Port) -> None:
    """Record a connection in NodeGraphQt's port models (as its PortConnectedCmd does)."""
    in_port.model.connected_ports[out_port.node().id].append(out_port.name())
    out_port.model.connected_ports[in_port.node().id].append(in_port.name())


def _unlink(in_port: Port, out_port: Port) -> None:
    for port, other in ((in_port, out_port), (out_port, in_port)):
        connected = port.model.connected_ports
        names = connected.get(other.node().id)
        if names and other.name() in names:
            names.remove(other.name())
        if names == []:
            del connected[other.node().id]
