"""One way to write times and credits: canvas badges, run panel, inspector, history, timeline."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QTreeWidget
from pytestqt.qtbot import QtBot

from engine.executor.events import NodeState
from tests.widgets.run_samples import sample_dependencies, sample_record
from widgets.canvas.run_overlay import NodeRunView
from widgets.run.common import format_credits, format_duration, format_position
from widgets.run.history import RunHistoryList, RunSummary
from widgets.run.inspector import NodeInspector
from widgets.run.run_panel import RunPanel


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "—"),
        (0.4, "0 ms"),
        (420, "420 ms"),
        (999.4, "999 ms"),
        (1_200, "1.2 s"),
        (12_340, "12.3 s"),
        (65_000, "1 min 05 s"),
        (7_380_000, "2 h 03 min"),
    ],
)
def test_durations_read_the_same_everywhere(ms: float | None, text: str) -> None:
    assert format_duration(ms) == text
    view = NodeRunView(NodeState.COMPLETED, duration_ms=ms)
    assert view.time_text() == ("" if ms is None else text)


@pytest.mark.parametrize(
    ("credits", "long", "short"),
    [
        (0, "0 credits", "0 cr"),
        (1, "1 credit", "1 cr"),
        (2.5, "2.5 credits", "2.5 cr"),
        (0.125, "0.13 credits", "0.13 cr"),
        (1234, "1,234 credits", "1,234 cr"),
    ],
)
def test_credits_have_the_same_number_in_panels_and_on_badges(
    credits: float, long: str, short: str
) -> None:
    assert format_credits(credits) == long
    assert format_credits(credits, short=True) == short
    assert NodeRunView(NodeState.COMPLETED, credits=credits).credits_text() == short


def test_playback_positions_read_like_a_media_player() -> None:
    assert [format_position(ms) for ms in (None, 0, 7_400, 723_000, 3_723_000)] == [
        "0:00",
        "0:00",
        "0:07",
        "12:03",
        "1:02:03",
    ]


def test_one_run_shows_the_same_time_and_credits_in_every_panel(qtbot: QtBot) -> None:
    record = sample_record()
    clip = record.node("clip")  # 5.5 s, 20 credits (preview)
    badge = NodeRunView(clip.status, duration_ms=clip.duration_ms, credits=clip.credits)
    assert (badge.time_text(), badge.credits_text()) == ("5.5 s", "20 cr")

    inspector = NodeInspector()
    qtbot.addWidget(inspector)
    inspector.set_node(clip)
    assert inspector.fact("Duration") == "5.5 s"
    assert inspector.fact("Credits").startswith("20 credits")

    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_record(record, sample_dependencies())
    assert "10.9 s wall" in panel.totals_text() and "29 credits" in panel.totals_text()
    assert "5.5 s" in panel.timeline.tooltip_text("clip")
    assert "20 credits" in panel.timeline.tooltip_text("clip")

    history = RunHistoryList()
    qtbot.addWidget(history)
    history.set_runs([RunSummary.from_record(record)])
    row = history.findChild(QTreeWidget)
    assert row is not None
    item = row.topLevelItem(0)
    assert item is not None
    texts = [item.text(column) for column in range(row.columnCount())]
    assert "10.9 s" in texts and "29 credits · preview" in texts
