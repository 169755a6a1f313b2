"""Every edit is an undo command; undoing a sequence restores the document exactly."""

from __future__ import annotations

from PySide6.QtGui import QUndoStack

from engine.workflow import Edge, Node, Position, Workflow
from widgets.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveEdgeCommand,
    RemoveNodesCommand,
    SetLabelCommand,
    SetMetadataCommand,
    SetParamCommand,
)
from widgets.document import WorkflowDocument


def _initial() -> Workflow:
    return Workflow(
        name="Edits",
        nodes=[
            Node(id="a", type="input.text", data={"name": "brief", "default": "x"}),
            Node(id="b", type="text.template", data={"template": "{text}!"}),
            Node(id="c", type="output.text"),
        ],
        edges=[
            Edge(id="e1", source="a", sourceHandle="text", target="b", targetHandle="text"),
            Edge(id="e2", source="b", sourceHandle="text", target="c", targetHandle="text"),
        ],
    )


def test_twenty_mixed_edits_undo_to_initial_and_redo_to_final() -> None:
    document = WorkflowDocument(_initial())
    stack = QUndoStack()
    initial = document.workflow().to_json()

    def edge(eid: str, s: str, sh: str, t: str, th: str) -> Edge:
        return Edge(id=eid, source=s, sourceHandle=sh, target=t, targetHandle=th)

    edits = [
        lambda: AddNodeCommand(document, Node(id="d", type="text.concat")),
        lambda: SetParamCommand(document, "b", "template", "{text}?"),
        lambda: MoveNodesCommand(document, {"a": (Position(), Position(x=10, y=20))}),
        lambda: AddEdgeCommand(document, edge("e3", "a", "text", "d", "a")),
        lambda: SetLabelCommand(document, "a", "Brief"),
        lambda: RemoveEdgeCommand(document, "e2"),
        lambda: AddEdgeCommand(document, edge("e4", "d", "text", "c", "text")),
        lambda: RemoveNodesCommand(document, ["b"]),
        lambda: SetParamCommand(document, "d", "separator", " - "),
        lambda: AddNodeCommand(document, Node(id="f", type="text.split_lines")),
        lambda: AddEdgeCommand(document, edge("e5", "a", "text", "f", "text")),
        lambda: SetMetadataCommand(document, "backdrops", [{"title": "Inputs"}], "Group"),
        lambda: MoveNodesCommand(
            document, {"d": (Position(), Position(x=300)), "f": (Position(), Position(y=90))}
        ),
        lambda: PasteCommand(
            document,
            [Node(id="g", type="output.text"), Node(id="h", type="text.concat")],
            [edge("e6", "h", "text", "g", "text")],
        ),
        lambda: SetParamCommand(document, "a", "default", "y"),
        lambda: RemoveNodesCommand(document, ["g", "h"]),
        lambda: AddEdgeCommand(document, edge("e7", "f", "lines", "c", "text"), replaces=["e4"]),
        lambda: SetLabelCommand(document, "c", "Result"),
        lambda: RemoveNodesCommand(document, ["d", "a"]),
        lambda: SetParamCommand(document, "f", "keep_empty", True),
    ]
    assert len(edits) == 20
    for make in edits:
        stack.push(make())
    final = document.workflow().to_json()
    assert final != initial
    assert stack.count() == 20

    stack.setIndex(0)
    assert document.workflow().to_json() == initial
    stack.setIndex(stack.count())
    assert document.workflow().to_json() == final


def test_typing_into_one_field_is_one_undo_step() -> None:
    document = WorkflowDocument(_initial())
    stack = QUndoStack()
    for text in ["{", "{t", "{te", "{text} done"]:
        stack.push(SetParamCommand(document, "b", "template", text))
    stack.push(SetParamCommand(document, "a", "default", "other field"))
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    assert document.node("b").data["template"] == "{text}!"


def test_deleting_two_connected_nodes_removes_their_shared_wire_once() -> None:
    document = WorkflowDocument(_initial())
    stack = QUndoStack()
    before = document.workflow().to_json()
    stack.push(RemoveNodesCommand(document, ["a", "b"]))
    assert [n.id for n in document.nodes()] == ["c"]
    assert document.edges() == []
    stack.undo()
    assert document.workflow().to_json() == before


def test_document_signals_follow_edits() -> None:
    document = WorkflowDocument(_initial())
    seen: list[str] = []
    document.node_added.connect(lambda node_id: seen.append(f"+{node_id}"))
    document.node_removed.connect(lambda node_id: seen.append(f"-{node_id}"))
    document.edge_removed.connect(lambda edge_id: seen.append(f"-{edge_id}"))
    stack = QUndoStack()
    stack.push(AddNodeCommand(document, Node(id="z", type="output.text")))
    stack.push(RemoveNodesCommand(document, ["b"]))
    assert seen == ["+z", "-e1", "-e2", "-b"]
    assert document.unique_node_id("z") == "z_2"
