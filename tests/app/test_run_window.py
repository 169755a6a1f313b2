"""Running from the window: live node states, time, credits and thumbnails on the canvas."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.window import MainWindow
from engine.catalog import Catalog, Category, NodeSpec, ParamKind, ParamSpec, PortSpec, PortType
from engine.catalog.registry import default_catalog
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.nodes.base import NodeContext, Outputs
from tests.app.conftest import ScriptedPrompts, WindowFactory
from tests.conftest import EXAMPLES_DIR
from widgets.canvas.run_overlay import overlay_of
from widgets.run.common import format_duration

pytestmark = pytest.mark.usefixtures("qasync_loop")

IMAGE_NODES = ("load", "label", "grid", "heading", "save", "sheet")


def _example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "contact-sheet.patchbay.json", folder)
    shutil.copytree(EXAMPLES_DIR / "assets", folder / "assets")
    return folder / "contact-sheet.patchbay.json"


def _run_to_end(qtbot: QtBot, window: MainWindow, **kwargs: Any) -> ExecutionRecord:
    with qtbot.waitSignal(window.runs.finished, timeout=20_000) as blocker:
        window.runs.run(**kwargs)
    record = blocker.args[0] if blocker.args else None
    assert isinstance(record, ExecutionRecord)
    return record


def _shown(window: MainWindow, node_id: str) -> Any:
    card = window.canvas.mapper.card(node_id)
    assert card is not None
    overlay = overlay_of(card)
    return overlay.view if overlay is not None else None


def test_running_the_example_shows_state_time_credits_and_thumbnails_on_every_node(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    assert window.controller.open_path(_example(tmp_path))
    assert window.action("run").shortcut().toString() == "F5"
    with qtbot.waitSignal(window.runs.finished, timeout=20_000):
        window.action("run").trigger()
    record = window.runs.last_record
    assert record is not None
    assert record.status == ExecutionState.COMPLETED
    for node in window.document.nodes():
        view = _shown(window, node.id)
        assert view is not None, node.id
        assert view.state == NodeState.COMPLETED, node.id
        assert view.time_text() == format_duration(record.node(node.id).duration_ms)
        assert view.credits_text() == "0 cr"
        if node.id in IMAGE_NODES:
            assert view.thumbnails and not view.thumbnails[0].isNull(), node.id
    assert _shown(window, "load").caption == "6 images"
    assert _shown(window, "title").caption == "Patchbay example pictures"
    assert (tmp_path / "example" / "contact-sheet.png").is_file()


def test_results_survive_undo_and_redo_of_unrelated_edits(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(_example(tmp_path))
    _run_to_end(qtbot, window)
    window.canvas.select_nodes(["sheet"])
    window.canvas.delete_selection()
    window.canvas.add_node("input.text", (0.0, 600.0))
    window.undo_stack.undo()
    window.undo_stack.undo()  # the output node's card is rebuilt
    view = _shown(window, "sheet")
    assert view is not None and view.state == NodeState.COMPLETED and view.thumbnails
    window.undo_stack.redo()
    window.undo_stack.undo()
    assert _shown(window, "grid").state == NodeState.COMPLETED


def test_a_failing_node_shows_failed_with_its_error_and_its_descendants_skipped(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    (path.parent / "assets" / "dawn.png").unlink()
    window = make_window()
    window.controller.open_path(path)
    record = _run_to_end(qtbot, window)
    assert record.status == ExecutionState.FAILED
    failed = _shown(window, "load")
    assert failed.state == NodeState.FAILED
    assert "dawn.png" in failed.caption
    for node_id in ("label", "grid", "heading", "save", "sheet"):
        assert _shown(window, node_id).state == NodeState.SKIPPED, node_id
    assert _shown(window, "title").state == NodeState.COMPLETED
    assert window.notice_bar.isVisible()


def test_choosing_a_past_run_restores_its_badges(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(_example(tmp_path))
    first = _run_to_end(qtbot, window, force=True)
    second = _run_to_end(qtbot, window)
    assert _shown(window, "grid").state == NodeState.CACHED
    window.runs.show_record(first)
    assert _shown(window, "grid").state == NodeState.COMPLETED
    window.runs.show_record(second)
    assert _shown(window, "grid").state == NodeState.CACHED


# -- cancelling: a slow node of a test catalog -----------------------------------------


async def _slow(context: NodeContext, inputs: dict[str, Any]) -> Outputs:
    steps = int(context.params.get("steps", 400))
    for step in range(steps):
        context.report_progress(step / steps)
        await asyncio.sleep(0.01)
    return {"text": str(inputs.get("text", ""))}


SLOW = NodeSpec(
    type="test.slow",
    category=Category.TEXT,
    display_name="Slow",
    inputs=(PortSpec(name="text", type=PortType.TEXT, required=False),),
    outputs=(PortSpec(name="text", type=PortType.TEXT),),
    params=(ParamSpec(name="steps", kind=ParamKind.INTEGER, default=400),),
)


def _slow_catalog() -> Catalog:
    shipped = default_catalog()
    catalog = Catalog(shipped.entry(spec.type) for spec in shipped)
    catalog.register(SLOW, _slow)
    return catalog


def test_cancelling_mid_run_leaves_running_nodes_cancelled(
    qtbot: QtBot, settings: QSettings, prompts: ScriptedPrompts
) -> None:
    window = MainWindow(_slow_catalog(), settings=settings, prompts=prompts)
    qtbot.addWidget(window)
    window.show()
    first = window.canvas.add_node("test.slow", (0.0, 0.0))
    assert first is not None
    second = window.canvas.add_node("test.slow", (300.0, 0.0), connect_to=(first, "text", True))
    assert first and second
    handle = window.runs.run()
    assert handle is not None
    assert not window.action("run").isEnabled() and window.action("cancel_run").isEnabled()

    def progressing() -> bool:
        view = _shown(window, first)
        return view is not None and view.state == NodeState.RUNNING and (view.progress or 0) > 0

    qtbot.waitUntil(progressing, timeout=5000)
    with qtbot.waitSignal(window.runs.finished, timeout=5000):
        window.action("cancel_run").trigger()
    assert window.runs.last_record is not None
    assert window.runs.last_record.status == ExecutionState.CANCELLED
    assert _shown(window, first).state == NodeState.CANCELLED
    assert _shown(window, second).state == NodeState.CANCELLED
    assert window.action("run").isEnabled()
