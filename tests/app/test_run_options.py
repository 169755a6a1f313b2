"""Run options from the window: estimate, preview mode, scopes, forced re-runs, random seeds."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.run_controller import RunController
from app.window import MainWindow
from engine.executor import ExecutionRecord, ExecutionState, NodeState, RunOptions, RunScope
from engine.workflow import Node, Position, Workflow
from tests.app.conftest import WindowFactory
from tests.conftest import EXAMPLES_DIR

pytestmark = pytest.mark.usefixtures("qasync_loop")


def _example(tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "contact-sheet.patchbay.json", folder)
    shutil.copytree(EXAMPLES_DIR / "assets", folder / "assets")
    return folder / "contact-sheet.patchbay.json"


def _run(qtbot: QtBot, start: Any) -> ExecutionRecord:
    runs: RunController = start.__self__
    with qtbot.waitSignal(runs.finished, timeout=20_000) as blocker:
        assert start() is not None
    record = blocker.args[0] if blocker.args else None
    assert isinstance(record, ExecutionRecord)
    return record


def _hosted(window: MainWindow) -> None:
    node = Node(
        id="flux",
        type="image.flux-1-dev",
        position=Position(x=0, y=0),
        data={"prompt": "a red shoe", "seed": 7, "num_images": 2},
    )
    window.controller.load(Workflow(name="hosted", nodes=[node]), None)


def test_the_estimate_shows_before_running_and_preview_is_free(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    _hosted(window)
    estimate = window.runs.update_estimate()
    assert estimate is not None and estimate.total == 5.0
    label = window.runs.estimate_label
    assert "5 credits" in label.text()
    assert "5" in window.action("run").toolTip()
    window.action("preview").setChecked(True)
    assert "0 credits" in label.text()
    assert window.runs.preview_button.text() == "PREVIEW ON"
    assert "preview" in window.action("run").toolTip()
    record = _run(qtbot, window.runs.run)
    assert record.status == ExecutionState.COMPLETED and record.preview
    assert record.credits == 0
    shown = window.canvas.node_state("flux")
    assert shown is not None and shown.credits_text() == "0 cr" and shown.thumbnails


def test_randomise_seeds_gives_each_run_new_seeds_without_editing_the_document(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    _hosted(window)
    started: list[RunOptions] = []
    window.action("preview").setChecked(True)
    window.action("randomise_seeds").setChecked(True)
    seeds = set()
    original = window.runs.runner.start

    def spy(workflow: Workflow, options: RunOptions) -> Any:
        seeds.add(workflow.nodes[0].data["seed"])
        started.append(options)
        return original(workflow, options)

    window.runs.runner.start = spy  # type: ignore[method-assign]
    _run(qtbot, window.runs.run)
    _run(qtbot, window.runs.run)
    assert len(seeds) == 2 and 7 not in seeds
    assert window.document.node("flux").data["seed"] == 7
    assert not window.undo_stack.canUndo()


def test_run_only_this_node_and_run_from_here_use_the_selected_node(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.open_path(_example(tmp_path))
    assert not window.action("run_only").isEnabled()
    _run(qtbot, window.runs.run)
    window.canvas.select_nodes(["grid"])
    assert window.action("run_only").isEnabled()
    only = _run(qtbot, window.runs.run_only_selected)
    assert (only.scope, only.target_node_id) == (RunScope.ONLY_NODE, "grid")
    assert only.node("grid").status == NodeState.COMPLETED  # re-run, not cached
    assert only.node("load").status == NodeState.CACHED
    assert "heading" not in {n.node_id for n in only.nodes}
    # Nodes outside the run keep what the previous run showed.
    assert window.canvas.node_state("heading") is not None

    here = _run(qtbot, window.runs.run_from_selected)
    assert here.scope == RunScope.FROM_NODE
    assert here.node("heading").status == NodeState.COMPLETED

    forced = _run(qtbot, window.runs.force_run)
    assert all(n.status == NodeState.COMPLETED for n in forced.nodes)
