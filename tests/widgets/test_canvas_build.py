"""Building the canvas from a document, and keeping it equal to the document."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from pytestqt.qtbot import QtBot

from engine.catalog.spec import PortType
from engine.workflow import Node, Position, Workflow
from tests.widgets.canvas_support import (
    assert_canvas_matches_model,
    edge,
    make_canvas,
    port_item,
    sample_workflow,
)
from widgets.canvas import PortRef
from widgets.commands import AddEdgeCommand, AddNodeCommand, RemoveNodesCommand


def test_every_node_port_and_wire_of_the_document_is_shown(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)

    cards = view.mapper.cards()
    assert sorted(cards) == sorted(n.id for n in sample_workflow().nodes)
    assert cards["brief"].title == "Brief"  # the node's label
    assert cards["shot"].title == "Generate Image"  # else the catalog's display name
    resize = view.graph.get_node_by_id("small")
    assert [p.name() for p in resize.input_ports()] == ["image", "width"]
    assert [p.name() for p in resize.output_ports()] == ["image"]
    assert port_item(view, "small", "width", False).data_type == PortType.NUMBER
    assert port_item(view, "grid", "images", False).is_list
    assert len(view.viewer.all_pipes()) == 6
    assert_canvas_matches_model(view)


def test_positions_come_from_the_model(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)

    for node in view.document.nodes():
        card = view.mapper.card(node.id)
        assert card is not None
        assert card.xy_pos == [node.position.x, node.position.y]


def _with_unknown_types() -> Workflow:
    workflow = sample_workflow()
    nodes = [
        *workflow.nodes,
        Node(
            id="ghost",
            type="video.kling-9",
            label="Kling 9",
            position=Position(x=1040, y=240),
            data={"duration_s": 5, "nested": {"keep": [1, 2]}},
        ),
    ]
    edges = [
        *workflow.edges,
        edge("e7", "grid", "image", "ghost", "frame"),
        edge("e8", "ghost", "clip", "out", "video"),
        edge("e9", "brief", "text", "shot", "negative"),  # a port the catalog lacks
    ]
    return workflow.model_copy(update={"nodes": nodes, "edges": edges})


def test_unknown_node_types_become_placeholders_with_ports_from_their_edges(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot, _with_unknown_types())

    ghost = view.mapper.card("ghost")
    assert ghost is not None and ghost.placeholder
    ports = view.mapper.ports_of("ghost")
    assert ports is not None
    assert [p.name for p in ports.inputs] == ["frame"]
    assert [p.name for p in ports.outputs] == ["clip"]
    shot = view.mapper.ports_of("shot")
    assert shot is not None
    assert [(p.name, p.declared) for p in shot.inputs] == [("prompt", True), ("negative", False)]
    assert len(view.viewer.all_pipes()) == 9  # every wire is drawn
    assert_canvas_matches_model(view)


def test_unknown_node_types_survive_document_canvas_document(qtbot: QtBot) -> None:
    original = _with_unknown_types()
    view, stack = make_canvas(qtbot, original)

    assert view.document.workflow().to_json() == original.to_json()
    view.move_nodes({"ghost": (1100.0, 300.0)})
    view.select_nodes(["ghost"])
    pasted = view.paste(view.copy_selection() or "")
    view.select_nodes(["grid"])
    view.delete_selection()  # takes the ghost's input wire with it
    saved = view.document.workflow()
    assert saved.node(pasted[0]).type == "video.kling-9"  # a copied placeholder stays one
    ghost = saved.node("ghost")
    assert ghost.type == "video.kling-9"
    assert ghost.data == {"duration_s": 5, "nested": {"keep": [1, 2]}}
    assert any(e.source == "ghost" and e.source_handle == "clip" for e in saved.edges)
    assert any(e.target_handle == "negative" for e in saved.edges)

    while stack.canUndo():
        stack.undo()
    assert view.document.workflow().to_json() == original.to_json()
    assert_canvas_matches_model(view)


def test_placeholders_refuse_new_wires_and_say_why(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot, _with_unknown_types())

    verdict = view.connect_ports(PortRef("shot", "image", True), PortRef("ghost", "frame", False))

    assert not verdict.allowed
    assert "video.kling-9" in verdict.reason
    assert stack.count() == 0


def test_document_changes_from_anywhere_update_the_canvas(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    document = view.document

    stack.push(AddNodeCommand(document, Node(id="more", type="image.resize")))
    stack.push(AddEdgeCommand(document, edge("e7", "shot", "image", "more", "image")))
    assert view.mapper.card("more") is not None
    assert_canvas_matches_model(view)

    stack.push(RemoveNodesCommand(document, ["small"]))
    assert view.mapper.card("small") is None
    assert_canvas_matches_model(view)

    while stack.canUndo():
        stack.undo()
    assert_canvas_matches_model(view)

    replacement = Workflow(nodes=[Node(id="solo", type="input.text")])
    document.set_workflow(replacement)  # open / revert rebuild the canvas
    assert list(view.mapper.cards()) == ["solo"]
    assert view.viewer.all_pipes() == []
    assert_canvas_matches_model(view)


def test_nodegraphqt_has_no_undo_history_or_shortcut_of_its_own(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)

    view.select_all()
    view.auto_layout()
    view.connect_ports(PortRef("motion", "text", True), PortRef("clip", "prompt", False))
    view.delete_selection()

    assert stack.count() == 3  # layout, connect, delete
    assert view.graph.undo_stack().count() == 0
    assert view.viewer.qaction_for_undo() is None
    undo = QKeySequence(QKeySequence.StandardKey.Undo)
    assert not [a for a in view.findChildren(QAction) if a.shortcut() == undo]


def test_a_renamed_node_shows_its_new_title(qtbot: QtBot) -> None:
    from widgets.commands import SetLabelCommand

    view, stack = make_canvas(qtbot)
    card = view.mapper.card("shot")
    assert card is not None
    narrow = card.width

    stack.push(SetLabelCommand(view.document, "shot", "Hero shot, golden hour, wide angle"))

    assert card.title == "Hero shot, golden hour, wide angle"
    assert card.width > narrow  # the card grows to fit its title
    stack.undo()
    assert card.title == "Generate Image"
    assert_canvas_matches_model(view)


def test_a_deleted_canvas_stops_listening_to_its_document(qtbot: QtBot) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QApplication

    from tests.widgets.canvas_support import canvas_catalog
    from widgets.canvas import CanvasView
    from widgets.commands import SetLabelCommand
    from widgets.document import WorkflowDocument

    document, stack = WorkflowDocument(sample_workflow()), QUndoStack()
    view = CanvasView(document, stack, canvas_catalog())  # not owned by qtbot: deleted here
    with qtbot.waitSignal(view.destroyed):
        view.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    stack.push(SetLabelCommand(document, "shot", "Renamed"))  # no canvas left to update
    stack.push(AddEdgeCommand(document, edge("e9", "motion", "text", "clip", "prompt")))
    stack.push(AddNodeCommand(document, Node(id="late", type="input.text")))
    stack.undo()
    assert document.has_edge("e9")
