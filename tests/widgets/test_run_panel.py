"""The run panel: totals, timeline clicks and a log of state transitions."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from engine.executor.events import (
    ErrorKind,
    ExecutionEvent,
    ExecutionState,
    NodeErrorInfo,
    NodeState,
)
from tests.widgets.run_samples import T0, node, sample_dependencies, sample_record
from widgets.run.run_panel import LOG_LIMIT, RunPanel, run_totals


def make(qtbot: QtBot) -> RunPanel:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    return panel


def test_totals_of_a_preview_run(qtbot: QtBot) -> None:
    panel = make(qtbot)
    assert panel.totals_text() == "No run yet"
    panel.set_record(sample_record(), sample_dependencies())
    assert panel.totals_text() == (
        "Completed · 10.9 s wall · 14.2 s node time · 29 credits · not charged"
        " · 1 of 8 cached · preview"
    )
    totals = panel.totals()
    assert totals is not None and totals.cache_text == "1 of 8 cached"
    assert panel.timeline.critical_path() == ["brief", "shot", "clip", "mux"]


def test_live_totals_run_to_now() -> None:
    record = sample_record().model_copy(
        update={
            "status": ExecutionState.RUNNING,
            "finished_at": None,
            "duration_ms": None,
            "preview": False,
            "nodes": [node("a", 0.0, 2.0), node("b", 1.0, None, status=NodeState.RUNNING)],
        }
    )
    totals = run_totals(record, now=T0 + 4.0)
    assert totals.wall_ms == 4000
    assert totals.node_ms == 5000
    assert "preview" not in totals.text()


def test_timeline_click_is_forwarded(qtbot: QtBot) -> None:
    panel = make(qtbot)
    panel.set_record(sample_record(), sample_dependencies())
    bar = panel.timeline.bar_rect("clip")
    assert bar is not None
    with qtbot.waitSignal(panel.node_clicked) as blocker:
        qtbot.mouseClick(panel.timeline, Qt.MouseButton.LeftButton, pos=bar.center().toPoint())
    assert blocker.args == ["clip"]


def test_log_has_one_line_per_state_transition(qtbot: QtBot) -> None:
    panel = make(qtbot)
    panel.set_record(sample_record())
    error = NodeErrorInfo(ErrorKind.PERMANENT, "prompt refused")
    events = [
        ExecutionEvent("exec-7f3a", ExecutionState.RUNNING, at=T0),
        ExecutionEvent("exec-7f3a", NodeState.RUNNING, "shot", at=T0 + 0.1),
        ExecutionEvent("exec-7f3a", NodeState.RUNNING, "shot", at=T0 + 0.2, progress=0.5),
        ExecutionEvent("exec-7f3a", NodeState.RUNNING, "shot", at=T0 + 0.3, attempt=2),
        ExecutionEvent(
            "exec-7f3a",
            NodeState.COMPLETED,
            "shot",
            at=T0 + 4,
            duration_ms=3900,
            credits=5,
            preview=True,
        ),
        ExecutionEvent("exec-7f3a", NodeState.FAILED, "clip", at=T0 + 5, error=error),
        ExecutionEvent("exec-7f3a", NodeState.COMPLETED, "variants", at=T0 + 6, item=1),
    ]
    assert panel.append_events(events) == 6  # the progress update adds no line
    lines = panel.log_lines()
    assert len(lines) == 6
    assert lines[0].split()[1:] == ["run", "RUNNING"]
    assert "Hero shot" in lines[1] and "RUNNING" in lines[1]
    assert lines[2].endswith("RUNNING    attempt 2")
    assert lines[3].endswith("COMPLETED  3.9 s · 5 credits (preview)")
    assert "Animate" in lines[4] and lines[4].endswith("permanent: prompt refused")
    assert "Variants [2]" in lines[5]
    assert panel.append_events([events[4]]) == 0  # same state again: no line
    panel.clear_log()
    assert panel.log_lines() == []


def test_log_takes_thousands_of_lines_quickly_and_keeps_the_newest(qtbot: QtBot) -> None:
    panel = make(qtbot)
    states = (NodeState.QUEUED, NodeState.RUNNING, NodeState.COMPLETED)
    events = [
        ExecutionEvent("x", states[i % 3], f"n{i // 3}", at=T0 + i / 100)
        for i in range(LOG_LIMIT + 3000)
    ]
    started = time.perf_counter()
    for chunk in range(0, len(events), 500):
        panel.append_events(events[chunk : chunk + 500])
    assert time.perf_counter() - started < 5
    lines = panel.log_lines()
    assert len(lines) == LOG_LIMIT
    assert lines[-1].split()[1] == f"n{(len(events) - 1) // 3}"
