"""Seeds from "Randomise seeds on run" are kept with the run; "Use this seed" is an undo step."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.window import MainWindow
from engine.executor import ExecutionRecord
from engine.workflow import Node, Position, Workflow
from tests.app.conftest import WindowFactory

pytestmark = pytest.mark.usefixtures("qasync_loop")

DOCUMENT_SEED = 7


def _hosted_document(window: MainWindow) -> None:
    node = Node(
        id="flux",
        type="image.flux-1-dev",
        position=Position(x=0, y=0),
        data={"prompt": "a red shoe", "seed": DOCUMENT_SEED},
    )
    window.controller.load(Workflow(name="seeds", nodes=[node]), None)
    window.action("preview").setChecked(True)
    window.action("randomise_seeds").setChecked(True)


def _run(qtbot: QtBot, window: MainWindow) -> ExecutionRecord:
    with qtbot.waitSignal(window.runs.finished, timeout=20_000) as blocker:
        assert window.runs.run() is not None
    record = blocker.args[0]
    assert isinstance(record, ExecutionRecord)
    return record


def test_the_inspector_offers_the_seed_a_randomised_run_used(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    _hosted_document(window)
    record = _run(qtbot, window)
    history = window.run_docks.history
    qtbot.waitUntil(lambda: history.workflow(None, record.execution_id) is not None)
    as_run = history.workflow(None, record.execution_id)
    assert as_run is not None
    used = as_run.node("flux").data["seed"]
    assert used != DOCUMENT_SEED
    assert window.runs.workflow_as_run(record.execution_id) == as_run

    window.canvas.select_nodes(["flux"])
    inspector = window.run_docks.inspector
    [seed] = inspector.seeds().seeds()
    assert (seed.param, seed.value, seed.current) == ("seed", used, DOCUMENT_SEED)
    button = inspector.seeds().button("seed")
    assert button is not None and button.isEnabled()

    button.click()
    assert window.document.node("flux").data["seed"] == used
    assert window.undo_stack.undoText() == f"Use seed {used}"
    shown = inspector.seeds().button("seed")
    assert shown is not None and shown.text() == "In use" and not shown.isEnabled()

    window.undo_stack.undo()
    assert window.document.node("flux").data["seed"] == DOCUMENT_SEED
    again = inspector.seeds().button("seed")
    assert again is not None and again.isEnabled()


def test_a_past_runs_seed_comes_back_from_history(make_window: WindowFactory, qtbot: QtBot) -> None:
    window = make_window()
    _hosted_document(window)
    first = _run(qtbot, window)
    second = _run(qtbot, window)
    history = window.run_docks.history
    qtbot.waitUntil(lambda: history.workflow(None, second.execution_id) is not None)
    seeds = [
        history.workflow(None, run.execution_id).node("flux").data["seed"]  # type: ignore[union-attr]
        for run in (first, second)
    ]
    assert seeds[0] != seeds[1]

    other = make_window()  # a new window: only the history files know the seeds
    _hosted_document(other)
    assert other.run_docks.choose_run(first.execution_id) is not None
    other.canvas.select_nodes(["flux"])
    [seed] = other.run_docks.inspector.seeds().seeds()
    assert seed.value == seeds[0]
    other.run_docks.choose_run(second.execution_id)
    [seed] = other.run_docks.inspector.seeds().seeds()
    assert seed.value == seeds[1]
