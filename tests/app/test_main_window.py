"""The studio window opens a workflow and shows the catalog."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.main import main
from app.window import MainWindow
from engine.catalog import default_catalog
from engine.workflow import Node, Workflow


def test_window_lists_catalog_and_workflow_nodes(qtbot: QtBot) -> None:
    workflow = Workflow(
        name="Demo",
        nodes=[
            Node(id="brief", type="input.text", label="Brief"),
            Node(id="t", type="output.text"),
        ],
    )
    window = MainWindow(default_catalog(), workflow, Path("demo.patchbay.json"))
    qtbot.addWidget(window)
    assert window.windowTitle().startswith("demo.patchbay.json")
    assert window.catalog_tree.topLevelItemCount() >= 4
    labels = [window.node_tree.topLevelItem(i).text(0) for i in range(2)]
    assert labels == ["Brief", "t"]


def test_scripted_screenshot(qtbot: QtBot, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    assert main(["--screenshot", str(shot), "--quit"]) == 0
    assert shot.stat().st_size > 1000
