"""Undo commands: the only way a user edit changes a :class:`WorkflowDocument`.

Each command records what it needs to undo itself exactly, including the
document order of what it removes, so undoing any sequence of edits restores the
original JSON byte for byte. Composite edits (delete with wires, paste) are one
command made of steps, as in orange-canvas-core. The steps are kept in Python
lists rather than as Qt child commands: PySide does not keep the Python side of
a parented ``QUndoCommand`` alive, and Qt then calls into a freed wrapper.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.workflow import Edge, Node, Position
from widgets.document import WorkflowDocument

#: Command ids for ``mergeWith``: typing into one field merges into one step.
SET_PARAM_ID = 1001
SET_LABEL_ID = 1002


class _CompositeCommand(QUndoCommand):
    """A command made of steps: redo runs them in order, undo in reverse."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._steps: list[QUndoCommand] = []

    def redo(self) -> None:
        for step in self._steps:
            step.redo()

    def undo(self) -> None:
        for step in reversed(self._steps):
            step.undo()


class AddNodeCommand(QUndoCommand):
    """Add one node."""

    def __init__(self, document: WorkflowDocument, node: Node) -> None:
        super().__init__(f"Add {node.label or node.type}")
        self._document = document
        self._node = node

    def redo(self) -> None:
        self._document.insert_node(self._node)

    def undo(self) -> None:
        self._document.remove_node(self._node.id)


class RemoveEdgeCommand(QUndoCommand):
    """Remove one wire."""

    def __init__(self, document: WorkflowDocument, edge_id: str) -> None:
        super().__init__("Disconnect")
        self._document = document
        self._edge = document.edge(edge_id)
        self._index = 0

    def redo(self) -> None:
        self._index = self._document.edge_index(self._edge.id)
        self._document.remove_edge(self._edge.id)

    def undo(self) -> None:
        self._document.insert_edge(self._edge, self._index)


class RemoveNodeCommand(_CompositeCommand):
    """Remove one node; its wires are removed first."""

    def __init__(
        self,
        document: WorkflowDocument,
        node_id: str,
        *,
        exclude_edges: Collection[str] = (),
    ) -> None:
        node = document.node(node_id)
        super().__init__(f"Delete {node.label or node.type}")
        self._document = document
        self._node = node
        self._index = 0
        self._steps = [
            RemoveEdgeCommand(document, edge.id)
            for edge in document.edges_of(node_id)
            if edge.id not in exclude_edges
        ]

    def redo(self) -> None:
        super().redo()
        self._index = self._document.node_index(self._node.id)
        self._document.remove_node(self._node.id)

    def undo(self) -> None:
        self._document.insert_node(self._node, self._index)
        super().undo()


class RemoveNodesCommand(_CompositeCommand):
    """Delete a selection of nodes and edges in one step."""

    def __init__(
        self,
        document: WorkflowDocument,
        node_ids: Iterable[str],
        edge_ids: Iterable[str] = (),
    ) -> None:
        node_ids = list(node_ids)
        super().__init__(f"Delete {len(node_ids)} node{'s' if len(node_ids) != 1 else ''}")
        for edge_id in edge_ids:
            edge = document.edge(edge_id)
            if edge.source not in node_ids and edge.target not in node_ids:
                self._steps.append(RemoveEdgeCommand(document, edge_id))
        # Children are built before any runs, so a wire between two deleted nodes
        # would be claimed twice; it belongs to the first node that has it.
        claimed: set[str] = set()
        for node_id in node_ids:
            self._steps.append(RemoveNodeCommand(document, node_id, exclude_edges=claimed))
            claimed.update(e.id for e in document.edges_of(node_id))


class AddEdgeCommand(_CompositeCommand):
    """Connect two ports; a wire already in a single-value input is replaced."""

    def __init__(
        self, document: WorkflowDocument, edge: Edge, replaces: Iterable[str] = ()
    ) -> None:
        super().__init__("Connect")
        self._document = document
        self._edge = edge
        self._steps = [RemoveEdgeCommand(document, edge_id) for edge_id in replaces]

    def redo(self) -> None:
        super().redo()
        self._document.insert_edge(self._edge)

    def undo(self) -> None:
        self._document.remove_edge(self._edge.id)
        super().undo()


class MoveNodesCommand(QUndoCommand):
    """Move nodes (one drag, an alignment, an auto-layout) in one step."""

    def __init__(
        self,
        document: WorkflowDocument,
        moves: Mapping[str, tuple[Position, Position]],
        text: str = "Move",
    ) -> None:
        super().__init__(text)
        self._document = document
        self._moves = dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self._moves.items():
            self._document.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self._moves.items():
            self._document.move_node(node_id, old)


class SetParamCommand(QUndoCommand):
    """Set (or with ``None`` clear) one entry of a node's ``data``.

    Successive edits of the same field merge, so typing a prompt is one undo step.
    """

    def __init__(self, document: WorkflowDocument, node_id: str, name: str, value: Any) -> None:
        super().__init__(f"Set {name}")
        self._document = document
        self._node_id = node_id
        self._name = name
        data = document.node(node_id).data
        self._had_old = name in data
        self._old = data.get(name)
        self._new = value

    def id(self) -> int:
        return SET_PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand):
            return False
        if (other._node_id, other._name) != (self._node_id, self._name):
            return False
        self._new = other._new
        return True

    def _apply(self, present: bool, value: Any) -> None:
        node = self._document.node(self._node_id)
        data = dict(node.data)
        if present and value is not None:
            data[self._name] = value
        else:
            data.pop(self._name, None)
        self._document.replace_node(node.model_copy(update={"data": data}))

    def redo(self) -> None:
        self._apply(True, self._new)

    def undo(self) -> None:
        self._apply(self._had_old, self._old)


class SetLabelCommand(QUndoCommand):
    """Rename a node's label; typing merges into one step."""

    def __init__(self, document: WorkflowDocument, node_id: str, label: str | None) -> None:
        super().__init__("Rename")
        self._document = document
        self._node_id = node_id
        self._old = document.node(node_id).label
        self._new = label or None

    def id(self) -> int:
        return SET_LABEL_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetLabelCommand) or other._node_id != self._node_id:
            return False
        self._new = other._new
        return True

    def _apply(self, label: str | None) -> None:
        node = self._document.node(self._node_id)
        self._document.replace_node(node.model_copy(update={"label": label}))

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)


class SetMetadataCommand(QUndoCommand):
    """Change one editor metadata entry (backdrops/groups live here)."""

    def __init__(self, document: WorkflowDocument, key: str, value: Any, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._key = key
        self._old = document.metadata().get(key)
        self._new = value

    def redo(self) -> None:
        self._document.set_metadata(self._key, self._new)

    def undo(self) -> None:
        self._document.set_metadata(self._key, self._old)


class PasteCommand(_CompositeCommand):
    """Add several nodes and the wires between them in one step (paste, duplicate)."""

    def __init__(
        self,
        document: WorkflowDocument,
        nodes: Iterable[Node],
        edges: Iterable[Edge],
        text: str = "Paste",
    ) -> None:
        super().__init__(text)
        self._steps = [AddNodeCommand(document, node) for node in nodes]
        self._steps += [AddEdgeCommand(document, edge) for edge in edges]


class CompoundCommand(_CompositeCommand):
    """Several commands as one undo step: redo runs them in order, undo in reverse.

    Each step is built (and so reads the document) before any runs; pass steps that
    do not depend on one another's effects (delete nodes and drop their backdrop).
    """

    def __init__(self, text: str, steps: Iterable[QUndoCommand]) -> None:
        super().__init__(text)
        self._steps = list(steps)
