"""The run timeline: critical path, slowest node, ticks, clicks, live growth."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from engine.executor.events import ExecutionState, NodeState
from engine.executor.record import ExecutionRecord
from tests.widgets.run_samples import T0, node, sample_dependencies, sample_record
from widgets.run.timeline import (
    RunTimeline,
    critical_path,
    slowest_node,
    tick_label,
    tick_step,
)

# a ─┬─ b (3 s) ─┬─ d        e (3.5 s, alone: the slowest, but not on the longest chain)
#    └─ c (1 s) ─┘
DAG = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}


def small_run(**overrides: object) -> ExecutionRecord:
    nodes = [
        node("a", 0.0, 1.0),
        node("b", 1.0, 4.0),
        node("c", 1.0, 2.0),
        node("d", 4.0, 5.0),
        node("e", 0.0, 3.5),
    ]
    fields: dict[str, object] = {
        "execution_id": "x1",
        "workflow_name": "dag",
        "status": ExecutionState.COMPLETED,
        "started_at": T0,
        "finished_at": T0 + 5.0,
        "nodes": nodes,
    }
    fields.update(overrides)
    return ExecutionRecord.model_validate(fields)


def make(qtbot: QtBot) -> RunTimeline:
    timeline = RunTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(800, 300)
    timeline.show()
    return timeline


def test_critical_path_is_the_chain_with_the_most_node_time() -> None:
    record = small_run()
    assert critical_path(record, DAG) == ["a", "b", "d"]
    assert slowest_node(record) == "e"


def test_without_edges_the_critical_path_is_the_slowest_node() -> None:
    assert critical_path(small_run(), {}) == ["e"]


def test_nodes_that_took_no_time_are_not_on_the_critical_path() -> None:
    record = sample_record()
    path = critical_path(record, sample_dependencies())
    assert path == ["brief", "shot", "clip", "mux"]
    assert "voice" not in path  # cached
    assert slowest_node(record) == "clip"


def test_widget_highlights_and_orders_rows_by_start(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(small_run(), DAG)
    assert timeline.critical_path() == ["a", "b", "d"]
    assert timeline.slowest() == "e"
    assert timeline.rows() == ["a", "e", "b", "c", "d"]
    assert timeline.grab().width() == 800  # paints without error


def test_clicking_a_bar_or_its_label_reports_the_node(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(small_run(), DAG)
    bar = timeline.bar_rect("d")
    assert bar is not None
    with qtbot.waitSignal(timeline.node_clicked) as blocker:
        qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=bar.center().toPoint())
    assert blocker.args == ["d"]
    label = timeline.row_rect("c")
    with qtbot.waitSignal(timeline.node_clicked) as blocker:
        qtbot.mouseClick(
            timeline, Qt.MouseButton.LeftButton, pos=QPointF(20, label.center().y()).toPoint()
        )
    assert blocker.args == ["c"]
    assert timeline.node_at(QPointF(20, 5)) is None  # the axis


def test_up_and_down_move_through_the_rows(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(small_run(), DAG)
    timeline.set_selected("b")
    with qtbot.waitSignal(timeline.node_clicked) as blocker:
        qtbot.keyClick(timeline, Qt.Key.Key_Down)
    assert blocker.args == ["c"]
    with qtbot.waitSignal(timeline.node_clicked) as blocker:
        qtbot.keyClick(timeline, Qt.Key.Key_Up)
    assert blocker.args == ["b"]


def test_bars_are_placed_in_time_order(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(small_run(), DAG)
    a, b, d = (timeline.bar_rect(n) for n in "abd")
    assert a is not None and b is not None and d is not None
    assert a.right() <= b.left() + 1 and b.right() <= d.left() + 1
    assert b.width() == 3 * a.width()


def test_tooltip_has_node_time_and_credits(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(sample_record(), sample_dependencies())
    tip = timeline.tooltip_text("clip")
    assert tip.splitlines()[0] == "Animate — Completed"
    assert "took 5.5 s" in tip
    assert "20 credits (preview — not charged)" in tip
    assert "On the critical path" in tip and "Slowest node" in tip


def test_running_bar_grows_to_now(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    running = small_run(
        status=ExecutionState.RUNNING,
        finished_at=None,
        nodes=[node("a", 0.0, 1.0), node("b", 1.0, None, status=NodeState.RUNNING)],
    )

    def ratio() -> float:
        a, b = timeline.bar_rect("a"), timeline.bar_rect("b")
        assert a is not None and b is not None
        return b.width() / a.width()

    timeline.set_record(running, DAG, now=T0 + 2.0)
    assert abs(ratio() - 1.0) < 0.01  # b has run as long as a took
    timeline.update_record(running, now=T0 + 4.0)
    assert abs(ratio() - 3.0) < 0.01
    assert "took 3.0 s" in timeline.tooltip_text("b")


def test_live_run_follows_the_clock(qtbot: QtBot) -> None:
    clock = [T0 + 2.0]
    timeline = RunTimeline(clock=lambda: clock[0])
    qtbot.addWidget(timeline)
    timeline.resize(800, 200)
    running = small_run(
        status=ExecutionState.RUNNING,
        finished_at=None,
        nodes=[node("a", 0.0, None, status=NodeState.RUNNING)],
    )
    timeline.update_record(running)
    assert "took 2.0 s" in timeline.tooltip_text("a")
    clock[0] = T0 + 3.0
    qtbot.waitUntil(lambda: "took 3.0 s" in timeline.tooltip_text("a"), timeout=2000)
    timeline.update_record(small_run())
    assert "took 1.0 s" in timeline.tooltip_text("a")


def test_ticks_are_round_numbers() -> None:
    assert tick_step(10.95) == 2.0
    assert tick_step(0.8) == 0.2
    assert tick_step(600) == 120.0
    assert tick_label(0.25, 0.05) == "250 ms"
    assert tick_label(1.5, 0.5) == "1.5 s"
    assert tick_label(12, 2) == "12 s"
    assert tick_label(150, 30) == "2:30"


def test_empty_timeline_paints_a_hint(qtbot: QtBot) -> None:
    timeline = make(qtbot)
    timeline.set_record(None)
    assert timeline.rows() == []
    assert not timeline.grab().isNull()
