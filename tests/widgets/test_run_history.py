"""The run history lists past runs, newest first, and reports the one chosen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.executor.events import ExecutionState
from tests.widgets.run_samples import T0, sample_record
from widgets.run.history import RunHistoryList, RunSummary


def runs() -> list[RunSummary]:
    return [
        RunSummary(
            execution_id="old",
            started_at=T0 - 60,
            status=ExecutionState.FAILED,
            duration_ms=2500,
            credits=5,
            label="first try",
        ),
        RunSummary.from_record(sample_record()),
    ]


def make(qtbot: QtBot) -> RunHistoryList:
    history = RunHistoryList()
    qtbot.addWidget(history)
    history.resize(700, 300)
    history.show()
    return history


def test_runs_are_listed_newest_first_with_status_duration_and_credits(qtbot: QtBot) -> None:
    history = make(qtbot)
    history.set_runs(runs())
    assert [r.execution_id for r in history.runs()] == ["exec-7f3a", "old"]
    newest = history.view.topLevelItem(0)
    oldest = history.view.topLevelItem(1)
    assert newest is not None and oldest is not None
    assert [newest.text(c) for c in range(1, 5)] == [
        "Completed",
        "10.9 s",
        "29 credits · preview",
        "Product shot to video",
    ]
    assert oldest.text(1) == "Failed"
    assert not newest.icon(1).isNull()


def test_clicking_a_run_emits_its_id(qtbot: QtBot) -> None:
    history = make(qtbot)
    history.set_runs(runs())
    item = history.view.topLevelItem(1)
    assert item is not None
    rect = history.view.visualItemRect(item)
    with qtbot.waitSignal(history.run_chosen) as blocker:
        qtbot.mouseClick(history.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["old"]
    assert history.current() == "old"


def test_selection_survives_a_refresh_and_set_current_is_silent(qtbot: QtBot) -> None:
    history = make(qtbot)
    history.set_runs(runs())
    with qtbot.assertNotEmitted(history.run_chosen):
        history.set_current("old")
    assert history.current() == "old"
    history.set_runs(runs())
    assert history.current() == "old"
    history.set_current(None)
    assert history.current() is None


def test_empty_history_shows_a_hint(qtbot: QtBot) -> None:
    history = make(qtbot)
    history.set_runs([])
    assert history.view.isHidden()
    assert history.runs() == []


def test_summary_is_frozen() -> None:
    summary = runs()[0]
    try:
        summary.credits = 1  # type: ignore[misc]
    except Exception as error:  # pydantic ValidationError
        assert "frozen" in str(error)
    else:
        raise AssertionError("RunSummary must be immutable")
