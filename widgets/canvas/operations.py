"""Canvas edits as undo commands: add, connect, disconnect, delete, move, paste, group.

Each function reads the document and returns the one command that makes the edit
(``None`` when there is nothing to do); the canvas pushes it. Nothing here touches
the screen, so every edit is tested on a bare document.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from PySide6.QtGui import QUndoCommand

from engine.catalog.registry import Catalog
from engine.workflow import Edge, Node, Position, Workflow
from widgets.canvas.backdrops import (
    BACKDROPS_KEY,
    Backdrop,
    unique_backdrop_id,
    write_backdrops,
)
from widgets.canvas.clipboard import reidentify
from widgets.canvas.ports import NodePorts, node_ports, node_title
from widgets.canvas.rules import PortRef, Verdict, first_compatible
from widgets.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    CompoundCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveEdgeCommand,
    RemoveNodesCommand,
    SetMetadataCommand,
)
from widgets.document import WorkflowDocument

PortsOf = Callable[[str], NodePorts | None]


@dataclass(frozen=True, slots=True)
class AddedNode:
    """The command adding a node, its id, and a remark when a requested wire did not fit."""

    command: QUndoCommand
    node_id: str
    remark: str | None = None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def add_node_command(
    document: WorkflowDocument,
    catalog: Catalog,
    ports_of: PortsOf,
    type_id: str,
    position: tuple[float, float],
    connect_to: PortRef | None = None,
) -> AddedNode:
    """Add a node of ``type_id`` with its top-left corner at ``position``.

    With ``connect_to`` the new node is also wired to that port, through its best
    fitting port (same type first), in the same undo step; a wire already in a
    single-value input it feeds is replaced.
    """
    spec = catalog.get(type_id)
    stem = type_id.rsplit(".", 1)[-1]
    node = Node(
        id=document.unique_node_id(stem),
        type=type_id,
        position=Position(x=round(position[0]), y=round(position[1])),
    )
    title = node_title(node, spec)
    plain = AddNodeCommand(document, node)
    plain.setText(f"Add {title}")
    if connect_to is None:
        return AddedNode(plain, node.id)
    other = ports_of(connect_to.node_id)
    port = other.port(connect_to.port, connect_to.is_output) if other is not None else None
    if other is None or port is None or port.type is None or other.placeholder:
        return AddedNode(plain, node.id, "The new node was not wired: that port takes no new wires")
    mine = node_ports(node, spec)
    into = connect_to.is_output
    fit = first_compatible(mine.inputs if into else mine.outputs, port.type, into=into)
    if fit is None:
        side = "input" if into else "output"
        return AddedNode(
            plain, node.id, f"“{title}” has no {side} that fits a {port.type.value} wire"
        )
    source, target = (
        (connect_to, PortRef(node.id, fit.name, False))
        if into
        else (PortRef(node.id, fit.name, True), connect_to)
    )
    edge = Edge(
        id=document.unique_edge_id(),
        source=source.node_id,
        source_handle=source.port,
        target=target.node_id,
        target_handle=target.port,
    )
    paste = PasteCommand(document, [node], [edge], text=f"Add {title}")
    replaces = [] if into or port.multi else document.edges_into(target.node_id, target.port)
    if not replaces:
        return AddedNode(paste, node.id)
    steps: list[QUndoCommand] = [RemoveEdgeCommand(document, e.id) for e in replaces]
    return AddedNode(CompoundCommand(f"Add {title}", [*steps, paste]), node.id)


def connect_command(document: WorkflowDocument, verdict: Verdict) -> AddEdgeCommand | None:
    """The wire an allowed :class:`Verdict` describes, replacing what it replaces."""
    if not verdict.allowed or verdict.source is None or verdict.target is None:
        return None
    edge = Edge(
        id=document.unique_edge_id(),
        source=verdict.source.node_id,
        source_handle=verdict.source.port,
        target=verdict.target.node_id,
        target_handle=verdict.target.port,
    )
    return AddEdgeCommand(document, edge, replaces=verdict.replaces)


def disconnect_command(document: WorkflowDocument, edge_ids: Iterable[str]) -> QUndoCommand | None:
    """Remove wires in one step."""
    ids = [e for e in dict.fromkeys(edge_ids) if document.has_edge(e)]
    if not ids:
        return None
    if len(ids) == 1:
        return RemoveEdgeCommand(document, ids[0])
    command = RemoveNodesCommand(document, [], ids)
    command.setText(f"Disconnect {_plural(len(ids), 'wire')}")
    return command


def move_command(
    document: WorkflowDocument, positions: Mapping[str, tuple[float, float]], text: str = "Move"
) -> MoveNodesCommand | None:
    """Move nodes to new top-left corners (rounded to whole scene units)."""
    moves: dict[str, tuple[Position, Position]] = {}
    for node_id, (x, y) in positions.items():
        if not document.has_node(node_id):
            continue
        old = document.node(node_id).position
        new = Position(x=round(x), y=round(y))
        if (old.x, old.y) != (new.x, new.y):
            moves[node_id] = (old, new)
    return MoveNodesCommand(document, moves, text) if moves else None


def delete_command(
    document: WorkflowDocument,
    node_ids: Collection[str],
    edge_ids: Collection[str] = (),
    backdrops: Iterable[Backdrop] = (),
    backdrop_ids: Collection[str] = (),
) -> QUndoCommand | None:
    """Delete nodes (with their wires), wires and backdrops in one step.

    Deleted nodes also leave the backdrops that held them, so no frame keeps ids
    of nodes that are gone.
    """
    nodes = [n for n in dict.fromkeys(node_ids) if document.has_node(n)]
    edges = [e for e in dict.fromkeys(edge_ids) if document.has_edge(e)]
    all_backdrops = list(backdrops)
    kept = [
        Backdrop(b.id, b.title, tuple(n for n in b.nodes if n not in nodes))
        for b in all_backdrops
        if b.id not in backdrop_ids
    ]
    kept = [b for b in kept if b.nodes]
    steps: list[QUndoCommand] = []
    if nodes or edges:
        steps.append(RemoveNodesCommand(document, nodes, edges))
    if kept != all_backdrops:
        steps.append(
            SetMetadataCommand(document, BACKDROPS_KEY, write_backdrops(kept), "Delete group")
        )
    if not steps:
        return None
    parts = []
    if nodes:
        parts.append(_plural(len(nodes), "node"))
    if edges:
        parts.append(_plural(len(edges), "wire"))
    dropped = len(all_backdrops) - len([b for b in all_backdrops if b.id not in backdrop_ids])
    if dropped:
        parts.append(_plural(dropped, "group"))
    text = "Delete " + ", ".join(parts) if parts else "Delete"
    if len(steps) == 1:
        steps[0].setText(text)
        return steps[0]
    return CompoundCommand(text, steps)


def paste_command(
    document: WorkflowDocument,
    fragment: Workflow,
    *,
    at: tuple[float, float] | None = None,
    offset: tuple[float, float] = (40.0, 40.0),
    text: str = "Paste",
) -> tuple[PasteCommand | None, list[str]]:
    """Add a copy of ``fragment`` with fresh ids (see :func:`clipboard.reidentify`)."""
    nodes, edges = reidentify(
        fragment,
        (n.id for n in document.nodes()),
        (e.id for e in document.edges()),
        at=at,
        offset=offset,
    )
    if not nodes:
        return None, []
    return PasteCommand(document, nodes, edges, text=text), [n.id for n in nodes]


def group_command(
    document: WorkflowDocument,
    backdrops: list[Backdrop],
    node_ids: Collection[str],
    title: str = "Group",
) -> tuple[SetMetadataCommand, str] | None:
    """Put nodes under a new titled backdrop (they leave any backdrop they were in)."""
    members = tuple(n for n in dict.fromkeys(node_ids) if document.has_node(n))
    if not members:
        return None
    backdrop_id = unique_backdrop_id(backdrops)
    others = [
        Backdrop(b.id, b.title, tuple(n for n in b.nodes if n not in members)) for b in backdrops
    ]
    updated = [b for b in others if b.nodes] + [Backdrop(backdrop_id, title, members)]
    command = SetMetadataCommand(
        document, BACKDROPS_KEY, write_backdrops(updated), f"Group {_plural(len(members), 'node')}"
    )
    return command, backdrop_id


def ungroup_command(
    document: WorkflowDocument, backdrops: list[Backdrop], backdrop_ids: Collection[str]
) -> SetMetadataCommand | None:
    """Remove backdrops (their nodes stay)."""
    kept = [b for b in backdrops if b.id not in backdrop_ids]
    if len(kept) == len(backdrops):
        return None
    return SetMetadataCommand(document, BACKDROPS_KEY, write_backdrops(kept), "Ungroup")


def rename_backdrop_command(
    document: WorkflowDocument, backdrops: list[Backdrop], backdrop_id: str, title: str
) -> SetMetadataCommand | None:
    """Retitle one backdrop."""
    title = title.strip()
    if not title or not any(b.id == backdrop_id and b.title != title for b in backdrops):
        return None
    renamed = [Backdrop(b.id, title, b.nodes) if b.id == backdrop_id else b for b in backdrops]
    return SetMetadataCommand(document, BACKDROPS_KEY, write_backdrops(renamed), "Rename group")
