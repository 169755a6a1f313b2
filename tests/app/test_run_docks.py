"""The run docks: the inspector shows a failed node's error, the history restores past runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.window import MainWindow
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from tests.app.conftest import WindowFactory
from tests.conftest import EXAMPLES_DIR
from widgets.canvas.run_overlay import overlay_of

pytestmark = pytest.mark.usefixtures("qasync_loop")


def _example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "contact-sheet.patchbay.json", folder)
    shutil.copytree(EXAMPLES_DIR / "assets", folder / "assets")
    return folder / "contact-sheet.patchbay.json"


def _run(qtbot: QtBot, window: MainWindow, *, force: bool = False) -> ExecutionRecord:
    with qtbot.waitSignal(window.runs.finished, timeout=20_000) as blocker:
        window.runs.run(force=force)
    record = blocker.args[0] if blocker.args else None
    assert isinstance(record, ExecutionRecord)
    return record


def _state(window: MainWindow, node_id: str) -> NodeState | None:
    card = window.canvas.mapper.card(node_id)
    overlay = overlay_of(card) if card is not None else None
    return overlay.view.state if overlay is not None and overlay.view is not None else None


def test_the_inspector_shows_the_error_of_a_failed_node(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    (path.parent / "assets" / "orbit.png").unlink()
    window = make_window()
    window.controller.open_path(path)
    record = _run(qtbot, window)
    assert record.status == ExecutionState.FAILED
    qtbot.waitUntil(lambda: "Failed" in window.run_docks.panel.totals_text())
    window.canvas.select_nodes(["load"])
    inspector = window.run_docks.inspector
    assert inspector.node() is not None and inspector.node().status == NodeState.FAILED
    assert "orbit.png" in inspector.error_text()
    window.canvas.select_nodes(["heading"])
    assert inspector.node() is not None and inspector.node().status == NodeState.SKIPPED
    window.canvas.select_nodes(["split"])  # a node that ran shows the inputs it received
    assert "input:text" in inspector.viewers()
    assert any("load" in line.lower() for line in window.run_docks.panel.log_lines())


def test_every_run_is_kept_and_choosing_a_past_one_restores_its_badges(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    path = _example(tmp_path)
    window = make_window()
    window.controller.open_path(path)
    first = _run(qtbot, window, force=True)
    qtbot.waitUntil(lambda: len(window.run_docks.history_list.runs()) == 1)
    second = _run(qtbot, window)
    assert _state(window, "grid") == NodeState.CACHED
    listed = [second.execution_id, first.execution_id]
    history = window.run_docks.history_list
    qtbot.waitUntil(lambda: [run.execution_id for run in history.runs()] == listed)

    with qtbot.waitSignal(window.run_docks.history_list.run_chosen):
        window.run_docks.history_list.run_chosen.emit(first.execution_id)
    assert _state(window, "grid") == NodeState.COMPLETED

    other = make_window()  # reopening the file shows its latest run again, with outputs
    other.controller.open_path(path)
    assert [r.execution_id for r in other.run_docks.history_list.runs()] == listed
    assert _state(other, "grid") == NodeState.CACHED
    card = other.canvas.mapper.card("grid")
    assert card is not None and overlay_of(card).view.thumbnails  # type: ignore[union-attr]
    assert window.run_docks.choose_run(first.execution_id) is not None
    assert _state(window, "grid") == NodeState.COMPLETED
