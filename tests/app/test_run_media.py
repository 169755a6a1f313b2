"""Video and audio outputs in the window: previews on the canvas, playback in the inspector.

The workflow runs the real local nodes (a Ken Burns clip, offline speech, the
two muxed), so the MP4 and WAV files are real; frames and waveforms are made by
ffmpeg in worker threads.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

import app.media_previews as previews_module
from app.window import MainWindow
from engine.executor import ExecutionRecord, ExecutionState, NodeState
from engine.values import Artifact, decode_value
from tests.app.conftest import WindowFactory
from tests.widgets.media_samples import media_workflow
from widgets.run.common import format_credits, format_duration
from widgets.run.player import playback_problem
from widgets.run.viewers import MediaInfoViewer

pytestmark = pytest.mark.usefixtures("qasync_loop")


def _run(qtbot: QtBot, window: MainWindow) -> ExecutionRecord:
    with qtbot.waitSignal(window.runs.finished, timeout=60_000) as blocker:
        assert window.runs.run() is not None
    record = blocker.args[0] if blocker.args else None
    assert isinstance(record, ExecutionRecord) and record.status == ExecutionState.COMPLETED
    return record


def _output(record: ExecutionRecord, node_id: str, port: str) -> Artifact:
    value = decode_value(record.node(node_id).outputs or {})[port]
    assert isinstance(value, Artifact)
    return value


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads ffmpeg previews ran on."""
    seen: list[str] = []
    frame, waveform = previews_module.extract_frame_png, previews_module.audio_waveform

    def spy(real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            seen.append(threading.current_thread().name)
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(previews_module, "extract_frame_png", spy(frame))
    monkeypatch.setattr(previews_module, "audio_waveform", spy(waveform))
    return seen


def test_videos_get_their_first_frame_and_sounds_a_waveform_made_off_the_gui_thread(
    make_window: WindowFactory, qtbot: QtBot, threads: list[str]
) -> None:
    window = make_window()
    window.controller.load(media_workflow(), None)
    record = _run(qtbot, window)
    canvas = window.canvas

    def previews_shown() -> bool:
        views = [canvas.node_state(node_id) for node_id in ("clip", "voice", "mux")]
        return all(view is not None and view.thumbnails for view in views)

    qtbot.waitUntil(previews_shown, timeout=30_000)
    clip = canvas.node_state("clip")
    assert clip is not None and clip.state == NodeState.COMPLETED
    assert clip.caption == "clip 1.0 s · 320\N{MULTIPLICATION SIGN}180"
    frame = clip.thumbnails[0]
    assert (frame.width(), frame.height()) == (270, 152)  # the preview height, aspect kept
    assert frame.pixelColor(160, 90).value() > 20  # the picture, not a black frame

    voice = canvas.node_state("voice")
    assert voice is not None and voice.thumbnails
    seconds = _output(record, "voice", "audio").metadata["duration_s"]
    assert voice.caption == f"audio {format_duration(seconds * 1000)}"
    wave = voice.thumbnails[0]
    assert wave.width() == 3 * wave.height()
    middle = wave.height() // 2
    painted = [x for x in range(wave.width()) if wave.pixelColor(x, middle - 8).alpha() > 0]
    assert len(painted) > wave.width() // 4  # bars above the centre line: a sound, not silence

    # Three previews (two clips, one sound), none made on the GUI thread.
    assert len(threads) == 3
    assert threading.main_thread().name not in threads
    assert all(name.startswith("patchbay-preview") for name in threads)
    assert not window.runs.previews.busy


def test_the_inspector_plays_the_selected_nodes_clip(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    window.controller.load(media_workflow(), None)
    record = _run(qtbot, window)
    qtbot.waitUntil(lambda: window.run_docks.panel.totals_text().startswith("Completed"))
    window.canvas.select_nodes(["clip"])
    viewer = window.run_docks.inspector.viewers()["video"]
    assert isinstance(viewer, MediaInfoViewer) and viewer.player is not None
    path = window.runs.results.artifacts.path(_output(record, "clip", "video"))  # type: ignore[union-attr]
    assert viewer.player.source() == QUrl.fromLocalFile(str(path))
    if playback_problem() is None:
        if not viewer.player.duration_ms():
            with qtbot.waitSignal(viewer.player.duration_changed, timeout=10_000):
                pass
        assert viewer.player.duration_ms() == pytest.approx(1000, abs=80)
    else:
        assert not viewer.player.available

    window.canvas.select_nodes(["voice"])
    voice = window.run_docks.inspector.viewers()["audio"]
    assert isinstance(voice, MediaInfoViewer) and voice.player is not None


def test_the_status_bar_says_the_runs_time_and_credits_as_the_panels_do(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    window = make_window()
    window.controller.load(media_workflow(), None)
    record = _run(qtbot, window)
    message = window.statusBar().currentMessage()
    wall = format_duration(record.duration_ms)
    assert message.startswith(f"Run completed in {wall} · {format_credits(record.credits)} · ")
    qtbot.waitUntil(lambda: window.run_docks.panel.totals_text().startswith("Completed"))
    assert f"{wall} wall" in window.run_docks.panel.totals_text()
    clip = record.node("clip")
    view = window.canvas.node_state("clip")
    assert view is not None and view.time_text() == format_duration(clip.duration_ms)
    window.canvas.select_nodes(["clip"])
    assert window.run_docks.inspector.fact("Duration") == view.time_text()


def test_a_missing_file_gets_no_preview_and_is_not_retried(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    window.controller.load(media_workflow(), None)
    record = _run(qtbot, window)
    qtbot.waitUntil(lambda: not window.runs.previews.busy, timeout=30_000)
    previews = window.runs.previews
    clip = _output(record, "clip", "video")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    stranger = clip.model_copy(update={"id": "f" * 64})
    assert previews.get(stranger, broken) is None
    with qtbot.waitSignal(previews.ready) as blocker:
        pass
    assert blocker.args == [stranger.id]
    assert previews.cached(stranger.id) is None
    assert previews.get(stranger, broken) is None and not previews.busy  # tried once only
