"""The open workflow as an observable model.

:class:`WorkflowDocument` wraps the engine's pydantic ``Workflow`` (the single
source of truth) and announces every change with a Qt signal, so the canvas, the
properties panel and the problems panel stay in step. Only undo commands
(:mod:`widgets.commands`) call its mutating methods.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.workflow import Edge, Node, Position, Workflow


class WorkflowDocument(QObject):
    """An editable workflow. Nodes and edges keep their document order."""

    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str)  # data or label
    node_moved = Signal(str)
    edge_added = Signal(str)
    edge_removed = Signal(str)
    metadata_changed = Signal()
    reset = Signal()  # the whole workflow was replaced
    changed = Signal()  # after any of the above

    def __init__(self, workflow: Workflow | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._nodes: dict[str, Node] = {}
        self._edges: dict[str, Edge] = {}
        self._header = Workflow()
        self.set_workflow(workflow or Workflow())

    # -- reading ---------------------------------------------------------------

    def workflow(self) -> Workflow:
        """A snapshot of the document as an engine ``Workflow``."""
        return self._header.model_copy(
            update={"nodes": list(self._nodes.values()), "edges": list(self._edges.values())}
        )

    @property
    def name(self) -> str:
        return self._header.name

    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    def edges(self) -> list[Edge]:
        return list(self._edges.values())

    def node(self, node_id: str) -> Node:
        return self._nodes[node_id]

    def edge(self, edge_id: str) -> Edge:
        return self._edges[edge_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._nodes

    def has_edge(self, edge_id: str) -> bool:
        return edge_id in self._edges

    def node_index(self, node_id: str) -> int:
        return list(self._nodes).index(node_id)

    def edge_index(self, edge_id: str) -> int:
        return list(self._edges).index(edge_id)

    def edges_of(self, node_id: str) -> list[Edge]:
        """Every edge into or out of a node."""
        return [e for e in self._edges.values() if node_id in (e.source, e.target)]

    def edges_into(self, node_id: str, port: str) -> list[Edge]:
        """The edges wired into one input port."""
        return [e for e in self._edges.values() if e.target == node_id and e.target_handle == port]

    def metadata(self) -> dict[str, Any]:
        return dict(self._header.metadata)

    def unique_node_id(self, stem: str) -> str:
        """A node id not yet used, built from ``stem`` (``image_resize``, ``image_resize_2``)."""
        return fresh_node_id(stem, self._nodes.keys())

    def unique_edge_id(self) -> str:
        """An edge id not yet used (``e1``, ``e2`` …)."""
        return fresh_edge_id(self._edges.keys())

    # -- changing (called by undo commands) --------------------------------------

    def set_workflow(self, workflow: Workflow) -> None:
        """Replace everything (open, revert)."""
        self._header = workflow.model_copy(update={"nodes": [], "edges": []})
        self._nodes = {node.id: node for node in workflow.nodes}
        self._edges = {edge.id: edge for edge in workflow.edges}
        self.reset.emit()
        self.changed.emit()

    def set_name(self, name: str) -> None:
        self._header = self._header.model_copy(update={"name": name})
        self.metadata_changed.emit()
        self.changed.emit()

    def set_metadata(self, key: str, value: Any) -> None:
        """Set (or, with ``None``, remove) one editor metadata entry."""
        metadata = dict(self._header.metadata)
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
        self._header = self._header.model_copy(update={"metadata": metadata})
        self.metadata_changed.emit()
        self.changed.emit()

    def insert_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self._nodes:
            raise ValueError(f"node id {node.id!r} already in the document")
        self._nodes = _inserted(self._nodes, node.id, node, index)
        self.node_added.emit(node.id)
        self.changed.emit()

    def remove_node(self, node_id: str) -> Node:
        """Remove a node; its edges must have been removed first."""
        if self.edges_of(node_id):
            raise ValueError(f"node {node_id!r} still has edges")
        node = self._nodes.pop(node_id)
        self.node_removed.emit(node_id)
        self.changed.emit()
        return node

    def replace_node(self, node: Node) -> None:
        """Swap in a changed copy of a node (new data or label)."""
        old = self._nodes[node.id]
        self._nodes[node.id] = node
        if old.position != node.position:
            self.node_moved.emit(node.id)
        if old.data != node.data or old.label != node.label:
            self.node_changed.emit(node.id)
        self.changed.emit()

    def move_node(self, node_id: str, position: Position) -> None:
        self.replace_node(self._nodes[node_id].model_copy(update={"position": position}))

    def insert_edge(self, edge: Edge, index: int | None = None) -> None:
        if edge.id in self._edges:
            raise ValueError(f"edge id {edge.id!r} already in the document")
        self._edges = _inserted(self._edges, edge.id, edge, index)
        self.edge_added.emit(edge.id)
        self.changed.emit()

    def remove_edge(self, edge_id: str) -> Edge:
        edge = self._edges.pop(edge_id)
        self.edge_removed.emit(edge_id)
        self.changed.emit()
        return edge


def fresh_node_id(stem: str, taken: Collection[str], *, renumber: bool = False) -> str:
    """A node id not in ``taken``, built from ``stem``: ``stem``, ``stem_2``, ``stem_3``…

    With ``renumber`` a numbered stem counts on from its base, so ``image_resize_2``
    pasted again becomes ``image_resize_3``, not ``image_resize_2_2``.
    """
    base = "".join(c if c.isalnum() else "_" for c in stem).strip("_") or "node"
    if renumber:
        head, _, tail = base.rpartition("_")
        if head and tail.isdigit():
            base = head
    candidate, counter = base, 2
    while candidate in taken:
        candidate, counter = f"{base}_{counter}", counter + 1
    return candidate


def fresh_edge_id(taken: Collection[str]) -> str:
    """An edge id not in ``taken`` (``e1``, ``e2`` …)."""
    counter = len(taken) + 1
    while f"e{counter}" in taken:
        counter += 1
    return f"e{counter}"


def _inserted(items: dict[str, Any], key: str, value: Any, index: int | None) -> dict[str, Any]:
    if index is None or index >= len(items):
        return {**items, key: value}
    pairs = list(items.items())
    pairs.insert(index, (key, value))
    return dict(pairs)
