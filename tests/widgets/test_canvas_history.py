"""A long mixed session on the canvas undoes to the first model and redoes to the last."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from pytestqt.qtbot import QtBot

from tests.widgets.canvas_support import (
    assert_canvas_matches_model,
    drag,
    header_point,
    make_canvas,
    port_point,
)
from widgets.canvas import CanvasView, PortRef


def _edits(view: CanvasView) -> list[Callable[[], object]]:
    def select(*ids: str) -> Callable[[], None]:
        return lambda: view.select_nodes(ids)

    def drag_node(node_id: str) -> Callable[[], None]:
        def run() -> None:
            start = header_point(view, node_id)
            drag(view.viewer.viewport(), start, start + QPoint(30, 45))

        return run

    def drag_wire(source: tuple[str, str], target: tuple[str, str]) -> Callable[[], None]:
        return lambda: drag(
            view.viewer.viewport(),
            port_point(view, *source, True),
            port_point(view, *target, False),
        )

    return [
        lambda: view.add_node("image.resize", (300.0, 400.0)),  # 1 → resize
        lambda: view.connect_ports(
            PortRef("shot", "image", True), PortRef("resize", "image", False)
        ),  # 2
        drag_node("motion"),  # 3
        select("brief", "shot"),
        lambda: view.group_selection("Prompt"),  # 4
        lambda: view.duplicate(),  # 5
        select("small"),
        lambda: view.delete_selection(),  # 6
        drag_wire(("motion", "text"), ("clip", "prompt")),  # 7
        lambda: view.add_node("output.video", (1300.0, 300.0), connect_to=("clip", "video", True)),
        select("brief", "shot", "clip"),
        lambda: view.align("bottom"),  # 9
        lambda: view.auto_layout(),  # 10
        select("grid"),
        lambda: view.paste(view.copy_selection() or "", at=(0.0, 800.0)),  # 11
        lambda: view.remove_edges(["e5"]),  # 12
        select("out"),
        lambda: view.cut_selection(),  # 13
        lambda: view.rename_backdrop("bd1", "Prompting"),  # 14
        select("brief", "motion", "clip"),
        lambda: view.distribute("h"),  # 15
        lambda: view.move_nodes({"grid": (50.0, 60.0)}),  # 16
        drag_wire(("resize", "image"), ("clip", "image")),  # 17: replaces a wire
        select("resize"),
        lambda: view.group_selection("Resize"),  # 18
        lambda: view.ungroup(["bd1"]),  # 19
        lambda: view.add_node("input.text", (-300.0, 0.0)),  # 20
    ]


def test_twenty_mixed_canvas_edits_undo_to_the_start_and_redo_to_the_end(qtbot: QtBot) -> None:
    view, stack = make_canvas(qtbot)
    initial = view.document.workflow().to_json()

    for edit in _edits(view):
        edit()
        assert_canvas_matches_model(view)
    final = view.document.workflow().to_json()
    assert stack.count() == 20

    while stack.canUndo():
        stack.undo()
        assert_canvas_matches_model(view)
    assert view.document.workflow().to_json() == initial

    while stack.canRedo():
        stack.redo()
    assert view.document.workflow().to_json() == final
    assert_canvas_matches_model(view)
