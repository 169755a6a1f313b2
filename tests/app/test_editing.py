"""Editing through the window: palette, quick-add, wiring, properties, clipboard, undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from engine.workflow import parse_workflow
from tests.app.conftest import WindowFactory
from tests.app.support import (
    canvas_matches_model,
    document_json,
    drag,
    port_point,
    write_sample,
)
from widgets.canvas import Align, PortRef


def _wires(window: object) -> set[tuple[str, str, str, str]]:
    document = window.document  # type: ignore[attr-defined]
    return {(e.source, e.source_handle, e.target, e.target_handle) for e in document.edges()}


# -- adding nodes ------------------------------------------------------------------------


def test_enter_in_the_palette_adds_the_type_in_the_middle_of_the_view(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    palette = window.node_palette
    palette.set_filter_text("image.resize")
    expected = palette.visible_type_ids()[0]

    qtbot.keyClick(palette.search_field, Qt.Key.Key_Return)

    [node] = window.document.nodes()
    assert node.type == expected == "image.resize"
    centre = window.canvas.viewer.visible_scene_rect().center()
    assert abs(node.position.x - (centre.x() - 90)) < 1
    assert abs(node.position.y - (centre.y() - 36)) < 1
    assert window.undo_stack.count() == 1
    assert window.canvas.selected_node_ids() == [node.id]
    assert window.properties.node_id() == node.id  # the new node is ready to edit
    assert canvas_matches_model(window)


def test_a_second_node_from_the_palette_does_not_land_on_the_first(
    make_window: WindowFactory,
) -> None:
    window = make_window()
    first = window.editing.add_node_at_centre("image.resize")
    second = window.editing.add_node_at_centre("image.resize")
    assert first is not None and second is not None and first != second
    a, b = window.document.node(first).position, window.document.node(second).position
    assert (a.x, a.y) != (b.x, b.y)


def test_tab_on_the_canvas_opens_quick_add_and_enter_adds_at_the_cursor(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    viewer = window.canvas.viewer
    viewer.setFocus()
    QTest.keyClick(viewer, Qt.Key.Key_Tab)
    popup = window.quick_add
    qtbot.waitUntil(popup.isVisible)
    assert popup.title() == "Add node"

    qtbot.keyClicks(popup.search_field, "grid")
    assert popup.visible_type_ids()[0] == "image.grid"
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Return)

    assert not popup.isVisible()
    assert [n.type for n in window.document.nodes()] == ["image.grid"]
    assert window.undo_stack.count() == 1


def test_a_wire_dropped_in_empty_space_offers_only_compatible_nodes_and_wires_the_choice(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    qtbot.waitUntil(lambda: window.canvas.zoom() > 0)
    start = port_point(window, "load", "image", True)

    drag(window.canvas.viewer.viewport(), start, start + QPoint(30, 170))

    popup = window.quick_add
    qtbot.waitUntil(popup.isVisible)
    assert popup.title() == "Add node with an input for image"
    offered = popup.visible_type_ids()
    assert "image.resize" in offered
    assert "text.concat" not in offered  # no image input
    assert all(window.catalog.get(t) is not None for t in offered)

    popup.search_field.setText("resize")
    qtbot.keyClick(popup.search_field, Qt.Key.Key_Return)

    [new_id] = [n.id for n in window.document.nodes() if n.type == "image.resize"]
    assert ("load", "image", new_id, "image") in _wires(window)
    assert window.undo_stack.count() == 1  # node and wire: one step
    window.undo_stack.undo()
    assert not window.document.has_node(new_id)
    assert canvas_matches_model(window)


# -- wiring --------------------------------------------------------------------------------


def test_compatible_ports_connect_and_incompatible_ones_are_refused_with_the_reason(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    canvas = window.canvas

    verdict = canvas.connect_ports(
        PortRef("title", "text", True), PortRef("caption", "text", False)
    )
    assert verdict.allowed
    assert ("title", "text", "caption", "text") in _wires(window)
    assert window.undo_stack.count() == 1
    assert window.isWindowModified()

    refused = canvas.connect_ports(PortRef("title", "text", True), PortRef("out", "image", False))
    assert not refused.allowed
    assert "text" in refused.reason and "image" in refused.reason
    assert window.statusBar().currentMessage() == refused.reason
    assert ("title", "text", "out", "image") not in _wires(window)
    assert window.undo_stack.count() == 1
    assert canvas_matches_model(window)


# -- properties ------------------------------------------------------------------------------


def test_a_properties_edit_changes_the_model_in_one_undo_step(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    window.canvas.select_nodes(["caption"])
    assert window.properties.node_id() == "caption"

    editor = window.properties.editor("font_size")
    assert editor is not None
    editor.spin.setValue(48)  # type: ignore[attr-defined]
    assert window.document.node("caption").data["font_size"] == 48

    label = window.properties.label_field()
    assert label is not None
    qtbot.keyClicks(label, "Names")
    assert window.document.node("caption").label == "Names"
    assert window.undo_stack.count() == 2  # typing a label is one step

    window.undo_stack.undo()
    window.undo_stack.undo()
    assert "font_size" not in window.document.node("caption").data
    assert window.document.node("caption").label is None


def test_ctrl_z_in_a_properties_field_undoes_the_document(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    with qtbot.waitActive(window):
        window.activateWindow()
    window.canvas.select_nodes(["split"])
    label = window.properties.label_field()
    assert label is not None
    label.setFocus()
    qtbot.keyClicks(label, "Lines")
    assert window.document.node("split").label == "Lines"

    QTest.keyClick(label, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.node("split").label is None
    assert window.undo_stack.index() == 0
    QTest.keyClick(
        label,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.document.node("split").label == "Lines"

    search = window.node_palette.search_field
    search.setFocus()
    qtbot.keyClicks(search, "ab")
    QTest.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert search.text() == ""  # the search field keeps its own undo
    assert window.document.node("split").label == "Lines"


# -- clipboard -------------------------------------------------------------------------------


def test_copy_and_paste_go_through_the_system_clipboard_between_windows(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    first = make_window()
    first.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    first.canvas.select_nodes(["load", "caption"])
    assert first.editing.copy()

    fragment = parse_workflow(__import__("json").loads(QGuiApplication.clipboard().text()))
    assert [n.id for n in fragment.workflow.nodes] == ["load", "caption"]
    assert len(fragment.workflow.edges) == 1  # only the wire between them

    second = make_window()
    pasted = second.editing.paste()
    assert len(pasted) == 2
    types = sorted(second.document.node(i).type for i in pasted)
    assert types == ["image.caption", "image.load"]
    assert len(second.document.edges()) == 1
    assert second.undo_stack.count() == 1
    assert first.document.nodes()[2].id == "load"  # the source window is untouched


def test_cut_removes_and_paste_brings_back_in_one_step_each(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    window.canvas.select_nodes(["title"])
    assert window.editing.cut()
    assert not window.document.has_node("title")
    [new_id] = window.editing.paste()
    assert window.document.node(new_id).data == {"name": "title"}
    assert window.undo_stack.count() == 2


# -- twenty edits ------------------------------------------------------------------------


def test_twenty_mixed_edits_undo_to_the_initial_json_and_redo_to_the_final(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(write_sample(tmp_path / "s.patchbay.json"))
    canvas, stack = window.canvas, window.undo_stack
    initial = document_json(window)

    resize = window.editing.add_node_at_centre("image.resize")  # 1 add (palette)
    assert resize is not None
    canvas.connect_ports(PortRef("caption", "image", True), PortRef(resize, "image", False))  # 2
    canvas.connect_ports(PortRef(resize, "image", True), PortRef("out", "image", False))  # 3
    canvas.select_nodes([resize])
    window.properties.editor("width").spin.setValue(640)  # type: ignore[union-attr]  # 4
    label = window.properties.label_field()
    assert label is not None
    qtbot.keyClicks(label, "Smaller")  # 5 (one merged step)
    canvas.move_nodes({resize: (1050.0, 180.0)})  # 6
    canvas.select_nodes(["load", "caption"])
    canvas.duplicate()  # 7
    canvas.delete_selection()  # 8
    canvas.select_nodes(["title"])
    assert window.editing.copy()
    window.editing.paste()  # 9
    canvas.select_nodes(["files", "split"])
    group = window.canvas.group_selection()  # 10
    assert group is not None
    canvas.rename_backdrop(group, "Inputs")  # 11
    canvas.select_nodes(["title", "load"])
    canvas.align(Align.TOP)  # 12
    canvas.remove_edges(["e2"])  # 13
    window.editing.show_quick_add(QPointF(100.0, 500.0), None, ("split", "lines", True))
    window.editing.add_quick_node("list.join")  # 14 (node and wire)
    canvas.select_nodes(["out"])
    window.editing.cut()  # 15
    canvas.auto_layout()  # 16
    canvas.ungroup([group])  # 17
    canvas.select_nodes(["files"])
    window.properties.editor("default").edit.setPlainText("x.png")  # type: ignore[union-attr]  # 18
    canvas.connect_ports(PortRef("title", "text", True), PortRef("caption", "text", False))  # 19
    canvas.select_nodes(["title"])
    canvas.delete_selection()  # 20

    assert stack.count() == 20
    final = document_json(window)
    assert final != initial
    assert canvas_matches_model(window)

    while stack.canUndo():
        stack.undo()
    assert document_json(window) == initial
    assert canvas_matches_model(window)
    assert not window.isWindowModified()

    while stack.canRedo():
        stack.redo()
    assert document_json(window) == final
    assert canvas_matches_model(window)
