"""Copy and paste as workflow JSON, so nodes travel between windows and to text editors.

Copying writes an ordinary workflow document holding the chosen nodes and the
wires among them. Pasting reads any workflow document, gives every node and wire
a fresh id and moves the group to where it is pasted.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

from engine.errors import WorkflowFileError
from engine.workflow import Edge, Node, Position, Workflow, parse_workflow
from widgets.document import fresh_edge_id, fresh_node_id

#: The ``name`` of a copied fragment (any workflow document can be pasted).
FRAGMENT_NAME = "Copied nodes"


def extract(workflow: Workflow, node_ids: Collection[str]) -> Workflow:
    """The nodes ``node_ids`` (in document order) and the wires between them."""
    chosen = set(node_ids)
    return Workflow(
        name=FRAGMENT_NAME,
        nodes=[n for n in workflow.nodes if n.id in chosen],
        edges=[e for e in workflow.edges if e.source in chosen and e.target in chosen],
    )


def to_clipboard_text(fragment: Workflow) -> str:
    """The text put on the clipboard."""
    return fragment.to_json()


def from_clipboard_text(text: str) -> Workflow | None:
    """The workflow in ``text``, or ``None`` when it is not workflow JSON."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    try:
        return parse_workflow(data).workflow
    except WorkflowFileError:
        return None


def reidentify(
    fragment: Workflow,
    taken_node_ids: Iterable[str],
    taken_edge_ids: Iterable[str],
    *,
    at: tuple[float, float] | None = None,
    offset: tuple[float, float] = (40.0, 40.0),
) -> tuple[list[Node], list[Edge]]:
    """Copies of the fragment's nodes and wires with ids unused in the target document.

    With ``at`` the group's top-left corner lands there; otherwise it is shifted by
    ``offset`` (so a duplicate does not hide its original). Wires to nodes outside
    the fragment are dropped.
    """
    node_taken, edge_taken = set(taken_node_ids), set(taken_edge_ids)
    if not fragment.nodes:
        return [], []
    if at is not None:
        left = min(n.position.x for n in fragment.nodes)
        top = min(n.position.y for n in fragment.nodes)
        dx, dy = at[0] - left, at[1] - top
    else:
        dx, dy = offset
    renamed: dict[str, str] = {}
    nodes: list[Node] = []
    for node in fragment.nodes:
        new_id = fresh_node_id(node.id, node_taken, renumber=True)
        node_taken.add(new_id)
        renamed[node.id] = new_id
        position = Position(x=node.position.x + dx, y=node.position.y + dy)
        nodes.append(node.model_copy(update={"id": new_id, "position": position}, deep=True))
    edges = []
    for edge in fragment.edges:
        if edge.source in renamed and edge.target in renamed:
            edge_id = fresh_edge_id(edge_taken)
            edge_taken.add(edge_id)
            edges.append(
                edge.model_copy(
                    update={
                        "id": edge_id,
                        "source": renamed[edge.source],
                        "target": renamed[edge.target],
                    }
                )
            )
    return nodes, edges
