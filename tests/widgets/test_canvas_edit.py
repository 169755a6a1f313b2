"""Gestures and editing methods of the canvas: each is one undo step on the model."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from engine.catalog.spec import PortType
from tests.widgets.canvas_support import (
    assert_canvas_matches_model,
    drag,
    header_point,
    make_canvas,
    port_item,
    port_point,
    sample_workflow,
)
from widgets.canvas import NODE_TYPE_MIME, PortRef


def _wires(view: object) -> set[tuple[str, str, str, str]]:
    document = view.document  # type: ignore[attr-defined]
    return {(e.source, e.source_handle, e.target, e.target_handle) for e in document.edges()}


# -- connecting ------------------------------------------------------------------------


def test_connecting_compatible_ports_adds_an_edge_in_one_undo_step(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    before = view.document.workflow().to_json()

    verdict = view.connect_ports(PortRef("motion", "text", True), PortRef("clip", "prompt", False))

    assert verdict.allowed
    assert ("motion", "text", "clip", "prompt") in _wires(view)
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert view.document.workflow().to_json() == before
    assert_canvas_matches_model(view)


def test_an_incompatible_connection_is_refused_with_a_reason(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    before = view.document.workflow().to_json()

    with qtbot.waitSignal(view.message) as said:
        verdict = view.connect_ports(
            PortRef("brief", "text", True), PortRef("small", "width", False)
        )

    assert not verdict.allowed
    assert "text output cannot feed the number input" in verdict.reason
    assert said.args == [verdict.reason]
    assert view.document.workflow().to_json() == before
    assert stack.count() == 0


def test_loops_and_self_wires_are_refused(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)

    loop = view.check_connection(PortRef("small", "image", True), PortRef("small", "image", False))
    assert not loop.allowed and "own input" in loop.reason
    cycle = view.check_connection(PortRef("clip", "video", True), PortRef("shot", "prompt", False))
    assert not cycle.allowed  # video → text is refused for its type first
    back = view.check_connection(PortRef("small", "image", True), PortRef("grid", "images", False))
    assert not back.allowed and "already connected" in back.reason


def test_dragging_onto_an_incompatible_port_is_refused_while_dragging(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    viewport = view.viewer.viewport()
    start = port_point(view, "brief", "text", True)
    end = port_point(view, "small", "width", False)
    heard: list[str] = []
    view.message.connect(heard.append)

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 9):
        QTest.mouseMove(viewport, start + (end - start) * (i / 8))
    target = port_item(view, "small", "width", False)
    assert target.refused  # drawn red under the wire
    assert any("cannot feed the number input" in m for m in heard)  # said before the drop
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    assert not target.refused
    assert stack.count() == 0
    assert ("brief", "text", "small", "width") not in _wires(view)
    assert_canvas_matches_model(view)


def test_dragging_a_wire_between_compatible_ports_connects_them(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)

    drag(
        view.viewer.viewport(),
        port_point(view, "motion", "text", True),
        port_point(view, "clip", "prompt", False),
    )

    assert ("motion", "text", "clip", "prompt") in _wires(view)
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert ("motion", "text", "clip", "prompt") not in _wires(view)
    assert_canvas_matches_model(view)


def test_a_wire_into_an_occupied_input_replaces_the_old_one(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)

    drag(
        view.viewer.viewport(),
        port_point(view, "shot", "image", True),
        port_point(view, "clip", "image", False),
    )

    into_clip = [w for w in _wires(view) if w[2:] == ("clip", "image")]
    assert into_clip == [("shot", "image", "clip", "image")]
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert ("small", "image", "clip", "image") in _wires(view)
    assert_canvas_matches_model(view)


def test_list_inputs_take_more_wires_without_replacing(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)

    verdict = view.connect_ports(PortRef("clip", "video", True), PortRef("grid", "images", False))
    assert not verdict.allowed  # video into image: refused for its type
    view.connect_ports(PortRef("grid", "image", True), PortRef("clip", "image", False))
    assert ("small", "image", "clip", "image") not in _wires(view)  # single input: replaced
    view.connect_ports(PortRef("motion", "text", True), PortRef("shot", "prompt", False))
    extra = view.add_node("image.generate", (0.0, 500.0))
    assert extra is not None
    verdict = view.connect_ports(PortRef(extra, "image", True), PortRef("grid", "images", False))
    assert verdict.allowed and verdict.replaces == ()
    assert len([w for w in _wires(view) if w[2:] == ("grid", "images")]) == 3
    assert [w for w in _wires(view) if w[2:] == ("shot", "prompt")] == [
        ("motion", "text", "shot", "prompt")
    ]


def test_pulling_a_wire_off_an_input_disconnects_it(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    start = port_point(view, "clip", "image", False)

    drag(view.viewer.viewport(), start, start + QPoint(-60, 140))

    assert ("small", "image", "clip", "image") not in _wires(view)
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert ("small", "image", "clip", "image") in _wires(view)
    assert_canvas_matches_model(view)


# -- quick-add and drops -------------------------------------------------------------


def test_a_wire_dropped_on_empty_space_asks_for_a_compatible_node(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    start = port_point(view, "clip", "video", True)

    with qtbot.waitSignal(view.quick_add_requested) as asked:
        drag(view.viewer.viewport(), start, start + QPoint(40, 160))

    scene_pos, port_type, source = asked.args
    assert port_type == PortType.VIDEO
    assert source == ("clip", "video", True)
    assert stack.count() == 0

    new_id = view.add_node("output.video", scene_pos, connect_to=source)

    assert new_id is not None
    assert ("clip", "video", new_id, "video") in _wires(view)
    assert stack.count() == 1  # node and wire in one step
    assert view.selected_node_ids() == [new_id]
    stack.undo()
    assert not view.document.has_node(new_id)
    assert_canvas_matches_model(view)


def test_quick_add_from_an_occupied_input_replaces_its_wire_in_the_same_step(
    qtbot: QtBot,
) -> None:
    view, stack = make_canvas(qtbot)

    new_id = view.add_node("image.generate", (300.0, 300.0), connect_to=("clip", "image", False))

    assert new_id is not None
    assert [w for w in _wires(view) if w[2:] == ("clip", "image")] == [
        (new_id, "image", "clip", "image")
    ]
    assert stack.count() == 1
    stack.undo()
    assert ("small", "image", "clip", "image") in _wires(view)
    assert_canvas_matches_model(view)


def test_tab_over_the_canvas_asks_for_quick_add(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)
    view.viewer.setFocus()

    with qtbot.waitSignal(view.quick_add_requested) as asked:
        QTest.keyClick(view.viewer, Qt.Key.Key_Tab)

    assert asked.args[1:] == [None, None]
    assert isinstance(asked.args[0], QPointF)


def test_a_palette_drop_adds_the_node_where_it_is_dropped(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    mime = QMimeData()
    mime.setData(NODE_TYPE_MIME, b"image.resize")
    where = QPointF(300, 420)
    event = QDropEvent(
        where,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )

    view.viewer.dropEvent(event)

    added = [
        n for n in view.document.nodes() if n.id not in {n.id for n in sample_workflow().nodes}
    ]
    assert [n.type for n in added] == ["image.resize"]
    scene = view.viewer.mapToScene(where.toPoint())
    assert (added[0].position.x, added[0].position.y) == (round(scene.x()), round(scene.y()))
    assert stack.count() == 1
    assert_canvas_matches_model(view)


def test_an_unknown_type_is_not_added(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)

    with qtbot.waitSignal(view.message):
        assert view.add_node("nope.nothing", (0.0, 0.0)) is None
    assert stack.count() == 0


# -- deleting and moving -------------------------------------------------------------


def test_deleting_the_selection_and_undo_restore_model_and_canvas(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    before = view.document.workflow().to_json()
    view.select_nodes(["small"])
    pipe = view.mapper.pipe("e4")
    assert pipe is not None
    pipe.setSelected(True)

    view.delete_selection()

    assert not view.document.has_node("small")
    assert not view.document.has_edge("e4")
    assert {"e2", "e3", "e6"}.isdisjoint({e.id for e in view.document.edges()})
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert view.document.workflow().to_json() == before
    assert_canvas_matches_model(view)
    stack.redo()
    assert not view.document.has_node("small")
    assert_canvas_matches_model(view)


def test_the_delete_key_deletes_the_selection(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["grid", "motion"])
    view.viewer.setFocus()

    QTest.keyClick(view.viewer, Qt.Key.Key_Delete)

    assert not view.document.has_node("grid")
    assert not view.document.has_node("motion")
    assert stack.count() == 1


def test_dragging_nodes_moves_them_in_one_undo_step(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["shot", "small"])
    before = {i: view.document.node(i).position for i in ("shot", "small", "clip")}
    start = header_point(view, "shot")

    drag(view.viewer.viewport(), start, start + QPoint(60, 90))

    after = {i: view.document.node(i).position for i in ("shot", "small", "clip")}
    assert after["clip"] == before["clip"]
    for node_id in ("shot", "small"):
        assert after[node_id].y > before[node_id].y + 30
    assert stack.count() == 1
    assert stack.text(0) == "Move"
    assert_canvas_matches_model(view)
    stack.undo()
    assert {i: view.document.node(i).position for i in before} == before
    assert_canvas_matches_model(view)


# -- clipboard ---------------------------------------------------------------------------


def test_copy_and_paste_give_new_ids_and_one_undo_step(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["shot", "small"])
    text = view.copy_selection()
    assert text is not None and '"schemaVersion": 1' in text

    pasted = view.paste(text, at=(0.0, 600.0))

    assert len(pasted) == 2 and not {"shot", "small"} & set(pasted)
    new_nodes = [view.document.node(i) for i in pasted]
    assert sorted(n.type for n in new_nodes) == ["image.generate", "image.resize"]
    assert min(n.position.x for n in new_nodes) == 0.0
    assert min(n.position.y for n in new_nodes) == 600.0
    inner = [e for e in view.document.edges() if e.source in pasted and e.target in pasted]
    assert len(inner) == 1  # the wire between them came along, the others did not
    assert inner[0].id not in {e.id for e in sample_workflow().edges}
    assert stack.count() == 1
    assert view.selected_node_ids() == pasted
    assert_canvas_matches_model(view)
    stack.undo()
    assert view.document.workflow().to_json() == sample_workflow().to_json()


def test_pasting_text_that_is_not_a_workflow_changes_nothing(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)

    with qtbot.waitSignal(view.message):
        assert view.paste("not json at all") == []
    assert view.paste('{"nodes": [{"id": 3}]}') == []
    assert stack.count() == 0


def test_duplicate_and_cut(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["brief"])

    copies = view.duplicate()

    assert len(copies) == 1
    copy = view.document.node(copies[0])
    assert copy.label == "Brief" and copy.position.x == 40.0
    text = view.cut_selection()  # the copy is selected now
    assert text is not None and copies[0] in text
    assert not view.document.has_node(copies[0])
    assert stack.count() == 2
    assert stack.text(1) == "Cut"


# -- arranging -----------------------------------------------------------------------------


def test_auto_layout_is_one_undo_step_left_to_right_by_depth(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.move_nodes({n.id: (0.0, 0.0) for n in view.document.nodes()}, "Pile up")
    piled = view.document.workflow().to_json()

    view.clear_selection()
    view.auto_layout()

    x = {n.id: n.position.x for n in view.document.nodes()}
    assert x["brief"] < x["shot"] < x["small"] < x["clip"] < x["out"]
    assert x["grid"] > x["small"]
    y = {n.id: n.position.y for n in view.document.nodes()}
    assert len({(x[i], y[i]) for i in x}) == len(x)  # nobody on top of anybody
    assert stack.count() == 2
    stack.undo()
    assert view.document.workflow().to_json() == piled
    assert_canvas_matches_model(view)


def test_align_and_distribute_selected_nodes(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["shot", "motion", "grid"])

    view.align("top")
    tops = {view.document.node(i).position.y for i in ("shot", "motion", "grid")}
    assert tops == {0.0}
    view.distribute("h")
    xs = sorted(
        (view.document.node(i).position.x, view.mapper.node_rect(i).w)
        for i in ("shot", "motion", "grid")
    )
    gaps = [xs[i + 1][0] - (xs[i][0] + xs[i][1]) for i in range(2)]
    assert abs(gaps[0] - gaps[1]) <= 1.0
    assert stack.count() == 2
    assert_canvas_matches_model(view)


# -- groups, marks, framing -----------------------------------------------------------------


def test_grouping_stores_a_backdrop_in_the_metadata_and_undoes(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["brief", "shot"])

    backdrop_id = view.group_selection("Inputs")

    assert backdrop_id is not None
    assert view.document.metadata()["backdrops"] == [
        {"id": backdrop_id, "title": "Inputs", "nodes": ["brief", "shot"]}
    ]
    item = view._backdrops.item(backdrop_id)
    assert item is not None and item.isVisible()
    card = view.mapper.card("shot")
    assert card is not None and item.sceneBoundingRect().contains(card.card_rect())

    view.rename_backdrop(backdrop_id, "Prompt")
    assert view.document.metadata()["backdrops"][0]["title"] == "Prompt"
    view.select_nodes(["shot"])
    view.delete_selection()
    assert view.document.metadata()["backdrops"][0]["nodes"] == ["brief"]

    while stack.canUndo():
        stack.undo()
    assert "backdrops" not in view.document.metadata()
    assert view.document.workflow().to_json() == sample_workflow().to_json()
    assert view._backdrops.item(backdrop_id) is None


def test_violations_mark_nodes_and_wires_and_old_marks_clear(qtbot: QtBot) -> None:
    from engine.validation import Violation, ViolationCode

    view, _ = make_canvas(qtbot)
    shot, pipe = view.mapper.card("shot"), view.mapper.pipe("e3")
    assert shot is not None and pipe is not None

    view.set_violations(
        [
            Violation(
                code=ViolationCode.REQUIRED_INPUT_MISSING, message="no prompt", node_id="shot"
            ),
            Violation(code=ViolationCode.PORT_TYPE_MISMATCH, message="bad wire", edge_id="e3"),
        ]
    )
    assert shot.flagged and "no prompt" in shot.toolTip()
    assert pipe.flagged

    view.set_violations([])
    assert not shot.flagged and not pipe.flagged


def test_frame_node_selects_it_and_brings_it_to_the_centre(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)
    view.zoom_reset()
    view.viewer.center_on_point(QPointF(-3000, -3000))

    view.frame_node("out")

    assert view.selected_node_ids() == ["out"]
    card = view.mapper.card("out")
    assert card is not None
    centre = view.viewer.visible_scene_rect().center()
    assert (centre - card.card_rect().center()).manhattanLength() < 5


def test_dragging_a_backdrop_moves_its_nodes_in_one_step(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["brief", "shot"])
    backdrop_id = view.group_selection("Inputs")
    item = view._backdrops.item(backdrop_id or "")
    assert item is not None
    view.clear_selection()
    before = {i: view.document.node(i).position for i in ("brief", "shot", "small")}
    grip = view.viewer.mapFromScene(item.sceneBoundingRect().topLeft() + QPointF(80, 10))

    drag(view.viewer.viewport(), grip, grip + QPoint(40, 80))

    after = {i: view.document.node(i).position for i in ("brief", "shot", "small")}
    assert after["small"] == before["small"]
    for node_id in ("brief", "shot"):
        assert after[node_id].y - before[node_id].y > 40
    assert stack.count() == 2 and stack.text(1) == "Move"
    card = view.mapper.card("shot")
    assert card is not None and item.sceneBoundingRect().contains(card.card_rect())
    assert_canvas_matches_model(view)


def test_a_backdrop_title_is_renamed_in_place(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    view.select_nodes(["brief"])
    item = view._backdrops.item(view.group_selection("Group") or "")
    assert item is not None
    title = view.viewer.mapFromScene(item.sceneBoundingRect().topLeft() + QPointF(25, 14))

    layout = QAction("Auto-layout", view)  # the app binds one-key shortcuts on the canvas
    layout.setShortcut(QKeySequence("L"))
    layout.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    view.addAction(layout)
    fired: list[bool] = []
    layout.triggered.connect(lambda: fired.append(True))
    with qtbot.waitActive(view):
        view.activateWindow()
    view.viewer.setFocus()

    QTest.mouseDClick(view.viewer.viewport(), Qt.MouseButton.LeftButton, pos=title)
    QTest.keyClicks(view.viewer, "Layers")
    QTest.keyClick(view.viewer, Qt.Key.Key_Return)

    assert view.document.metadata()["backdrops"][0]["title"] == "Layers"
    assert not fired  # the typed "L" went into the title
    assert stack.count() == 2
    assert item.title == "Layers"
    QTest.keyClick(view.viewer, Qt.Key.Key_L)
    assert fired  # and once editing ended, "L" is the shortcut again


def test_selection_changes_are_announced_in_document_order(qtbot: QtBot) -> None:
    view, _ = make_canvas(qtbot)

    with qtbot.waitSignal(view.selection_changed) as announced:
        view.select_nodes(["out", "brief"])

    assert announced.args == [["brief", "out"]]
    start = header_point(view, "clip")
    with qtbot.waitSignal(view.selection_changed) as clicked:
        QTest.mouseClick(view.viewer.viewport(), Qt.MouseButton.LeftButton, pos=start)
    assert clicked.args == [["clip"]]


def test_alt_shift_dragging_across_wires_cuts_them_in_one_step(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    pipe = view.mapper.pipe("e2")
    assert pipe is not None
    middle = view.viewer.mapFromScene(pipe.path().pointAtPercent(0.5))
    both = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier
    start, end = middle + QPoint(0, -30), middle + QPoint(0, 30)

    QTest.mousePress(view.viewer.viewport(), Qt.MouseButton.LeftButton, both, start)
    for i in range(1, 7):
        QTest.mouseMove(view.viewer.viewport(), start + (end - start) * (i / 6))
    QTest.mouseRelease(view.viewer.viewport(), Qt.MouseButton.LeftButton, both, end)

    assert not view.document.has_edge("e2")
    assert stack.count() == 1
    assert_canvas_matches_model(view)
    stack.undo()
    assert view.document.workflow().to_json() == sample_workflow().to_json()
    assert_canvas_matches_model(view)
